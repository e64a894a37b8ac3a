/**
 * Gymnasium's `Discrete` and `Box` spaces. Each space has its own generator, seeded
 * by `seed()`, as in Gymnasium, so `actionSpace.sample()` is reproducible and does
 * not disturb the env's stream.
 */
import { type Generator, npRandom } from "./rng.js";

export type BoxDType = "float32" | "float64" | "uint8";
type BoxArray = Float32Array | Float64Array | Uint8Array;

export abstract class Space<T> {
  protected rng: Generator | undefined;
  abstract readonly shape: readonly number[];

  /** Seeds this space's sampler. */
  seed(seed?: number): void {
    this.rng = npRandom(seed);
  }

  protected get npRandom(): Generator {
    this.rng ??= npRandom();
    return this.rng;
  }

  abstract sample(): T;
  abstract contains(x: unknown): boolean;
  /** Human-readable form used in error messages, e.g. `Discrete(4)`. */
  abstract toString(): string;
}

/** `{start, …, start + n - 1}`. */
export class Discrete extends Space<number> {
  readonly shape: readonly number[] = [];

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    super();
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
    if (!Number.isInteger(start)) throw new RangeError(`Discrete: start must be an integer, got ${start}`);
  }

  sample(): number {
    return this.start + this.npRandom.integers(this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/** A (possibly unbounded) box in R^shape with per-element bounds. */
export class Box<T extends BoxArray = Float32Array> extends Space<T> {
  readonly low: T;
  readonly high: T;
  readonly shape: readonly number[];
  readonly size: number;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape: readonly number[],
    readonly dtype: BoxDType = "float32",
  ) {
    super();
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new RangeError(`Box: shape must be positive integers, got ${JSON.stringify(shape)}`);
    }
    this.shape = [...shape];
    this.size = shape.reduce((a, b) => a * b, 1);
    this.low = this.full(low, "low");
    this.high = this.full(high, "high");
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i]! <= this.high[i]!)) throw new RangeError(`Box: low[${i}]=${this.low[i]} > high[${i}]=${this.high[i]}`);
    }
  }

  private full(v: number | ArrayLike<number>, what: string): T {
    const a = this.alloc();
    if (typeof v === "number") a.fill(v);
    else {
      if (v.length !== this.size) throw new RangeError(`Box: ${what} has ${v.length} elements, shape needs ${this.size}`);
      a.set(Array.from(v));
    }
    return a;
  }

  private alloc(): T {
    const n = this.size;
    return (this.dtype === "float32" ? new Float32Array(n) : this.dtype === "float64" ? new Float64Array(n) : new Uint8Array(n)) as T;
  }

  /**
   * Gymnasium's sampling: uniform on bounded coordinates (the same draws as numpy),
   * integer dtypes the closed interval by flooring. Half-bounded and unbounded
   * coordinates get exponential and normal draws by inversion and Box–Muller, which
   * differ from numpy's ziggurat streams (no Gymnasium action space is unbounded).
   */
  sample(): T {
    const out = this.alloc();
    const g = this.npRandom;
    const isInt = this.dtype === "uint8";
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i]!;
      const hi = isInt ? this.high[i]! + 1 : this.high[i]!;
      const loB = Number.isFinite(lo);
      const hiB = Number.isFinite(hi);
      let v: number;
      if (loB && hiB) v = g.uniform(lo, hi);
      else if (loB) v = lo - Math.log(1 - g.random());
      else if (hiB) v = hi + Math.log(1 - g.random());
      else v = Math.sqrt(-2 * Math.log(1 - g.random())) * Math.cos(2 * Math.PI * g.random());
      out[i] = isInt ? Math.min(Math.floor(v), this.high[i]!) : v;
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!(ArrayBuffer.isView(x) || Array.isArray(x))) return false;
    const a = x as ArrayLike<number>;
    if (a.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = a[i]!;
      if (typeof v !== "number" || !(v >= this.low[i]! && v <= this.high[i]!)) return false;
    }
    return true;
  }

  toString(): string {
    const lo = this.low.every((v) => v === this.low[0]) ? String(this.low[0]) : `[${Array.from(this.low).join(", ")}]`;
    const hi = this.high.every((v) => v === this.high[0]) ? String(this.high[0]) : `[${Array.from(this.high).join(", ")}]`;
    return `Box(${lo}, ${hi}, (${this.shape.join(", ")}${this.shape.length === 1 ? "," : ""}), ${this.dtype})`;
  }
}

/** An action as a message shows it: numbers as JavaScript prints them (NaN and Infinity included, which JSON turns into null). */
export function formatAction(action: unknown): string {
  if (typeof action === "number") return String(action);
  if (ArrayBuffer.isView(action) || Array.isArray(action)) {
    return `[${Array.from(action as unknown as ArrayLike<unknown>, (v) => (typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v)))).join(", ")}]`;
  }
  return JSON.stringify(action) ?? String(action);
}

/** Throws a clear error when `action` is outside `space`. */
export function assertAction(envName: string, space: Space<unknown>, action: unknown): void {
  if (!space.contains(action)) {
    throw new RangeError(`${envName}: action ${formatAction(action)} is not in the action space ${space.toString()}`);
  }
}
