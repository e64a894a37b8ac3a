/**
 * safetensors read/write: 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets }, __metadata__?: { string: string } }`,
 * then the raw little-endian tensor bytes. No code runs on load, which is why
 * checkpoints use it.
 */
import { brief, cut } from "../util/text.js";

export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

/** Typed array that holds each dtype; F16/BF16 stay as raw 16-bit words. */
export type DTypeArray = {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
};

export type TensorData = DTypeArray[DType];

export interface SafeTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface SafeTensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const CTOR = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as const;

const DTYPES = Object.keys(BYTES) as DType[];

/**
 * Header limits. The format allows 100 MB, but a JSON header that large parses into
 * gigabytes of objects; deepq's own files need well under 1 MiB, and PyTorch files of
 * networks this size a few KiB. A crafted file is refused before it is parsed.
 */
export const MAX_HEADER_BYTES = 16 * 2 ** 20;
/** Tensor entries a header may list (deepq's replay files, the largest, list a few hundred). */
export const MAX_TENSORS = 65_536;

export class SafeTensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafeTensorsError";
  }
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isDType(s: unknown): s is DType {
  return typeof s === "string" && (DTYPES as string[]).includes(s);
}

/** Parses a safetensors buffer; every structural problem is reported with the tensor and value at fault. */
export function parseSafeTensors(bytes: Uint8Array, source = "safetensors data"): SafeTensorsFile {
  if (bytes.byteLength < 8) {
    throw new SafeTensorsError(`${source}: file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > bytes.byteLength) {
    throw new SafeTensorsError(`${source}: header length ${headerLen} exceeds the file size ${bytes.byteLength} (truncated or not a safetensors file)`);
  }
  if (headerLen > MAX_HEADER_BYTES) {
    throw new SafeTensorsError(`${source}: header of ${headerLen} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or crafted file)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafeTensorsError(`${source}: header is not valid UTF-8 JSON (${cut((e as Error).message, 100)})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafeTensorsError(`${source}: header must be a JSON object`);
  }
  const entries = Object.entries(header as Record<string, unknown>);
  const count = entries.length - (Object.hasOwn(header, "__metadata__") ? 1 : 0);
  if (count > MAX_TENSORS) {
    throw new SafeTensorsError(`${source}: header lists ${count} tensors, more than the ${MAX_TENSORS} allowed (corrupt or crafted file)`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafeTensor>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of entries) {
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object") {
        throw new SafeTensorsError(`${source}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") throw new SafeTensorsError(`${source}: __metadata__.${cut(k, 60)} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const quoted = brief(name, 60);
    const e = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDType(e.dtype)) {
      throw new SafeTensorsError(`${source}: tensor ${quoted} has dtype ${brief(e.dtype)}; allowed: ${DTYPES.join(", ")}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafeTensorsError(`${source}: tensor ${quoted} has shape ${brief(e.shape)}; expected an array of non-negative integers`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw new SafeTensorsError(`${source}: tensor ${quoted} has data_offsets ${brief(offs)}; expected [begin, end] with begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    const shape = e.shape as number[];
    const expected = product(shape) * BYTES[e.dtype];
    if (end - begin !== expected) {
      throw new SafeTensorsError(`${source}: tensor ${quoted} (${e.dtype} ${brief(shape)}) needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataLen) {
      throw new SafeTensorsError(`${source}: tensor ${quoted} ends at byte ${end} but the data section has ${dataLen} bytes (truncated file)`);
    }
    spans.push([begin, end, name]);
    // Copy so the tensor is aligned for its typed array and independent of the input buffer
    // (Uint8Array's slice: a Node Buffer's own slice would return a view).
    const raw = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
    const data = new CTOR[e.dtype](raw.buffer, 0, product(shape));
    tensors.set(name, { dtype: e.dtype, shape, data } as SafeTensor);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) {
      throw new SafeTensorsError(`${source}: tensors ${brief(spans[i - 1]![2], 60)} and ${brief(spans[i]![2], 60)} overlap`);
    }
  }
  return { tensors, metadata };
}

/** Accepted inputs for serialization: a typed array whose element type implies the dtype, or an explicit tensor. */
export type TensorInput = SafeTensor | { data: TensorData; shape: number[]; dtype?: DType };

function inferDType(data: TensorData): DType {
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Float32Array) return "F32";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof BigUint64Array) return "U64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint32Array) return "U32";
  if (data instanceof Int16Array) return "I16";
  if (data instanceof Uint16Array) return "U16";
  if (data instanceof Int8Array) return "I8";
  return "U8";
}

/**
 * Serializes tensors in the given order (insertion order of the map/record) with
 * optional string metadata. Header is padded with spaces to an 8-byte boundary,
 * as the reference implementation does.
 */
export function serializeSafeTensors(tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array {
  const parts = safeTensorsParts(tensors, metadata);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** The file as consecutive byte ranges (length + header, then each tensor's own bytes, not copied). */
export function safeTensorsParts(tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array[] {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new SafeTensorsError(`tensor name "__metadata__" is reserved`);
    const dtype = t.dtype ?? inferDType(t.data);
    const n = product(t.shape);
    if (t.data.length !== n) {
      throw new SafeTensorsError(`tensor "${name}": shape ${JSON.stringify(t.shape)} has ${n} elements but data has ${t.data.length}`);
    }
    if (BYTES[dtype] !== t.data.BYTES_PER_ELEMENT) {
      throw new SafeTensorsError(`tensor "${name}": dtype ${dtype} needs ${BYTES[dtype]}-byte elements, data has ${t.data.BYTES_PER_ELEMENT}`);
    }
    const size = n * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, size));
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const head = new Uint8Array(8 + json.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  head.set(json, 8);
  return [head, ...parts];
}

/** Converts any numeric tensor to Float32Array (F16/BF16 decoded, integers cast). */
export function toFloat32(t: SafeTensor): Float32Array {
  const n = t.data.length;
  const out = new Float32Array(n);
  if (t.dtype === "F16") {
    const d = t.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = halfToFloat(d[i]!);
  } else if (t.dtype === "BF16") {
    const d = t.data as Uint16Array;
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = d[i]! << 16;
  } else if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(t.data[i]!);
  } else {
    out.set(t.data as Float32Array);
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
