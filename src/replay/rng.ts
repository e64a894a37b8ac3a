/**
 * The replay buffers' own random source: xoshiro128** (Blackman & Vigna), seeded with
 * splitmix32.
 *
 * Why a private generator rather than an injected `() => number`: sampling draws B
 * numbers per update on the hot path, so a monomorphic method on a class with four
 * int32 words is cheaper than a closure; and a buffer that owns its generator can put
 * the generator's state in its own checkpoint, so resuming a run replays the same
 * minibatches without the caller having to remember which source fed the buffer.
 * Every random choice in `src/replay` (uniform indices, prioritized strata) flows from
 * the one `seed` given to the storage.
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

export class Xoshiro128 {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** `fillBelow`'s uniform draws, reused. */
  private draws = new Float64Array(0);

  /** `seed`: a non-negative safe integer; its high and low 32-bit halves both feed splitmix32. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`replay seed must be a non-negative safe integer, got ${seed}`);
    }
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x9e3779b9);
    const next = (): number => {
      // splitmix32 (Vigna's 32-bit variant): spreads a small seed over all four words
      // so seeds 0, 1, 2 give unrelated streams and the state is never all-zero.
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (enough for indices up to ~1e6: bias < n / 2³²). */
  uniform(): number {
    return this.nextU32() * INV_TWO_POW_32;
  }

  /**
   * `uniform()` draws written to out[0, n), in order. For per-row loops on the hot path. The
   * generator step is written out here, on locals, rather than calling `nextU32`: a call
   * the optimizer does not inline boxes its result in a fresh heap number when it is not a
   * small integer, and half of all uint32 values exceed V8's 31-bit small integers — so
   * whether sampling allocated depended on compile timing, differing from process to process.
   */
  fillUniform(out: Float64Array, n: number): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < n; i++) {
      const x = Math.imul(s1, 5);
      const result = Math.imul((x << 7) | (x >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = (result >>> 0) * INV_TWO_POW_32;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** `below(bound)` draws written to out[0, n), in order, allocation-free (see `fillUniform`). */
  fillBelow(out: Int32Array, n: number, bound: number): void {
    if (this.draws.length < n) this.draws = new Float64Array(n);
    const draws = this.draws;
    this.fillUniform(draws, n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(draws[i]! * bound);
  }

  /** The four state words, JSON-able, for checkpoints. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new RangeError(`replay RNG state must be 4 uint32 words, got ${JSON.stringify(state)}`);
    }
    if (state.every((w) => w === 0)) throw new RangeError("replay RNG state must not be all zeros (xoshiro would emit zeros forever)");
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
