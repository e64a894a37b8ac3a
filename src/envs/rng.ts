/**
 * numpy-compatible random numbers: `np.random.Generator(PCG64(SeedSequence(seed)))`,
 * which is what `gymnasium.utils.seeding.np_random(seed)` builds. Same seed, same
 * stream, bit for bit, so environments reproduce Gymnasium's tracks, terrain and
 * initial states.
 *
 * The 128-bit LCG state is kept as eight 16-bit limbs in a Float64Array so the
 * multiply stays exact in doubles without BigInt (BigInt costs ~1 µs per draw).
 */

// SeedSequence constants (numpy/random/bit_generator.pyx).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

/** PCG_DEFAULT_MULTIPLIER_128 = 2549297995355413924 * 2^64 + 4865540595714422341, as 16-bit limbs, least significant first. */
const MULT_LIMBS = limbsFromBigInt((2549297995355413924n << 64n) + 4865540595714422341n);

const TWO32 = 4294967296;
const TWO16 = 65536;

function limbsFromBigInt(x: bigint): Float64Array {
  const out = new Float64Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((x >> BigInt(16 * i)) & 0xffffn);
  return out;
}

function bigIntFromLimbs(l: Float64Array): bigint {
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 16n) | BigInt(l[i]!);
  return x;
}

/** Converts a non-negative integer seed (or array of them) to uint32 words, as numpy's `_coerce_to_uint32_array`. */
function coerceToUint32Array(seed: number | bigint | readonly (number | bigint)[]): number[] {
  if (Array.isArray(seed)) return (seed as readonly (number | bigint)[]).flatMap((s) => coerceToUint32Array(s));
  let x = BigInt(seed as number | bigint);
  if (x < 0n) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  if (x === 0n) return [0];
  const words: number[] = [];
  while (x > 0n) {
    words.push(Number(x & 0xffffffffn));
    x >>= 32n;
  }
  return words;
}

/** numpy's SeedSequence without spawn keys: mixes the entropy into a 4-word pool. */
export class SeedSequence {
  readonly pool: Uint32Array;
  readonly entropy: number | bigint | readonly (number | bigint)[];

  constructor(entropy: number | bigint | readonly (number | bigint)[]) {
    const check = (v: number | bigint) => {
      if (typeof v === "number" && (!Number.isInteger(v) || v < 0)) {
        throw new RangeError(`seed must be a non-negative integer, got ${v}`);
      }
    };
    if (Array.isArray(entropy)) (entropy as readonly (number | bigint)[]).forEach(check);
    else check(entropy as number | bigint);
    this.entropy = entropy;
    this.pool = this.mixEntropy(coerceToUint32Array(entropy));
  }

  private mixEntropy(entropy: number[]): Uint32Array {
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      value = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      let r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      r = (r ^ (r >>> XSHIFT)) >>> 0;
      return r;
    };
    const mixer = new Uint32Array(POOL_SIZE);
    for (let i = 0; i < POOL_SIZE; i++) mixer[i] = hashmix(i < entropy.length ? entropy[i]! : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) mixer[dst] = mix(mixer[dst]!, hashmix(mixer[src]!));
      }
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) mixer[dst] = mix(mixer[dst]!, hashmix(entropy[src]!));
    }
    return mixer;
  }

  /** `generate_state(nWords)` as uint32 words. */
  generateState(nWords: number): Uint32Array {
    let hashConst = INIT_B;
    const out = new Uint32Array(nWords);
    for (let i = 0; i < nWords; i++) {
      let v = this.pool[i % POOL_SIZE]!;
      v = (v ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      v = Math.imul(v, hashConst) >>> 0;
      out[i] = (v ^ (v >>> XSHIFT)) >>> 0;
    }
    return out;
  }
}

/** Serializable generator state (for checkpoints). */
export interface PCG64State {
  state: string;
  inc: string;
  hasUint32: boolean;
  uinteger: number;
}

/** The PCG64 bit generator (XSL-RR output on a 128-bit LCG), numpy's default. */
export class PCG64 {
  private readonly s = new Float64Array(8);
  private readonly inc = new Float64Array(8);
  private readonly tmp = new Float64Array(8);
  /** Output of the last step as two uint32 halves. */
  private outHi = 0;
  private outLo = 0;
  private hasUint32 = false;
  private uinteger = 0;

  constructor(seedSeq: SeedSequence) {
    // generate_state(4, uint64) = 8 uint32 words paired little-endian.
    const w = seedSeq.generateState(8);
    const u64 = (i: number) => (BigInt(w[2 * i + 1]!) << 32n) | BigInt(w[2 * i]!);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    const mask = (1n << 128n) - 1n;
    this.inc.set(limbsFromBigInt(((initSeq << 1n) | 1n) & mask));
    this.s.fill(0);
    this.step();
    this.s.set(limbsFromBigInt((bigIntFromLimbs(this.s) + initState) & mask));
    this.step();
  }

  /** state = state * MULT + inc (mod 2^128), on 16-bit limbs. */
  private step(): void {
    const s = this.s;
    const t = this.tmp;
    const m = MULT_LIMBS;
    for (let k = 0; k < 8; k++) {
      let acc = this.inc[k]!;
      for (let i = 0; i <= k; i++) acc += s[i]! * m[k - i]!;
      t[k] = acc;
    }
    let carry = 0;
    for (let k = 0; k < 8; k++) {
      const v = t[k]! + carry;
      const lo = v % TWO16;
      s[k] = lo;
      carry = (v - lo) / TWO16;
    }
  }

  /** Advances and computes the XSL-RR output into outHi/outLo. */
  private next(): void {
    this.step();
    const s = this.s;
    // xored = high64 ^ low64, as two uint32 halves.
    const lo = ((s[0]! + s[1]! * TWO16) ^ (s[4]! + s[5]! * TWO16)) >>> 0;
    const hi = ((s[2]! + s[3]! * TWO16) ^ (s[6]! + s[7]! * TWO16)) >>> 0;
    const rot = (s[7]! >>> 10) & 63; // state >> 122
    if (rot === 0) {
      this.outHi = hi;
      this.outLo = lo;
    } else if (rot < 32) {
      this.outLo = ((lo >>> rot) | (hi << (32 - rot))) >>> 0;
      this.outHi = ((hi >>> rot) | (lo << (32 - rot))) >>> 0;
    } else if (rot === 32) {
      this.outLo = hi;
      this.outHi = lo;
    } else {
      const r = rot - 32;
      this.outLo = ((hi >>> r) | (lo << (32 - r))) >>> 0;
      this.outHi = ((lo >>> r) | (hi << (32 - r))) >>> 0;
    }
  }

  /** Next raw 64-bit output as a BigInt (slow path; for tests and 64-bit bounded draws). */
  nextUint64(): bigint {
    this.next();
    return (BigInt(this.outHi) << 32n) | BigInt(this.outLo);
  }

  /** numpy's next_double: (x >> 11) * 2^-53. */
  nextDouble(): number {
    this.next();
    return (this.outHi * 2097152 + (this.outLo >>> 11)) * 1.1102230246251565e-16;
  }

  /** numpy's pcg64_next32: low half first, the high half buffered for the next call. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.next();
    this.hasUint32 = true;
    this.uinteger = this.outHi;
    return this.outLo;
  }

  getState(): PCG64State {
    return {
      state: bigIntFromLimbs(this.s).toString(),
      inc: bigIntFromLimbs(this.inc).toString(),
      hasUint32: this.hasUint32,
      uinteger: this.uinteger,
    };
  }

  setState(st: PCG64State): void {
    this.s.set(limbsFromBigInt(BigInt(st.state)));
    this.inc.set(limbsFromBigInt(BigInt(st.inc)));
    this.hasUint32 = st.hasUint32;
    this.uinteger = st.uinteger >>> 0;
  }
}

/** numpy's `Generator` methods that Gymnasium's environments and spaces use. */
export class Generator {
  constructor(readonly bitGenerator: PCG64) {}

  /** Uniform double in [0, 1). */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `uniform(low, high)`: low + (high - low) * random(). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.bitGenerator.nextDouble();
  }

  /** `uniform(low, high, size)` into a new or given array. */
  uniformArray(low: number, high: number, size: number, out: Float64Array = new Float64Array(size)): Float64Array {
    for (let i = 0; i < size; i++) out[i] = low + (high - low) * this.bitGenerator.nextDouble();
    return out;
  }

  /**
   * `integers(low, high)` with numpy's default int64 dtype, `endpoint=False`:
   * a draw in [low, high). With one argument, [0, low). Uses Lemire's method on
   * buffered 32-bit outputs when the range fits, exactly as numpy does.
   */
  integers(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new RangeError(`integers(low, high) needs safe integers, got low=${low}, high=${high}`);
    }
    if (high <= low) throw new RangeError(`integers: high (${high}) must be greater than low (${low})`);
    const rng = high - low - 1;
    if (rng === 0) return low;
    if (rng <= 0xffffffff) {
      if (rng === 0xffffffff) return low + this.bitGenerator.nextUint32();
      return low + this.boundedLemire32(rng);
    }
    return low + Number(this.boundedLemire64(BigInt(rng)));
  }

  private boundedLemire32(rng: number): number {
    const rngExcl = rng + 1;
    // m = x * rngExcl is < 2^64; split x into 16-bit halves to keep the product exact.
    let x = this.bitGenerator.nextUint32();
    let leftover = mulLow32(x, rngExcl);
    if (leftover < rngExcl) {
      const threshold = (0xffffffff - rng) % rngExcl;
      while (leftover < threshold) {
        x = this.bitGenerator.nextUint32();
        leftover = mulLow32(x, rngExcl);
      }
    }
    return mulHigh32(x, rngExcl);
  }

  private boundedLemire64(rng: bigint): bigint {
    const rngExcl = rng + 1n;
    const M64 = (1n << 64n) - 1n;
    let m = this.bitGenerator.nextUint64() * rngExcl;
    let leftover = m & M64;
    if (leftover < rngExcl) {
      const threshold = (M64 - rng) % rngExcl;
      while (leftover < threshold) {
        m = this.bitGenerator.nextUint64() * rngExcl;
        leftover = m & M64;
      }
    }
    return m >> 64n;
  }

  getState(): PCG64State {
    return this.bitGenerator.getState();
  }

  setState(state: PCG64State): void {
    this.bitGenerator.setState(state);
  }
}

/** Low 32 bits of a*b for uint32 a, b. */
function mulLow32(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/** High 32 bits of a*b for uint32 a, b (b ≤ 2^32). */
function mulHigh32(a: number, b: number): number {
  const aHi = Math.floor(a / TWO16);
  const aLo = a % TWO16;
  const bHi = Math.floor(b / TWO16);
  const bLo = b % TWO16;
  const lolo = aLo * bLo;
  const mid = aHi * bLo + aLo * bHi + Math.floor(lolo / TWO16);
  return Math.floor((aHi * bHi * TWO16 + mid) / TWO16) % TWO32;
}

/** Fresh OS entropy for unseeded generators, as numpy does when seed is None. */
function randomEntropy(): bigint {
  const w = new Uint32Array(4);
  globalThis.crypto.getRandomValues(w);
  return (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
}

/**
 * `gymnasium.utils.seeding.np_random(seed)`: a Generator and the seed used.
 * Without a seed the generator draws OS entropy.
 */
export function npRandom(seed?: number): Generator {
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
    throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  }
  return new Generator(new PCG64(new SeedSequence(seed ?? randomEntropy())));
}
