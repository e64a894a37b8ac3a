/**
 * NoisyNet linear layer with factorised Gaussian noise (Fortunato et al. 2017, "Noisy Networks
 * for Exploration", eqs. 10–11):
 *
 *   y = x·(μ_w + σ_w ⊙ ε_w)ᵀ + μ_b + σ_b ⊙ ε_b,  ε_w = f(ε_out) ⊗ f(ε_in),  ε_b = f(ε_out),
 *
 * with ε_in, ε_out N(0, 1) draws and f(x) = sign(x)·√|x|. Initialisation is the paper's (§3.2):
 * μ ~ U[−1/√p, 1/√p] and σ = σ0/√p for weights and biases, p = in_features. Parameter and
 * buffer names are CleanRL's (`rainbow_atari.py` `NoisyLinear`: weight_mu, weight_sigma,
 * bias_mu, bias_sigma, weight_epsilon, bias_epsilon), so a state dict loads there. In eval
 * mode the layer is the plain linear map of μ.
 */
import { BufferCache, checkGrad, checkInput, Module, Parameter, type StateValue } from "./module.js";
import { Rng } from "./rng.js";
import type { Arena, Tensor } from "./tensor.js";

export interface NoisyLinearOptions {
  /** Generator for μ's initial values (default: a fresh `Rng(0)`). */
  rng?: Rng | undefined;
  /** The noise stream `resetNoise` draws ε from (default: a fresh `Rng(0)`). */
  noise?: Rng | undefined;
  /** σ0 of the initial σ = σ0/√in_features (the paper's 0.5 for factorised noise). */
  sigma0?: number | undefined;
  arena?: Arena | undefined;
}

/** A standard normal draw (Box–Muller on two uniforms; one value per call keeps the stream stateless). */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.random();
  const u2 = rng.random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export class NoisyLinear extends Module {
  readonly weightMu: Parameter;
  readonly weightSigma: Parameter;
  readonly biasMu: Parameter;
  readonly biasSigma: Parameter;
  /** ε_w = f(ε_out) ⊗ f(ε_in) [out, in], kept as a buffer (as PyTorch implementations register it). */
  readonly weightEpsilon: Tensor;
  /** ε_b = f(ε_out) [out]. */
  readonly biasEpsilon: Tensor;
  readonly sigma0: number;
  private readonly noise: Rng;
  private readonly rawIn: Float32Array;
  private readonly rawOut: Float32Array;
  /** f(ε_in) [in], the factor of ε_w kept for backward (f(ε_out) is `biasEpsilon`). */
  private readonly epsilonIn: Tensor;
  /** ε_b and ε_w's first row as the last draw set them: a load or copy of the buffers since shows as a difference. */
  private readonly drawnBiasEpsilon: Float32Array;
  private readonly drawnWeightRow: Float32Array;
  /** μ_w + σ_w ⊙ ε_w and μ_b + σ_b ⊙ ε_b of the last noisy forward. */
  private readonly noisyWeight: Tensor;
  private readonly noisyBias: Tensor;
  /** dL/db of one backward (split into the μ and σ gradients). */
  private readonly dBias: Tensor;
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  /** x ⊙ f(ε_in) and dy ⊙ f(ε_out) of one backward. */
  private readonly scaledInputs: BufferCache;
  private readonly scaledGrads: BufferCache;
  /** The input shape `forward` accepts, N free (made once: checked on every call). */
  private readonly inputShape: ReadonlyArray<number | null>;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  /** Whether the last forward used the noise (training mode); backward follows it. */
  private noisyForward = false;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: NoisyLinearOptions = {},
  ) {
    super(opts.arena);
    this.inputShape = [null, inFeatures];
    for (const [name, v] of [
      ["inFeatures", inFeatures],
      ["outFeatures", outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`NoisyLinear: ${name} must be a positive integer, got ${v}`);
    }
    this.sigma0 = opts.sigma0 ?? 0.5;
    if (!(this.sigma0 >= 0 && Number.isFinite(this.sigma0))) throw new RangeError(`NoisyLinear: sigma0 must be a non-negative number, got ${this.sigma0}`);
    const a = this.arena;
    this.weightMu = new Parameter(a, [outFeatures, inFeatures]);
    this.weightSigma = new Parameter(a, [outFeatures, inFeatures]);
    this.biasMu = new Parameter(a, [outFeatures]);
    this.biasSigma = new Parameter(a, [outFeatures]);
    this.weightEpsilon = a.tensor([outFeatures, inFeatures]);
    this.biasEpsilon = a.tensor([outFeatures]);
    this.epsilonIn = a.tensor([inFeatures]);
    this.noisyWeight = a.tensor([outFeatures, inFeatures]);
    this.noisyBias = a.tensor([outFeatures]);
    this.dBias = a.tensor([outFeatures]);
    this.outs = new BufferCache(a);
    this.grads = new BufferCache(a);
    this.scaledInputs = new BufferCache(a);
    this.scaledGrads = new BufferCache(a);
    this.rawIn = new Float32Array(inFeatures);
    this.rawOut = new Float32Array(outFeatures);
    this.drawnBiasEpsilon = new Float32Array(outFeatures);
    this.drawnWeightRow = new Float32Array(inFeatures);
    this.noise = opts.noise ?? new Rng(0);
    const rng = opts.rng ?? new Rng(0);
    const bound = 1 / Math.sqrt(inFeatures);
    // μ_w then μ_b, as the reference's uniform_ calls.
    const wm = this.weightMu.data;
    for (let i = 0; i < wm.length; i++) wm[i] = rng.uniform(-bound, bound);
    const bm = this.biasMu.data;
    for (let i = 0; i < bm.length; i++) bm[i] = rng.uniform(-bound, bound);
    this.weightSigma.data.fill(this.sigma0 / Math.sqrt(inFeatures));
    this.biasSigma.data.fill(this.sigma0 / Math.sqrt(inFeatures));
    this.resetNoise();
  }

  protected override localState(): ReadonlyArray<readonly [string, StateValue]> {
    return [
      ["weight_mu", this.weightMu],
      ["weight_sigma", this.weightSigma],
      ["bias_mu", this.biasMu],
      ["bias_sigma", this.biasSigma],
      ["weight_epsilon", this.weightEpsilon],
      ["bias_epsilon", this.biasEpsilon],
    ];
  }

  /** Draws new factorised noise from the layer's stream: ε_in then ε_out. */
  resetNoise(): void {
    this.noise.fillStandardNormal(this.rawIn);
    this.noise.fillStandardNormal(this.rawOut);
    this.setFactorisedNoise(this.rawIn, this.rawOut);
  }

  /** Sets ε_w = f(rawOut) ⊗ f(rawIn) and ε_b = f(rawOut) from given N(0, 1) draws. */
  setFactorisedNoise(rawIn: ArrayLike<number>, rawOut: ArrayLike<number>): void {
    if (rawIn.length !== this.inFeatures || rawOut.length !== this.outFeatures) {
      throw new RangeError(
        `${this.describe()}: noise needs ${this.inFeatures} input and ${this.outFeatures} output draws, got ${rawIn.length} and ${rawOut.length}`,
      );
    }
    // f(x) = sign(x)·√|x|, the paper's scaling of factorised noise, in float32 (Float32Array stores), as the reference computes it, then ε_w = f(ε_out)·f(ε_in)ᵀ
    // as a rank-1 GEMM: each entry one float32 product, as torch.ger.
    const ei = this.epsilonIn.data;
    const be = this.biasEpsilon.data;
    // f written out, not called: a call the optimizer does not inline boxes each double it returns.
    for (let i = 0; i < this.inFeatures; i++) {
      const x = rawIn[i]!;
      ei[i] = x < 0 ? -Math.sqrt(-x) : Math.sqrt(x);
    }
    for (let o = 0; o < this.outFeatures; o++) {
      const x = rawOut[o]!;
      be[o] = x < 0 ? -Math.sqrt(-x) : Math.sqrt(x);
    }
    const { inFeatures: fi, outFeatures: fo } = this;
    this.arena.kernels.gemm(0, 0, fo, fi, 1, 1, this.biasEpsilon.ptr, 1, this.epsilonIn.ptr, fi, 0, this.weightEpsilon.ptr, fi);
    this.remember(this.biasEpsilon.data, this.weightEpsilon.data);
  }

  /** Records ε_b and ε_w's first row (element copies: a subarray view would allocate per draw). */
  private remember(be: Float32Array, we: Float32Array): void {
    this.drawnBiasEpsilon.set(be);
    const row = this.drawnWeightRow;
    for (let i = 0; i < row.length; i++) row[i] = we[i]!;
  }

  /**
   * Backward takes dσ_w from the factors f(ε_in) and f(ε_out) = ε_b. When the buffers were loaded
   * (a state dict, a checkpoint, a target-network copy) rather than drawn, f(ε_in) is taken from
   * ε_w's row with the largest |ε_b|: ε_w[o, i] / ε_b[o], exact up to float32 rounding.
   */
  private syncFactors(): void {
    const be = this.biasEpsilon.data;
    const we = this.weightEpsilon.data;
    const fi = this.inFeatures;
    let same = true;
    for (let o = 0; o < be.length && same; o++) same = be[o] === this.drawnBiasEpsilon[o];
    for (let i = 0; i < fi && same; i++) same = we[i] === this.drawnWeightRow[i];
    if (same) return;
    let row = 0;
    for (let o = 1; o < be.length; o++) if (Math.abs(be[o]!) > Math.abs(be[row]!)) row = o;
    const ei = this.epsilonIn.data;
    const scale = be[row]!;
    for (let i = 0; i < fi; i++) ei[i] = scale === 0 ? 0 : we[row * fi + i]! / scale;
    this.remember(be, we);
  }

  forward(x: Tensor): Tensor {
    checkInput(this, x, this.inputShape);
    const n = x.shape[0]!;
    const y = this.outs.get(n, this.outFeatures);
    this.noisyForward = this.training;
    let w: Tensor = this.weightMu;
    let b: Tensor = this.biasMu;
    if (this.noisyForward) {
      this.syncFactors();
      fusedMulAdd(this.weightMu.data, this.weightSigma.data, this.weightEpsilon.data, this.noisyWeight.data);
      fusedMulAdd(this.biasMu.data, this.biasSigma.data, this.biasEpsilon.data, this.noisyBias.data);
      w = this.noisyWeight;
      b = this.noisyBias;
    }
    const k = this.arena.kernels;
    k.gemm(0, 1, n, this.outFeatures, this.inFeatures, 1, x.ptr, this.inFeatures, w.ptr, this.inFeatures, 0, y.ptr, this.outFeatures);
    k.addBiasRows(y.ptr, b.ptr, n, this.outFeatures);
    this.x = x;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    const x = this.x!;
    const n = x.shape[0]!;
    const { inFeatures: fi, outFeatures: fo } = this;
    const k = this.arena.kernels;
    // dμ_w += dyᵀ·x, and, the noise being factorised, dσ_w += dW ⊙ (ε_out ⊗ ε_in) = (dy ⊙ ε_out)ᵀ·(x ⊙ ε_in).
    k.gemm(1, 0, fo, fi, n, 1, dOut.ptr, fo, x.ptr, fi, 1, this.weightMu.grad.ptr, fi);
    this.dBias.data.fill(0);
    k.biasGradRows(dOut.ptr, this.dBias.ptr, n, fo);
    const db = this.dBias.data;
    const gbm = this.biasMu.grad.data;
    for (let o = 0; o < fo; o++) gbm[o]! += db[o]!;
    if (this.noisyForward) {
      const xs = this.scaledInputs.get(n, fi);
      const gs = this.scaledGrads.get(n, fo);
      scaleColumns(x.data, this.epsilonIn.data, n, fi, xs.data);
      scaleColumns(dOut.data, this.biasEpsilon.data, n, fo, gs.data);
      k.gemm(1, 0, fo, fi, n, 1, gs.ptr, fo, xs.ptr, fi, 1, this.weightSigma.grad.ptr, fi);
      const be = this.biasEpsilon.data;
      const gbs = this.biasSigma.grad.data;
      const dbs = this.dBias.data;
      for (let o = 0; o < fo; o++) gbs[o]! += dbs[o]! * be[o]!;
    }
    if (!this.inputGrad) return null;
    const dx = this.grads.get(n, fi);
    const w = this.noisyForward ? this.noisyWeight : this.weightMu;
    k.gemm(0, 0, n, fi, fo, 1, dOut.ptr, fo, w.ptr, fi, 0, dx.ptr, fi);
    return dx;
  }

  describe(): string {
    return `NoisyLinear(${this.inFeatures}→${this.outFeatures}, σ0 ${this.sigma0})`;
  }
}

/** out = mu + sigma ⊙ eps. */
function fusedMulAdd(mu: Float32Array, sigma: Float32Array, eps: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = mu[i]! + sigma[i]! * eps[i]!;
}

/** out[r, j] = m[r, j]·s[j] for r < rows, j < cols. */
function scaleColumns(m: Float32Array, s: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = m[r * cols + j]! * s[j]!;
}
