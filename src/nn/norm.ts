/**
 * LayerNorm over the last dimension with PyTorch semantics (`torch.nn.LayerNorm(d)`): each row
 * is normalised with its own mean and biased variance, y = (x − mean)/√(var + eps)·weight + bias,
 * in training and eval alike. Like BatchNorm2d it runs in TypeScript with double-precision sums.
 */
import { BufferCache, checkGrad, Module, Parameter, type StateValue } from "./module.js";
import { type Arena, formatShape, type Tensor } from "./tensor.js";

export interface LayerNormOptions {
  eps?: number;
  arena?: Arena;
}

export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly eps: number;
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  /** Per-row mean and 1/σ of the last forward. */
  private mean = new Float64Array(0);
  private invStd = new Float64Array(0);
  private x: Tensor | null = null;
  private y: Tensor | null = null;

  constructor(
    readonly normalizedSize: number,
    opts: LayerNormOptions = {},
  ) {
    super(opts.arena);
    if (!Number.isInteger(normalizedSize) || normalizedSize <= 0) {
      throw new RangeError(`LayerNorm: normalizedSize must be a positive integer, got ${normalizedSize}`);
    }
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new RangeError(`LayerNorm: eps must be > 0, got ${this.eps}`);
    this.weight = new Parameter(this.arena, [normalizedSize]);
    this.weight.data.fill(1);
    this.bias = new Parameter(this.arena, [normalizedSize]);
    this.outs = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  protected override localState(): ReadonlyArray<readonly [string, StateValue]> {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
    ];
  }

  forward(x: Tensor): Tensor {
    const d = this.normalizedSize;
    if (x.shape.length < 2 || x.shape[x.shape.length - 1] !== d) {
      throw new RangeError(`${this.describe()}: expected input [N, …, ${d}], got ${formatShape(x.shape)}`);
    }
    const rows = x.size / d;
    const y = this.outs.like(x);
    if (this.mean.length < rows) {
      this.mean = new Float64Array(rows);
      this.invStd = new Float64Array(rows);
    }
    const xd = x.data;
    const yd = y.data;
    const g = this.weight.data;
    const b = this.bias.data;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += xd[o + j]!;
      const mean = s / d;
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const c = xd[o + j]! - mean;
        ss += c * c;
      }
      const inv = 1 / Math.sqrt(ss / d + this.eps);
      this.mean[r] = mean;
      this.invStd[r] = inv;
      for (let j = 0; j < d; j++) yd[o + j] = (xd[o + j]! - mean) * inv * g[j]! + b[j]!;
    }
    this.x = x;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    const x = this.x!;
    const d = this.normalizedSize;
    const rows = x.size / d;
    const dx = this.inputGrad ? this.grads.like(x) : null;
    const dxd = dx ? dx.data : null;
    const xd = x.data;
    const dy = dOut.data;
    const g = this.weight.data;
    const dg = this.weight.grad.data;
    const db = this.bias.grad.data;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      const mean = this.mean[r]!;
      const inv = this.invStd[r]!;
      // dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy ⊙ weight.
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < d; j++) {
        const xhat = (xd[o + j]! - mean) * inv;
        dg[j]! += dy[o + j]! * xhat;
        db[j]! += dy[o + j]!;
        const gh = dy[o + j]! * g[j]!;
        sumG += gh;
        sumGX += gh * xhat;
      }
      if (!dxd) continue;
      const mG = sumG / d;
      const mGX = sumGX / d;
      for (let j = 0; j < d; j++) {
        const xhat = (xd[o + j]! - mean) * inv;
        dxd[o + j] = inv * (dy[o + j]! * g[j]! - mG - xhat * mGX);
      }
    }
    return dx;
  }

  describe(): string {
    return `LayerNorm(${this.normalizedSize}, eps ${this.eps})`;
  }
}
