/**
 * A small seeded generator for weight initialisation: xoshiro128** (Blackman & Vigna)
 * seeded through splitmix32. Its whole state is four uint32 words, so checkpoints can
 * store it and resume the same stream.
 */

export type RngState = [number, number, number, number];

function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [x, (z ^ (z >>> 16)) >>> 0];
}

export class Rng {
  private s = new Uint32Array(4);
  /**
   * The last uint32 and the last uniform double. Internal draws pass numbers through these
   * rather than through return values: a call the optimizer does not inline boxes a returned
   * double (or a uint32 ≥ 2^30) in a fresh heap number, and the acting path draws per step.
   */
  private readonly word = new Uint32Array(1);
  private readonly unit = new Float64Array(1);

  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng: seed must be a safe integer, got ${seed}`);
    // Fold both halves of the seed in so seeds above 2^32 differ.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2d);
    for (let i = 0; i < 4; i++) {
      const [nx, out] = splitmix32(x);
      x = nx;
      this.s[i] = out;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The next uint32. */
  nextUint32(): number {
    this.advance();
    return this.word[0]!;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  random(): number {
    this.drawUnit();
    return this.unit[0]!;
  }

  /** `random() < p`, without a number crossing a call. */
  below(p: number): boolean {
    this.drawUnit();
    return this.unit[0]! < p;
  }

  /** ⌊random() · n⌋: a uniform index in [0, n) for integer n. */
  index(n: number): number {
    this.drawUnit();
    return Math.floor(this.unit[0]! * n);
  }

  /** Fills `out` with standard normal draws, each Box–Muller on 1 − random() and random() (as `standardNormal`). */
  fillStandardNormal(out: Float32Array): void {
    for (let i = 0; i < out.length; i++) {
      this.drawUnit();
      const u1 = 1 - this.unit[0]!;
      this.drawUnit();
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.unit[0]!);
    }
  }

  /** Fills `out` with (nextUint32() >>> 8) / 2^24: uniform floats in [0, 1) with 24 random bits. */
  fillUniform24(out: Float32Array): void {
    for (let i = 0; i < out.length; i++) {
      this.advance();
      out[i] = (this.word[0]! >>> 8) / 16777216;
    }
  }

  /** Steps xoshiro128** and leaves the output in `word`. */
  private advance(): void {
    const s = this.s;
    // The rotations are written out: a call to a helper boxes any int32 outside the small-integer range.
    const x = Math.imul(s[1]!, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = (s[3]! << 11) | (s[3]! >>> 21);
    this.word[0] = result;
  }

  /** Leaves a uniform double in [0, 1) with 53 random bits in `unit`. */
  private drawUnit(): void {
    this.advance();
    const hi = this.word[0]! >>> 5;
    this.advance();
    this.unit[0] = (hi * 67108864 + (this.word[0]! >>> 6)) / 9007199254740992;
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  state(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new RangeError(`Rng.setState: expected 4 uint32 words, got ${JSON.stringify(state)}`);
    }
    if (state.every((w) => w === 0)) throw new RangeError("Rng.setState: the all-zero state is invalid for xoshiro128**");
    this.s.set(state);
  }
}
