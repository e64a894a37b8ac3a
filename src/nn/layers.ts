/**
 * Layers with parameters: Linear, Conv2d, BatchNorm2d and the dueling head. Layouts
 * and initialisation follow PyTorch so state dicts load both ways.
 */
import { CONV_MAX_K } from "./kernels/abi.js";
import { BufferCache, Counter, checkGrad, checkInput, Module, Parameter, type StateValue } from "./module.js";
import { Rng } from "./rng.js";
import type { Arena, Tensor } from "./tensor.js";

export interface LayerOptions {
  /** Generator for the initial weights (default: a fresh `Rng(0)`). */
  rng?: Rng | undefined;
  arena?: Arena | undefined;
}

/**
 * PyTorch's default for Linear and Conv2d: kaiming_uniform(a=√5) for the weight, which
 * reduces to U(−1/√fan_in, 1/√fan_in), and the same bound for the bias. Weight first, then bias.
 */
function initUniform(rng: Rng, w: Parameter, b: Parameter | null, fanIn: number): void {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const wd = w.data;
  for (let i = 0; i < wd.length; i++) wd[i] = rng.uniform(-bound, bound);
  if (b) {
    const bd = b.data;
    for (let i = 0; i < bd.length; i++) bd[i] = rng.uniform(-bound, bound);
  }
}

function positiveInt(what: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${what}: ${name} must be a positive integer, got ${v}`);
}

/** y = x·Wᵀ + b, W [out, in]. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  /** [N, inFeatures], the input `forward` accepts (made once: checked on every call). */
  private readonly inputShape: ReadonlyArray<number | null>;
  private x: Tensor | null = null;
  private y: Tensor | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LayerOptions & { bias?: boolean } = {},
  ) {
    super(opts.arena);
    positiveInt("Linear", "inFeatures", inFeatures);
    positiveInt("Linear", "outFeatures", outFeatures);
    this.inputShape = [null, inFeatures];
    this.weight = new Parameter(this.arena, [outFeatures, inFeatures]);
    this.bias = opts.bias === false ? null : new Parameter(this.arena, [outFeatures]);
    initUniform(opts.rng ?? new Rng(0), this.weight, this.bias, inFeatures);
    this.outs = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  protected override localState(): ReadonlyArray<readonly [string, StateValue]> {
    return this.bias
      ? [
          ["weight", this.weight],
          ["bias", this.bias],
        ]
      : [["weight", this.weight]];
  }

  forward(x: Tensor): Tensor {
    checkInput(this, x, this.inputShape);
    const n = x.shape[0]!;
    const y = this.outs.get(n, this.outFeatures);
    const k = this.arena.kernels;
    k.gemm(0, 1, n, this.outFeatures, this.inFeatures, 1, x.ptr, this.inFeatures, this.weight.ptr, this.inFeatures, 0, y.ptr, this.outFeatures);
    if (this.bias) k.addBiasRows(y.ptr, this.bias.ptr, n, this.outFeatures);
    this.x = x;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    const x = this.x!;
    const n = x.shape[0]!;
    const { inFeatures: fi, outFeatures: fo } = this;
    const k = this.arena.kernels;
    k.gemm(1, 0, fo, fi, n, 1, dOut.ptr, fo, x.ptr, fi, 1, this.weight.grad.ptr, fi);
    if (this.bias) k.biasGradRows(dOut.ptr, this.bias.grad.ptr, n, fo);
    if (!this.inputGrad) return null;
    const dx = this.grads.get(n, fi);
    k.gemm(0, 0, n, fi, fo, 1, dOut.ptr, fo, this.weight.ptr, fi, 0, dx.ptr, fi);
    return dx;
  }

  describe(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }
}

export interface Conv2dOptions extends LayerOptions {
  stride?: number | [number, number] | undefined;
  padding?: number | [number, number] | undefined;
  bias?: boolean | undefined;
}

/** Column floats Conv2d.forward unfolds per im2col call (2 MiB: about an L2's worth), then multiplies. */
const CONV_RUN_FLOATS = 1 << 19;

/** Output size of a convolution along one axis: ⌊(in + 2·pad − kernel) / stride⌋ + 1. */
export function convOutSize(input: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((input + 2 * padding - kernel) / stride) + 1;
}

function pair(v: number | [number, number] | undefined, dflt: number): [number, number] {
  return v === undefined ? [dflt, dflt] : typeof v === "number" ? [v, v] : v;
}

/**
 * 2-D convolution on NCHW tensors (cross-correlation, as PyTorch), weight [out, in, kh, kw].
 * Each image is unfolded with im2col into a [in·kh·kw, outH·outW] matrix kept for the
 * backward pass, then one GEMM per image, Y_n = W · col_n, issued as one batched call (so a
 * backend can pack W once and spread the images over its threads). A backend with direct
 * convolution kernels (native) computes the same products from the images themselves when the
 * layer is unpadded, and never forms col.
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  private readonly outs: BufferCache;
  private readonly cols: BufferCache;
  private readonly grads: BufferCache;
  private readonly dcols: BufferCache;
  /** The input shape `forward` accepts, N free (made once: checked on every call). */
  private readonly inputShape: ReadonlyArray<number | null>;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private col: Tensor | null = null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    opts: Conv2dOptions = {},
  ) {
    super(opts.arena);
    this.inputShape = [null, inChannels, null, null];
    positiveInt("Conv2d", "inChannels", inChannels);
    positiveInt("Conv2d", "outChannels", outChannels);
    this.kernelSize = pair(kernelSize, 1);
    this.stride = pair(opts.stride, 1);
    this.padding = pair(opts.padding, 0);
    this.kernelSize.forEach((v) => positiveInt("Conv2d", "kernelSize", v));
    this.stride.forEach((v) => positiveInt("Conv2d", "stride", v));
    this.padding.forEach((v) => {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Conv2d: padding must be a non-negative integer, got ${v}`);
    });
    const [kh, kw] = this.kernelSize;
    this.weight = new Parameter(this.arena, [outChannels, inChannels, kh, kw]);
    this.bias = opts.bias === false ? null : new Parameter(this.arena, [outChannels]);
    initUniform(opts.rng ?? new Rng(0), this.weight, this.bias, inChannels * kh * kw);
    this.outs = new BufferCache(this.arena);
    this.cols = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
    this.dcols = new BufferCache(this.arena);
  }

  protected override localState(): ReadonlyArray<readonly [string, StateValue]> {
    return this.bias
      ? [
          ["weight", this.weight],
          ["bias", this.bias],
        ]
      : [["weight", this.weight]];
  }

  /** [outH, outW] for an input of height h and width w. */
  outputSize(h: number, w: number): [number, number] {
    return [convOutSize(h, this.kernelSize[0], this.stride[0], this.padding[0]), convOutSize(w, this.kernelSize[1], this.stride[1], this.padding[1])];
  }

  forward(x: Tensor): Tensor {
    checkInput(this, x, this.inputShape);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    // Not `outputSize`: it returns a new array, and this runs per act.
    const oh = convOutSize(h, this.kernelSize[0], this.stride[0], this.padding[0]);
    const ow = convOutSize(w, this.kernelSize[1], this.stride[1], this.padding[1]);
    if (oh <= 0 || ow <= 0) {
      throw new RangeError(`${this.describe()}: input ${h}×${w} is smaller than the kernel (output would be ${oh}×${ow})`);
    }
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const ck = c * kh * kw;
    const p = oh * ow;
    const o = this.outChannels;
    const y = this.outs.get(n, o, oh, ow);
    const k = this.arena.kernels;
    this.x = x;
    if (k.conv2d && k.conv2dWeightGrad && k.conv2dInputGrad && ph === 0 && pw === 0 && ck <= CONV_MAX_K) {
      // The backend convolves straight from the images: no column matrix, and backward reads x again.
      k.conv2d(x.ptr, n, c, h, w, o, kh, kw, sh, sw, oh, ow, this.weight.ptr, y.ptr);
      if (this.bias) k.addBiasChannels(y.ptr, this.bias.ptr, n, o, p);
      this.col = null;
      return (this.y = y);
    }
    const col = this.cols.get(n, ck, p);
    // The images' planes follow each other, as do their [c·kh·kw, p] column blocks: one call unfolds the
    // planes of a run of images, and the GEMMs consume those columns while they are still in cache (a
    // run's columns ≤ CONV_RUN_FLOATS; the 8×8/4 layer's 32 images unfold to 13 MB). Each image's
    // product is its own, so the runs change no result.
    const run = Math.max(1, Math.floor(CONV_RUN_FLOATS / (ck * p)));
    for (let s0 = 0; s0 < n; s0 += run) {
      const ns = Math.min(run, n - s0);
      const colPtr = col.ptr + 4 * s0 * ck * p;
      k.im2col(x.ptr + 4 * s0 * c * h * w, ns * c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, colPtr, p);
      k.gemmBatched(0, 0, o, p, ck, 1, this.weight.ptr, ck, 0, colPtr, p, ck * p, 0, y.ptr + 4 * s0 * o * p, p, o * p, ns);
    }
    if (this.bias) k.addBiasChannels(y.ptr, this.bias.ptr, n, o, p);
    this.col = col;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    const y = checkGrad(this, dOut, this.y);
    const x = this.x!;
    const col = this.col;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [, o, oh, ow] = y.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const ck = c * kh * kw;
    const p = oh * ow;
    const k = this.arena.kernels;
    if (this.bias) k.biasGradChannels(dOut.ptr, this.bias.grad.ptr, n, o, p);
    // dW += Σ_n dY_n · col_nᵀ: every image's product accumulates into the one weight gradient.
    if (col) k.gemmBatched(0, 1, o, ck, p, 1, dOut.ptr, p, o * p, col.ptr, p, ck * p, 1, this.weight.grad.ptr, ck, 0, n);
    else k.conv2dWeightGrad!(x.ptr, dOut.ptr, n, c, h, w, o, kh, kw, sh, sw, oh, ow, this.weight.grad.ptr);
    if (!this.inputGrad) return null;
    const dx = this.grads.get(n, c, h, w);
    if (!col) {
      k.conv2dInputGrad!(dOut.ptr, n, c, h, w, o, kh, kw, sh, sw, oh, ow, this.weight.ptr, dx.ptr);
      return dx;
    }
    dx.data.fill(0);
    const dcol = this.dcols.get(n, ck, p);
    k.gemmBatched(1, 0, ck, p, o, 1, this.weight.ptr, ck, 0, dOut.ptr, p, o * p, 0, dcol.ptr, p, ck * p, n);
    k.col2im(dcol.ptr, p, n * c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, dx.ptr);
    return dx;
  }

  describe(): string {
    const [kh, kw] = this.kernelSize;
    return `Conv2d(${this.inChannels}→${this.outChannels}, kernel ${kh}×${kw}, stride ${this.stride.join("×")}, padding ${this.padding.join("×")})`;
  }
}

export interface BatchNormOptions {
  eps?: number | undefined;
  momentum?: number | undefined;
  arena?: Arena | undefined;
}

/**
 * BatchNorm2d with PyTorch semantics: training normalises with the batch mean and the
 * biased variance and updates running stats with the unbiased one
 * (r ← (1 − momentum)·r + momentum·stat); eval uses the running stats. The ABI has no
 * normalisation kernels, so this runs in TypeScript with double-precision sums — it is
 * used by small nets only.
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked = new Counter();
  readonly eps: number;
  readonly momentum: number;
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  /** The input shape `forward` accepts, N free (made once: checked on every call). */
  private readonly inputShape: ReadonlyArray<number | null>;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private trainedForward = false;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super(opts.arena);
    this.inputShape = [null, numFeatures, null, null];
    positiveInt("BatchNorm2d", "numFeatures", numFeatures);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new RangeError(`BatchNorm2d: eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`BatchNorm2d: momentum must be in [0, 1], got ${this.momentum}`);
    this.weight = new Parameter(this.arena, [numFeatures]);
    this.weight.data.fill(1);
    this.bias = new Parameter(this.arena, [numFeatures]);
    this.runningMean = this.arena.tensor([numFeatures]);
    this.runningVar = this.arena.tensor([numFeatures]);
    this.runningVar.data.fill(1);
    this.mean = new Float64Array(numFeatures);
    this.invStd = new Float64Array(numFeatures);
    this.outs = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  protected override localState(): ReadonlyArray<readonly [string, StateValue]> {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
      ["running_mean", this.runningMean],
      ["running_var", this.runningVar],
      ["num_batches_tracked", this.numBatchesTracked],
    ];
  }

  forward(x: Tensor): Tensor {
    checkInput(this, x, this.inputShape);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const hw = h * w;
    const count = n * hw;
    const y = this.outs.get(n, c, h, w);
    const xd = x.data;
    const yd = y.data;
    const gamma = this.weight.data;
    const beta = this.bias.data;
    const rm = this.runningMean.data;
    const rv = this.runningVar.data;
    if (this.training) {
      if (count < 2) throw new RangeError(`${this.describe()}: training needs more than 1 value per channel, got input ${n}×${c}×${h}×${w}`);
      const m = this.momentum;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let b = 0; b < n; b++) {
          const o = (b * c + ch) * hw;
          for (let i = o; i < o + hw; i++) s += xd[i]!;
        }
        const mean = s / count;
        let ss = 0;
        for (let b = 0; b < n; b++) {
          const o = (b * c + ch) * hw;
          for (let i = o; i < o + hw; i++) {
            const d = xd[i]! - mean;
            ss += d * d;
          }
        }
        const varBiased = ss / count;
        this.mean[ch] = mean;
        this.invStd[ch] = 1 / Math.sqrt(varBiased + this.eps);
        rm[ch] = (1 - m) * rm[ch]! + m * mean;
        rv[ch] = (1 - m) * rv[ch]! + m * (ss / (count - 1));
      }
      this.numBatchesTracked.value++;
    } else {
      for (let ch = 0; ch < c; ch++) {
        this.mean[ch] = rm[ch]!;
        this.invStd[ch] = 1 / Math.sqrt(rv[ch]! + this.eps);
      }
    }
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const o = (b * c + ch) * hw;
        const mean = this.mean[ch]!;
        const sc = this.invStd[ch]! * gamma[ch]!;
        const sh = beta[ch]!;
        for (let i = o; i < o + hw; i++) yd[i] = (xd[i]! - mean) * sc + sh;
      }
    }
    this.trainedForward = this.training;
    this.x = x;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    const x = this.x!;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const hw = h * w;
    const count = n * hw;
    const dx = this.inputGrad ? this.grads.get(n, c, h, w) : null;
    const dxd = dx ? dx.data : null;
    const xd = x.data;
    const dy = dOut.data;
    const gamma = this.weight.data;
    const dGamma = this.weight.grad.data;
    const dBeta = this.bias.grad.data;
    for (let ch = 0; ch < c; ch++) {
      const mean = this.mean[ch]!;
      const inv = this.invStd[ch]!;
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let b = 0; b < n; b++) {
        const o = (b * c + ch) * hw;
        for (let i = o; i < o + hw; i++) {
          sumDy += dy[i]!;
          sumDyXhat += dy[i]! * (xd[i]! - mean) * inv;
        }
      }
      dGamma[ch]! += sumDyXhat;
      dBeta[ch]! += sumDy;
      if (!dxd) continue;
      const g = gamma[ch]! * inv;
      if (this.trainedForward) {
        // Batch statistics depend on x: dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)).
        const mDy = sumDy / count;
        const mDyX = sumDyXhat / count;
        for (let b = 0; b < n; b++) {
          const o = (b * c + ch) * hw;
          for (let i = o; i < o + hw; i++) dxd[i] = g * (dy[i]! - mDy - (xd[i]! - mean) * inv * mDyX);
        }
      } else {
        for (let b = 0; b < n; b++) {
          const o = (b * c + ch) * hw;
          for (let i = o; i < o + hw; i++) dxd[i] = g * dy[i]!;
        }
      }
    }
    return dx;
  }

  describe(): string {
    return `BatchNorm2d(${this.numFeatures})`;
  }
}

/** How a head with several outputs per action lays them out in a row. */
export type HeadLayout =
  /** out[a·atoms + j]: C51's `view(B, actions, atoms)`. */
  | "action-major"
  /** out[j·actions + a]: QR-DQN's `view(B, quantiles, actions)`. */
  | "atom-major";

export interface DuelingOptions extends LayerOptions {
  /** Outputs per action (distributional heads: atoms or quantiles); default 1. */
  atoms?: number | undefined;
  /** Layout of the `atoms` outputs of each action (default "action-major"; irrelevant for 1). */
  layout?: HeadLayout | undefined;
  /** Builds the value and advantage layers (default `Linear`; NoisyNets pass a `NoisyLinear` factory). */
  linear?: ((inFeatures: number, outFeatures: number) => Module) | undefined;
}

/**
 * Dueling head (Wang et al. 2016): features → value stream V [N, atoms] and advantage stream
 * A [N, actions·atoms]; per atom j, Q_j = V_j + A_{a,j} − mean_a A_{a,j} (with one atom, the
 * classic Q = V + A − mean A; with more, Rainbow's distributional dueling). State names
 * `features.*`, `value.*`, `advantage.*`.
 */
export class Dueling extends Module {
  readonly value: Module;
  readonly advantage: Module;
  readonly atoms: number;
  readonly layout: HeadLayout;
  private readonly outs: BufferCache;
  private readonly dvs: BufferCache;
  private readonly das: BufferCache;
  private readonly dhs: BufferCache;
  /** [N, featureDim], the features the head accepts (made once: checked on every call). */
  private readonly hiddenShape: ReadonlyArray<number | null>;
  private q: Tensor | null = null;
  /** Stride between actions and between atoms in an output row. */
  private readonly actionStride: number;
  private readonly atomStride: number;

  constructor(
    readonly features: Module,
    readonly featureDim: number,
    readonly nActions: number,
    opts: DuelingOptions = {},
  ) {
    super(opts.arena ?? features.arena);
    this.hiddenShape = [null, featureDim];
    if (features.arena !== this.arena) throw new Error("Dueling: features live in a different arena");
    this.atoms = opts.atoms ?? 1;
    if (!Number.isInteger(this.atoms) || this.atoms < 1) throw new RangeError(`Dueling: atoms must be a positive integer, got ${this.atoms}`);
    this.layout = opts.layout ?? "action-major";
    if (this.layout !== "action-major" && this.layout !== "atom-major") {
      throw new RangeError(`Dueling: layout must be "action-major" or "atom-major", got ${JSON.stringify(this.layout)}`);
    }
    this.actionStride = this.layout === "action-major" ? this.atoms : 1;
    this.atomStride = this.layout === "action-major" ? 1 : nActions;
    const rng = opts.rng ?? new Rng(0);
    const linear = opts.linear ?? ((i: number, o: number) => new Linear(i, o, { rng, arena: this.arena }));
    this.value = linear(featureDim, this.atoms);
    this.advantage = linear(featureDim, nActions * this.atoms);
    this.outs = new BufferCache(this.arena);
    this.dvs = new BufferCache(this.arena);
    this.das = new BufferCache(this.arena);
    this.dhs = new BufferCache(this.arena);
  }

  override children(): ReadonlyArray<readonly [string, Module]> {
    return [
      ["features", this.features],
      ["value", this.value],
      ["advantage", this.advantage],
    ];
  }

  override setInputGrad(on: boolean): this {
    this.inputGrad = on;
    this.features.setInputGrad(on);
    return this;
  }

  forward(x: Tensor): Tensor {
    const hidden = this.features.forward(x);
    checkInput(this, hidden, this.hiddenShape);
    const vt = this.value.forward(hidden);
    const at = this.advantage.forward(hidden);
    const n = hidden.shape[0]!;
    const { nActions: na, atoms, actionStride: as, atomStride: js } = this;
    const width = na * atoms;
    const q = this.outs.get(n, width);
    // Views are taken after every allocation: growing the memory detaches earlier ones.
    const v = vt.data;
    const a = at.data;
    const qd = q.data;
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < atoms; j++) {
        const o = b * width + j * js;
        let s = 0;
        for (let k = 0; k < na; k++) s += a[o + k * as]!;
        const base = v[b * atoms + j]! - s / na;
        for (let k = 0; k < na; k++) qd[o + k * as] = base + a[o + k * as]!;
      }
    }
    return (this.q = q);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.q);
    const n = dOut.shape[0]!;
    const { nActions: na, atoms, actionStride: as, atomStride: js } = this;
    const width = na * atoms;
    const dv = this.dvs.get(n, atoms);
    const da = this.das.get(n, width);
    // Views after the allocations: the first backward for a batch size may grow the memory.
    const dq = dOut.data;
    const dvd = dv.data;
    const dad = da.data;
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < atoms; j++) {
        const o = b * width + j * js;
        let s = 0;
        for (let k = 0; k < na; k++) s += dq[o + k * as]!;
        dvd[b * atoms + j] = s;
        const mean = s / na;
        for (let k = 0; k < na; k++) dad[o + k * as] = dq[o + k * as]! - mean;
      }
    }
    const dh1 = this.value.backward(dv)!;
    const dh2 = this.advantage.backward(da)!;
    const dh = this.dhs.get(n, this.featureDim);
    const x1 = dh1.data;
    const x2 = dh2.data;
    const out = dh.data;
    for (let i = 0; i < out.length; i++) out[i] = x1[i]! + x2[i]!;
    return this.features.backward(dh);
  }

  describe(): string {
    const atoms = this.atoms === 1 ? "" : ` × ${this.atoms} ${this.layout}`;
    return `Dueling(${this.features.describe()}, ${this.featureDim}→V,A[${this.nActions}${atoms}])`;
  }
}
