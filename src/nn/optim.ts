/**
 * Optimizers with PyTorch's defaults and update equations (torch.optim, single-tensor
 * path), one fused kernel call per parameter tensor. State buffers live in the arena
 * next to the parameters; `state()`/`loadState()` move them in and out of checkpoints.
 */
import type { Parameter } from "./module.js";
import type { Tensor } from "./tensor.js";

export type OptimizerKind = "sgd" | "adam" | "rmsprop";

/** Everything needed to resume an optimizer: hyperparameters, step count and per-parameter buffers. */
export interface OptimizerState {
  kind: OptimizerKind;
  step: number;
  hyper: Record<string, number | boolean>;
  /** Buffers named `<param index>.<buffer>` as in PyTorch's optimizer state (e.g. `0.exp_avg`). */
  buffers: Map<string, Float32Array>;
}

export abstract class Optimizer {
  abstract readonly kind: OptimizerKind;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  /** Number of steps taken. */
  stepCount = 0;
  protected readonly buffers: Array<Map<string, Tensor>>;

  constructor(
    readonly params: readonly Parameter[],
    lr: number,
    bufferNames: readonly string[],
  ) {
    if (params.length === 0) throw new RangeError("optimizer got an empty parameter list");
    checkNonNegative("lr", lr);
    this.lr = lr;
    this.buffers = params.map((p) => new Map(bufferNames.map((b) => [b, p.arena.tensor(p.shape)] as const)));
  }

  /** Sets every parameter's gradient to zero (call before each backward: gradients accumulate). */
  zeroGrad(): void {
    for (let i = 0; i < this.params.length; i++) this.params[i]!.grad.data.fill(0);
  }

  abstract step(): void;
  protected abstract hyper(): Record<string, number | boolean>;

  protected buf(i: number, name: string): Tensor {
    return this.buffers[i]!.get(name)!;
  }

  state(): OptimizerState {
    const buffers = new Map<string, Float32Array>();
    this.buffers.forEach((m, i) => m.forEach((t, name) => buffers.set(`${i}.${name}`, t.data.slice())));
    return { kind: this.kind, step: this.stepCount, hyper: this.hyper(), buffers };
  }

  /** Restores step count, hyperparameters' learning rate and buffers; the parameter list must match the saved one. */
  loadState(s: OptimizerState): void {
    if (s.kind !== this.kind) throw new Error(`loadState: state is for ${s.kind}, this optimizer is ${this.kind}`);
    if (!Number.isInteger(s.step) || s.step < 0) throw new RangeError(`loadState: step must be a non-negative integer, got ${s.step}`);
    const expected = new Set<string>();
    this.buffers.forEach((m, i) =>
      m.forEach((t, name) => {
        const key = `${i}.${name}`;
        expected.add(key);
        const data = s.buffers.get(key);
        if (data === undefined) throw new Error(`loadState: missing optimizer buffer "${key}"`);
        if (data.length !== t.size) throw new Error(`loadState: buffer "${key}" has ${data.length} elements, parameter ${i} has ${t.size}`);
      }),
    );
    for (const key of s.buffers.keys()) if (!expected.has(key)) throw new Error(`loadState: unexpected optimizer buffer "${key}"`);
    this.buffers.forEach((m, i) => m.forEach((t, name) => t.data.set(s.buffers.get(`${i}.${name}`)!)));
    this.stepCount = s.step;
    if (typeof s.hyper.lr === "number") this.lr = s.hyper.lr;
  }
}

function checkNonNegative(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`optimizer: ${name} must be a finite number >= 0, got ${v}`);
}

function checkUnit(name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`optimizer: ${name} must be in [0, 1), got ${v}`);
}

export interface AdamOptions {
  lr?: number; // 1e-3
  betas?: [number, number]; // [0.9, 0.999]
  eps?: number; // 1e-8
  weightDecay?: number; // 0 (L2 added to the gradient, not AdamW)
}

export class Adam extends Optimizer {
  readonly kind = "adam";
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: readonly Parameter[], opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3, ["exp_avg", "exp_avg_sq"]);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    checkUnit("beta1", this.beta1);
    checkUnit("beta2", this.beta2);
    checkNonNegative("eps", this.eps);
    checkNonNegative("weightDecay", this.weightDecay);
  }

  step(): void {
    const t = ++this.stepCount;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      p.arena.kernels.adamStep(
        p.ptr,
        p.grad.ptr,
        this.buf(i, "exp_avg").ptr,
        this.buf(i, "exp_avg_sq").ptr,
        p.size,
        this.lr,
        this.beta1,
        this.beta2,
        this.eps,
        this.weightDecay,
        bc1,
        bc2,
      );
    }
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weight_decay: this.weightDecay };
  }
}

export interface RMSpropOptions {
  lr?: number; // 1e-2
  alpha?: number; // 0.99
  eps?: number; // 1e-8
  weightDecay?: number; // 0
  momentum?: number; // 0
}

/** torch.optim.RMSprop, not centered. */
export class RMSprop extends Optimizer {
  readonly kind = "rmsprop";
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;

  constructor(params: readonly Parameter[], opts: RMSpropOptions = {}) {
    super(params, opts.lr ?? 1e-2, (opts.momentum ?? 0) > 0 ? ["square_avg", "momentum_buffer"] : ["square_avg"]);
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.momentum = opts.momentum ?? 0;
    checkUnit("alpha", this.alpha);
    checkNonNegative("eps", this.eps);
    checkNonNegative("weightDecay", this.weightDecay);
    checkNonNegative("momentum", this.momentum);
  }

  step(): void {
    this.stepCount++;
    const mom = this.momentum > 0;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const sq = this.buf(i, "square_avg").ptr;
      p.arena.kernels.rmspropStep(
        p.ptr,
        p.grad.ptr,
        sq,
        mom ? this.buf(i, "momentum_buffer").ptr : sq,
        p.size,
        this.lr,
        this.alpha,
        this.eps,
        this.weightDecay,
        this.momentum,
      );
    }
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, alpha: this.alpha, eps: this.eps, weight_decay: this.weightDecay, momentum: this.momentum };
  }
}

export interface SGDOptions {
  lr: number; // required, as in PyTorch
  momentum?: number; // 0
  dampening?: number; // 0
  weightDecay?: number; // 0
  nesterov?: boolean; // false
}

export class SGD extends Optimizer {
  readonly kind = "sgd";
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: readonly Parameter[], opts: SGDOptions) {
    super(params, opts.lr, (opts.momentum ?? 0) > 0 ? ["momentum_buffer"] : []);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkNonNegative("momentum", this.momentum);
    checkNonNegative("dampening", this.dampening);
    checkNonNegative("weightDecay", this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  step(): void {
    const first = this.stepCount === 0 ? 1 : 0;
    this.stepCount++;
    const mom = this.momentum > 0;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      // With momentum 0 the kernel ignores `buf`; any valid pointer will do.
      const buf = mom ? this.buf(i, "momentum_buffer").ptr : p.grad.ptr;
      p.arena.kernels.sgdStep(p.ptr, p.grad.ptr, buf, p.size, this.lr, this.momentum, this.dampening, this.weightDecay, this.nesterov ? 1 : 0, first);
    }
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weight_decay: this.weightDecay, nesterov: this.nesterov };
  }
}

/**
 * torch.nn.utils.clip_grad_norm_: total 2-norm over all gradients; if it exceeds
 * `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  let ss = 0;
  for (let i = 0; i < params.length; i++) ss += params[i]!.arena.kernels.sumSquares(params[i]!.grad.ptr, params[i]!.size);
  const norm = Math.sqrt(ss);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (let i = 0; i < params.length; i++) params[i]!.arena.kernels.scale(params[i]!.grad.ptr, params[i]!.size, coef);
  return norm;
}
