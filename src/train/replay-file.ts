/**
 * The replay buffer as a safetensors file. Storage that was never written is zero
 * (typed arrays start zeroed), so each array is written as its nonzero extents only:
 * a 1e7-transition buffer 3,000 steps in writes about 3,000 transitions, not its capacity.
 * The metadata holds the buffer's header, every array's type and full length, and the id
 * of the checkpoint the file belongs to.
 */
import { type DType, type SafeTensorsFile, safeTensorsParts, type TensorInput } from "../nn/safetensors.js";
import type { Json, ReplayArray, ReplayState } from "../replay/index.js";
import { brief } from "../util/text.js";
import { MetaCheck } from "./meta-check.js";

export const REPLAY_FORMAT = "deepq-replay/1";

const ARRAY_TYPES = {
  Float32Array: { ctor: Float32Array, dtype: "F32" },
  Float64Array: { ctor: Float64Array, dtype: "F64" },
  Int32Array: { ctor: Int32Array, dtype: "I32" },
  Uint8Array: { ctor: Uint8Array, dtype: "U8" },
} as const satisfies Record<string, { ctor: { new (n: number): ReplayArray }; dtype: DType }>;
type ArrayType = keyof typeof ARRAY_TYPES;

/** A zero run shorter than this many bytes is written rather than skipped. */
const MIN_SKIP_BYTES = 1 << 16;
/** Extents per array are at most half this many blocks, so headers stay small for any capacity. */
const MAX_BLOCKS = 512;

/**
 * Element ranges [begin, end) of `a` that hold a nonzero byte (-0 and NaN payloads count):
 * zero runs of at least a block are skipped, and each range is trimmed to its first and
 * last nonzero element.
 */
export function nonzeroExtents(a: ReplayArray): Array<[number, number]> {
  const bytes = a.byteLength;
  const el = a.BYTES_PER_ELEMENT;
  const blockBytes = Math.max(MIN_SKIP_BYTES, Math.ceil(bytes / MAX_BLOCKS / 8) * 8);
  const perBlock = blockBytes / el;
  // Blocks (whole multiples of 8 bytes) are scanned in 32-bit words where the alignment allows it, else in bytes.
  const wide = a.byteOffset % 4 === 0 && bytes % 4 === 0;
  const view = wide ? new Uint32Array(a.buffer, a.byteOffset, bytes / 4) : new Uint8Array(a.buffer, a.byteOffset, bytes);
  const unit = view.BYTES_PER_ELEMENT;
  const raw = new Uint8Array(a.buffer, a.byteOffset, bytes);
  const zero = (element: number) => {
    for (let i = element * el, stop = i + el; i < stop; i++) if (raw[i] !== 0) return false;
    return true;
  };
  const out: Array<[number, number]> = [];
  for (let begin = 0; begin < a.length; begin += perBlock) {
    const end = Math.min(a.length, begin + perBlock);
    let nonzero = false;
    for (let i = (begin * el) / unit, stop = (end * el) / unit; i < stop; i++) {
      if (view[i] !== 0) {
        nonzero = true;
        break;
      }
    }
    if (!nonzero) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === begin) last[1] = end;
    else out.push([begin, end]);
  }
  for (const range of out) {
    while (zero(range[0])) range[0]++;
    while (zero(range[1] - 1)) range[1]--;
  }
  return out;
}

function arrayType(a: ReplayArray): ArrayType {
  const name = a.constructor.name;
  if (!Object.hasOwn(ARRAY_TYPES, name)) throw new Error(`replay file: cannot store a ${name}`);
  return name as ArrayType;
}

/** The replay file's bytes, as parts for `writeFileAtomic`; the arrays are read, not copied. */
export function replayFileParts(state: ReplayState, checkpointId: string): Uint8Array[] {
  const tensors = new Map<string, TensorInput>();
  const arrays: Record<string, { type: ArrayType; length: number }> = {};
  for (const [name, a] of Object.entries(state.arrays)) {
    arrays[name] = { type: arrayType(a), length: a.length };
    for (const [begin, end] of nonzeroExtents(a)) tensors.set(`${name}@${begin}`, { data: a.subarray(begin, end), shape: [end - begin] });
  }
  const meta = { format: REPLAY_FORMAT, checkpoint: checkpointId, header: state.header, arrays };
  return safeTensorsParts(tensors, { "deepq-replay": JSON.stringify(meta) });
}

/** The checkpoint id a replay file says it belongs to (checked before its arrays are rebuilt). */
export function replayCheckpointId(file: SafeTensorsFile, source: string): string {
  return readReplayMeta(file, source).checkpoint;
}

function readReplayMeta(file: SafeTensorsFile, source: string): { checkpoint: string; header: Record<string, unknown>; arrays: Record<string, unknown> } {
  const raw = file.metadata["deepq-replay"];
  if (raw === undefined) throw new Error(`${source}: no "deepq-replay" metadata; is this a deepq replay file?`);
  let meta: unknown;
  try {
    meta = JSON.parse(raw) as unknown;
  } catch {
    throw new Error(`${source}: the "deepq-replay" metadata is not valid JSON`);
  }
  const c = new MetaCheck(source);
  const m = c.object("metadata", meta);
  if (m.format !== REPLAY_FORMAT) throw new Error(`${source}: format is ${brief(m.format)}, expected "${REPLAY_FORMAT}"`);
  return { checkpoint: c.string("checkpoint", m.checkpoint), header: c.object("header", m.header), arrays: c.object("arrays", m.arrays) };
}

/**
 * Rebuilds the replay state from a parsed file. `maxBytes` bounds what the file may ask
 * to allocate (the buffer's own size), so a crafted length fails with a message, not an
 * out-of-memory crash; the buffer's `load` then checks every array against its layout.
 */
export function replayStateFromFile(file: SafeTensorsFile, source: string, maxBytes: number): ReplayState {
  const meta = readReplayMeta(file, source);
  const c = new MetaCheck(source);
  const arrays: Record<string, ReplayArray> = {};
  let total = 0;
  for (const [name, spec] of Object.entries(meta.arrays)) {
    const s = c.object(`arrays.${name}`, spec);
    const type = s.type;
    if (typeof type !== "string" || !Object.hasOwn(ARRAY_TYPES, type)) c.fail(`arrays.${name}.type`, type, Object.keys(ARRAY_TYPES).join(" | "));
    const { ctor } = ARRAY_TYPES[type as ArrayType];
    const length = c.int(`arrays.${name}.length`, s.length, 0);
    total += length * ctor.BYTES_PER_ELEMENT;
    if (total > maxBytes) c.fail(`arrays.${name}.length`, length, `arrays that fit this replay buffer's ${maxBytes} bytes`);
    arrays[name] = new ctor(length);
  }
  for (const [key, t] of file.tensors) {
    const at = key.lastIndexOf("@");
    const name = key.slice(0, at);
    const dst = at > 0 && Object.hasOwn(arrays, name) ? arrays[name]! : c.fail("tensor", key, "<array>@<offset> naming an array of the metadata");
    const begin = Number(key.slice(at + 1));
    if (!Number.isSafeInteger(begin) || begin < 0 || begin + t.data.length > dst.length)
      c.fail(`tensor ${brief(key, 60)} offset`, key.slice(at + 1), `an offset within the ${dst.length} elements of "${name}"`);
    if (t.dtype !== ARRAY_TYPES[arrayType(dst)].dtype) c.fail(`tensor ${brief(key, 60)} dtype`, t.dtype, ARRAY_TYPES[arrayType(dst)].dtype);
    dst.set(t.data as never, begin);
  }
  return { header: meta.header as { [key: string]: Json }, arrays };
}
