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
   * `uniform()` draws written to out[0, n), in order. For per-row loops on the hot path: a call
   * that returns a double allocates a heap number whenever the optimizer does not inline it.
   */
  fillUniform(out: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) out[i] = this.nextU32() * INV_TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
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
