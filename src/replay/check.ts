/** Argument checks shared by the replay classes; each error names the value and what is allowed. */
import type { ReplayArray, ReplayBatch, ReplayState } from "./types.js";

export function checkInt(what: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${what} must be ${range}, got ${value}`);
  }
  return value;
}

export function checkGamma(what: string, gamma: number): number {
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`${what}: gamma must be in [0, 1], got ${gamma}`);
  return gamma;
}

export function checkLength(what: string, arr: ArrayLike<unknown>, expected: number): void {
  if (arr.length !== expected) throw new RangeError(`${what} must have length ${expected}, got ${arr.length}`);
}

/** Validates a `sample(batchSize, out)` request against the batch object and the stored count. */
export function checkSample(who: string, batchSize: number, out: ReplayBatch<Float32Array | Uint8Array>, stored: number): void {
  // Messages are built only on failure: this runs on every sample (no allocation in steady state).
  if (!Number.isInteger(batchSize) || batchSize < 1) checkInt(`${who}.sample: batchSize`, batchSize, 1);
  if (batchSize > out.capacity) {
    throw new RangeError(`${who}.sample: batchSize ${batchSize} exceeds the batch object's capacity ${out.capacity}; create it with createBatch(${batchSize})`);
  }
  if (batchSize > stored) {
    throw new RangeError(`${who}.sample: batchSize ${batchSize} exceeds the ${stored} transitions that can be sampled; add more first`);
  }
}

/** Copies `state.arrays[name]` into `dst`, checking type and length. */
export function loadArray(who: string, state: ReplayState, name: string, dst: ReplayArray): void {
  const src = state.arrays[name];
  if (src === undefined) throw new Error(`${who}.load: missing array "${name}"`);
  if (src.constructor !== dst.constructor || src.length !== dst.length) {
    throw new Error(`${who}.load: array "${name}" must be ${dst.constructor.name}[${dst.length}], got ${src.constructor.name}[${src.length}]`);
  }
  dst.set(src as never);
}

/** Compares a stored header field with this buffer's configuration. */
export function checkHeader(who: string, state: ReplayState, field: string, expected: unknown): void {
  const got = state.header[field];
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(`${who}.load: checkpoint has ${field} ${JSON.stringify(got)}, this buffer has ${JSON.stringify(expected)}`);
  }
}

export function headerNumber(who: string, state: ReplayState, field: string): number {
  const v = state.header[field];
  if (typeof v !== "number") throw new Error(`${who}.load: header field "${field}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function headerRng(who: string, state: ReplayState): number[] {
  const v = state.header["rng"];
  if (!Array.isArray(v) || !v.every((w) => typeof w === "number")) {
    throw new Error(`${who}.load: header field "rng" must be an array of numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}
