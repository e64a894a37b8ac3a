/**
 * Dropout with PyTorch semantics (`torch.nn.Dropout`): in training mode each element is zeroed
 * with probability p and the survivors are scaled by 1/(1 − p) (inverted dropout, so eval mode
 * is the identity). The mask comes from a seeded stream given at construction, so a run's
 * masks follow from its seed; the mask is kept for backward.
 */
import { BufferCache, checkGrad, Module } from "./module.js";
import { Rng } from "./rng.js";
import type { Arena, Tensor } from "./tensor.js";

export interface DropoutOptions {
  /** The stream masks are drawn from (default: a fresh `Rng(0)`). */
  rng?: Rng | undefined;
  arena?: Arena | undefined;
}

export class Dropout extends Module {
  private readonly rng: Rng;
  /** 1/(1 − p) in float32, as PyTorch scales its mask. */
  private readonly scale: number;
  /** A uint32 below this drops the element: P = p up to 2⁻³². */
  private readonly dropBelow: number;
  private readonly outs: BufferCache;
  private readonly masks: BufferCache;
  private readonly grads: BufferCache;
  private mask: Tensor | null = null;
  private y: Tensor | null = null;

  constructor(
    readonly p: number,
    opts: DropoutOptions = {},
  ) {
    super(opts.arena);
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = opts.rng ?? new Rng(0);
    this.scale = Math.fround(1 / Math.fround(1 - p));
    this.dropBelow = Math.round(p * 4294967296);
    this.outs = new BufferCache(this.arena);
    this.masks = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) {
      this.mask = null;
      return (this.y = x);
    }
    const y = this.outs.like(x);
    const mask = this.masks.like(x);
    // Views after the allocations: they may grow the memory.
    const xd = x.data;
    const yd = y.data;
    const md = mask.data;
    for (let i = 0; i < xd.length; i++) {
      const m = this.rng.nextUint32() < this.dropBelow ? 0 : this.scale;
      md[i] = m;
      yd[i] = xd[i]! * m;
    }
    this.mask = mask;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    if (!this.inputGrad) return null;
    if (this.mask === null) return dOut;
    const dx = this.grads.like(dOut);
    const dd = dOut.data;
    const md = this.mask.data;
    const out = dx.data;
    for (let i = 0; i < out.length; i++) out[i] = dd[i]! * md[i]!;
    return dx;
  }

  describe(): string {
    return `Dropout(p=${this.p})`;
  }
}
