/**
 * safetensors I/O: every dtype and the metadata round-trip; malformed files are rejected
 * with an error naming the problem; deepq's state dicts carry exactly the names, shapes,
 * dtypes and order PyTorch's modules produce (checked against the `init/*` groups of the
 * torch fixtures, which were written from the PyTorch models' state_dict()); and
 * load → save → load is the identity, for deepq's files and for every fixture file.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { BatchNorm2d, Conv2d, Linear } from "../../src/nn/layers.js";
import { Flatten, type Module, ReLU, Sequential } from "../../src/nn/module.js";
import { duelingMlp, mlp, natureCnn, smallCnn } from "../../src/nn/nets.js";
import {
  type DType,
  MAX_HEADER_BYTES,
  MAX_TENSORS,
  parseSafeTensors,
  type SafeTensor,
  SafeTensorsError,
  serializeSafeTensors,
  type TensorInput,
  toFloat32,
} from "../../src/nn/safetensors.js";
import { loadModule, readSafeTensorsFile, saveModule, writeSafeTensorsFile } from "../../src/nn/safetensors-fs.js";
import { fixturesDir, loadFixture } from "../helpers/fixtures.js";
import { group } from "./util.js";

// ---- helpers --------------------------------------------------------------------------------

/** A file from a raw header string and data bytes (the header length is the string's UTF-8 length). */
function rawFile(header: string, data: Uint8Array | number = 0): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
}

function assertSameTensor(a: SafeTensor, b: SafeTensor, what: string): void {
  assert.equal(a.dtype, b.dtype, `${what}: dtype`);
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  assert.equal(a.data.constructor, b.data.constructor, `${what}: array type`);
  assert.equal(a.data.length, b.data.length, `${what}: length`);
  // Bitwise: compare the bytes, so NaN payloads and −0 count too.
  const ab = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const bb = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  assert.ok(
    ab.every((v, i) => v === bb[i]),
    `${what}: data differs`,
  );
}

function assertSameTensors(a: ReadonlyMap<string, SafeTensor>, b: ReadonlyMap<string, SafeTensor>, what: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()], `${what}: names`);
  for (const [k, t] of a) assertSameTensor(t, b.get(k)!, `${what} ${k}`);
}

/** One tensor of each dtype, with awkward values (extremes, NaN, −0, subnormals). */
function everyDtype(): Map<string, SafeTensor> {
  const m = new Map<string, SafeTensor>();
  m.set("f64", { dtype: "F64", shape: [2, 3], data: Float64Array.of(0, -0, Math.PI, -1e308, 5e-324, NaN) });
  m.set("f32", { dtype: "F32", shape: [5], data: Float32Array.of(1.5, -0, 3.4028234663852886e38, 1.401298464324817e-45, Infinity) });
  m.set("f16", { dtype: "F16", shape: [2, 2], data: Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001) });
  m.set("bf16", { dtype: "BF16", shape: [3], data: Uint16Array.of(0x3f80, 0xbfc0, 0x7f80) });
  m.set("i64", { dtype: "I64", shape: [3], data: BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n) });
  m.set("i32", { dtype: "I32", shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) });
  m.set("i16", { dtype: "I16", shape: [2], data: Int16Array.of(-32768, 32767) });
  m.set("i8", { dtype: "I8", shape: [3], data: Int8Array.of(-128, 0, 127) });
  m.set("u64", { dtype: "U64", shape: [2], data: BigUint64Array.of(0n, 2n ** 64n - 1n) });
  m.set("u32", { dtype: "U32", shape: [1], data: Uint32Array.of(2 ** 32 - 1) });
  m.set("u16", { dtype: "U16", shape: [2], data: Uint16Array.of(0, 65535) });
  m.set("u8", { dtype: "U8", shape: [1, 3, 1], data: Uint8Array.of(0, 128, 255) });
  m.set("bool", { dtype: "BOOL", shape: [4], data: Uint8Array.of(1, 0, 0, 1) });
  m.set("scalar", { dtype: "F32", shape: [], data: Float32Array.of(42) });
  m.set("empty", { dtype: "F32", shape: [0, 7], data: new Float32Array(0) });
  return m;
}

// ---- round trips ----------------------------------------------------------------------------

describe("safetensors round trip", () => {
  it("every dtype, scalars and empty tensors, with metadata", () => {
    const tensors = everyDtype();
    const metadata = { format: "pt", json: JSON.stringify({ step: 3, note: "ünïcödé ✓", nested: { a: [1, 2] } }), empty: "" };
    const bytes = serializeSafeTensors(tensors, metadata);
    const f = parseSafeTensors(bytes);
    assertSameTensors(f.tensors, tensors, "round trip");
    assert.deepEqual(f.metadata, metadata);
    // Layout: header padded with spaces to a multiple of 8, tensors back to back in insertion order.
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLen % 8, 0);
    const header = headerOf(bytes);
    assert.deepEqual(header.__metadata__, metadata);
    let offset = 0;
    for (const [name, t] of tensors) {
      const e = header[name] as { dtype: DType; shape: number[]; data_offsets: [number, number] };
      assert.equal(e.dtype, t.dtype);
      assert.deepEqual(e.shape, t.shape);
      assert.deepEqual(e.data_offsets, [offset, offset + t.data.byteLength]);
      offset += t.data.byteLength;
    }
    assert.equal(bytes.byteLength, 8 + headerLen + offset);
    // Little-endian on disk.
    const f32Off = (header.f32 as { data_offsets: [number, number] }).data_offsets[0];
    assert.deepEqual([...bytes.subarray(8 + headerLen + f32Off, 8 + headerLen + f32Off + 4)], [0, 0, 0xc0, 0x3f]);
  });

  it("no metadata means no __metadata__ entry, and an empty file of tensors is valid", () => {
    const bytes = serializeSafeTensors({});
    assert.deepEqual(headerOf(bytes), {});
    const f = parseSafeTensors(bytes);
    assert.equal(f.tensors.size, 0);
    assert.deepEqual(f.metadata, {});
  });

  it("infers dtypes from typed arrays and serializes views at an offset", () => {
    const big = new Float32Array([9, 9, 1, 2, 3, 9]);
    const inputs: Record<string, TensorInput> = {
      view: { data: big.subarray(2, 5), shape: [3] },
      f64: { data: Float64Array.of(1), shape: [1] },
      i64: { data: BigInt64Array.of(-5n), shape: [1] },
      u64: { data: BigUint64Array.of(5n), shape: [1] },
      i32: { data: Int32Array.of(-1), shape: [1] },
      u32: { data: Uint32Array.of(1), shape: [1] },
      i16: { data: Int16Array.of(-1), shape: [1] },
      u16: { data: Uint16Array.of(1), shape: [1] },
      i8: { data: Int8Array.of(-1), shape: [1] },
      u8: { data: Uint8Array.of(1), shape: [1] },
    };
    const f = parseSafeTensors(serializeSafeTensors(inputs));
    assert.deepEqual([...(f.tensors.get("view")!.data as Float32Array)], [1, 2, 3]);
    const dtypes = Object.fromEntries([...f.tensors].map(([k, t]) => [k, t.dtype]));
    assert.deepEqual(dtypes, { view: "F32", f64: "F64", i64: "I64", u64: "U64", i32: "I32", u32: "U32", i16: "I16", u16: "U16", i8: "I8", u8: "U8" });
  });

  it("parses a Node Buffer (whose own slice is a view) into tensors of the right bytes", () => {
    const tensors = everyDtype();
    const f = parseSafeTensors(Buffer.from(serializeSafeTensors(tensors)));
    assertSameTensors(f.tensors, tensors, "from a Buffer");
  });

  it("parses from an unaligned view of a larger buffer, and the tensors do not alias the input", () => {
    const bytes = serializeSafeTensors(everyDtype(), { a: "b" });
    const host = new Uint8Array(bytes.byteLength + 3);
    host.set(bytes, 3);
    const f = parseSafeTensors(host.subarray(3));
    assertSameTensors(f.tensors, everyDtype(), "unaligned");
    const f64 = f.tensors.get("f64")!.data as Float64Array;
    host.fill(0);
    assert.equal(f64[2], Math.PI);
  });

  it("toFloat32 decodes F16, BF16, integers and F64", () => {
    const half = toFloat32({ dtype: "F16", shape: [8], data: Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x7e00) });
    assert.deepEqual([...half.subarray(0, 7)], [1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity]);
    assert.ok(Number.isNaN(half[7]));
    assert.deepEqual([...toFloat32({ dtype: "BF16", shape: [3], data: Uint16Array.of(0x3f80, 0xbfc0, 0x4049) })], [1, -1.5, 3.140625]);
    assert.deepEqual([...toFloat32({ dtype: "I64", shape: [2], data: BigInt64Array.of(-3n, 7n) })], [-3, 7]);
    assert.deepEqual([...toFloat32({ dtype: "U8", shape: [2], data: Uint8Array.of(0, 255) })], [0, 255]);
    assert.deepEqual([...toFloat32({ dtype: "F64", shape: [1], data: Float64Array.of(0.1) })], [Math.fround(0.1)]);
  });

  it("files: atomic write then read, metadata included; no temp files left", () => {
    const dir = mkdtempSync(join(tmpdir(), "deepq-st-"));
    try {
      const path = join(dir, "t.safetensors");
      writeSafeTensorsFile(path, everyDtype(), { x: "1" });
      writeSafeTensorsFile(path, everyDtype(), { x: "2" }); // overwrite in place
      const f = readSafeTensorsFile(path);
      assertSameTensors(f.tensors, everyDtype(), "file");
      assert.deepEqual(f.metadata, { x: "2" });
      assert.deepEqual(readdirSync(dir), ["t.safetensors"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- malformed input ------------------------------------------------------------------------

describe("safetensors rejects malformed files", () => {
  const f32Entry = (offs: unknown, shape: unknown = [2], dtype: unknown = "F32") => JSON.stringify({ t: { dtype, shape, data_offsets: offs } });
  const reject = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(
      () => parseSafeTensors(bytes, "bad.safetensors"),
      (e: unknown) => {
        assert.ok(e instanceof SafeTensorsError, `expected SafeTensorsError, got ${String(e)}`);
        assert.match(e.message, /^bad\.safetensors: /, "the message names the source");
        assert.match(e.message, re);
        return true;
      },
    );

  it("files shorter than the 8-byte length prefix", () => {
    reject(new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/);
    reject(new Uint8Array(7), /7 bytes, shorter than the 8-byte header length/);
  });

  it("a header length beyond the end of the file (truncated header) or absurdly large", () => {
    const good = serializeSafeTensors(everyDtype());
    const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
    reject(good.subarray(0, 8 + headerLen - 1), /header length \d+ exceeds the file size/);
    reject(good.subarray(0, 20), /truncated or not a safetensors file/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    reject(huge, /exceeds the file size/);
    // Not a safetensors file at all: the first 8 bytes of a PNG read as a length.
    reject(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), /exceeds the file size/);
  });

  it("headers beyond the size and entry limits are refused in one short line, before they cost memory", () => {
    const big = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true);
    reject(big, new RegExp(`header of ${MAX_HEADER_BYTES + 8} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`));
    const entries: string[] = [];
    for (let i = 0; i <= MAX_TENSORS; i++) entries.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const t0 = performance.now();
    assert.throws(
      () => parseSafeTensors(rawFile(`{${entries.join(",")}}`), "many.safetensors"),
      (e: unknown) => {
        assert.match((e as Error).message, new RegExp(`^many\\.safetensors: header lists ${MAX_TENSORS + 1} tensors, more than the ${MAX_TENSORS} allowed`));
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 5000);
  });

  it("names, shapes and values in messages are cut short", () => {
    const name = "n".repeat(10_000);
    assert.throws(
      () => parseSafeTensors(rawFile(JSON.stringify({ [name]: { dtype: "F32", shape: new Array(5000).fill(1), data_offsets: [0, 8] } }), 8)),
      (e: unknown) => {
        const m = (e as Error).message;
        assert.match(m, /tensor "n+… \(F32 \[1,1,1.*…\) needs 4 bytes but data_offsets span 8/);
        assert.ok(m.length < 300, `${m.length} chars`);
        return true;
      },
    );
  });

  it("headers that are not UTF-8 JSON objects", () => {
    reject(rawFile('{"t": {'), /header is not valid UTF-8 JSON/);
    reject(rawFile("not json"), /header is not valid UTF-8 JSON/);
    const badUtf8 = rawFile('{""}');
    badUtf8[10] = 0xff;
    reject(badUtf8, /header is not valid UTF-8 JSON/);
    reject(rawFile("[1, 2]"), /header must be a JSON object/);
    reject(rawFile("null"), /header must be a JSON object/);
    reject(rawFile("42"), /header must be a JSON object/);
  });

  it("bad __metadata__", () => {
    reject(rawFile(JSON.stringify({ __metadata__: { step: 3 } })), /__metadata__\.step must be a string, got number/);
    reject(rawFile(JSON.stringify({ __metadata__: "x" })), /__metadata__ must be an object of strings/);
    reject(rawFile(JSON.stringify({ __metadata__: null })), /__metadata__ must be an object of strings/);
  });

  it("unknown dtypes and bad shapes", () => {
    reject(rawFile(f32Entry([0, 8], [2], "F8_E4M3"), 8), /tensor "t" has dtype "F8_E4M3"; allowed: F64, F32/);
    reject(rawFile(JSON.stringify({ t: { shape: [2], data_offsets: [0, 8] } }), 8), /tensor "t" has dtype undefined/);
    reject(rawFile(f32Entry([0, 8], [2], "f32"), 8), /tensor "t" has dtype "f32"/);
    reject(rawFile(JSON.stringify({ t: 5 }), 8), /tensor "t" has dtype undefined/);
    reject(rawFile(f32Entry([0, 8], [-2]), 8), /tensor "t" has shape \[-2\]; expected an array of non-negative integers/);
    reject(rawFile(f32Entry([0, 8], [1.5]), 8), /has shape \[1\.5\]/);
    reject(rawFile(f32Entry([0, 8], "2"), 8), /has shape "2"/);
  });

  it("bad data_offsets: not a pair, negative, fractional, reversed", () => {
    reject(rawFile(f32Entry([0]), 8), /data_offsets \[0\]; expected \[begin, end\] with begin <= end/);
    reject(rawFile(f32Entry([0, 8, 16]), 8), /data_offsets \[0,8,16\]/);
    reject(rawFile(f32Entry([-8, 0]), 8), /data_offsets \[-8,0\]/);
    reject(rawFile(f32Entry([0, 7.5]), 8), /data_offsets \[0,7\.5\]/);
    reject(rawFile(f32Entry([8, 0]), 8), /data_offsets \[8,0\]/);
    reject(rawFile(f32Entry(null), 8), /data_offsets null/);
  });

  it("byte spans that do not match dtype × shape", () => {
    reject(rawFile(f32Entry([0, 12], [2, 2]), 16), /tensor "t" \(F32 \[2,2\]\) needs 16 bytes but data_offsets span 12/);
    reject(rawFile(f32Entry([0, 4], [2], "F64"), 16), /\(F64 \[2\]\) needs 16 bytes but data_offsets span 4/);
    reject(rawFile(f32Entry([0, 2], [3], "BF16"), 16), /\(BF16 \[3\]\) needs 6 bytes but data_offsets span 2/);
  });

  it("tensors beyond the end of the data (truncated data section)", () => {
    reject(rawFile(f32Entry([0, 8]), 7), /tensor "t" ends at byte 8 but the data section has 7 bytes \(truncated file\)/);
    reject(rawFile(f32Entry([16, 24]), 8), /ends at byte 24 but the data section has 8 bytes/);
    const good = serializeSafeTensors(everyDtype());
    reject(good.subarray(0, good.byteLength - 1), /truncated file/);
  });

  it("overlapping tensors", () => {
    const header = JSON.stringify({
      a: { dtype: "F32", shape: [4], data_offsets: [0, 16] },
      b: { dtype: "F32", shape: [4], data_offsets: [8, 24] },
    });
    reject(rawFile(header, 24), /tensors "a" and "b" overlap/);
    const same = JSON.stringify({
      b: { dtype: "U8", shape: [4], data_offsets: [4, 8] },
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    });
    reject(rawFile(same, 8), /tensors "a" and "b" overlap/);
    // Touching spans are fine.
    const touching = JSON.stringify({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
    });
    assert.equal(parseSafeTensors(rawFile(touching, 16)).tensors.size, 2);
  });

  it("serializer refuses inconsistent tensors and the reserved name", () => {
    assert.throws(() => serializeSafeTensors({ t: { data: new Float32Array(3), shape: [2, 2] } }), /tensor "t": shape \[2,2\] has 4 elements but data has 3/);
    assert.throws(
      () => serializeSafeTensors({ t: { dtype: "F64", data: new Float32Array(2), shape: [2] } }),
      /tensor "t": dtype F64 needs 8-byte elements, data has 4/,
    );
    assert.throws(() => serializeSafeTensors({ t: { dtype: "F16", data: new Float32Array(2), shape: [2] } }), /dtype F16 needs 2-byte elements/);
    assert.throws(() => serializeSafeTensors(new Map([["__metadata__", { data: new Uint8Array(1), shape: [1] }]])), /tensor name "__metadata__" is reserved/);
  });
});

// ---- state dicts against PyTorch ------------------------------------------------------------

/** PyTorch's state_dict names for each net, in state_dict order (the fixtures store them in that order). */
const NETS: Array<{ name: string; fixture: string; build(seed: number): Module; names: string[] }> = [
  {
    name: "mlp([8, 64, 64, 4])",
    fixture: "torch-mlp-mse-rmsprop.safetensors",
    build: (seed) => mlp([8, 64, 64, 4], { seed }),
    names: ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"],
  },
  {
    name: "natureCnn(4, 5)",
    fixture: "torch-nature-cnn-mse-rmsprop.safetensors",
    build: (seed) => natureCnn(4, 5, { seed }),
    names: ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "7.weight", "7.bias", "9.weight", "9.bias"],
  },
  {
    name: "smallCnn(4, 5)",
    fixture: "torch-small-cnn-huber-adam.safetensors",
    build: (seed) => smallCnn(4, 5, { seed }),
    names: ["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias", "7.weight", "7.bias"],
  },
  {
    name: "duelingMlp([8, 64, 64], 4)",
    fixture: "torch-dueling-mlp-huber-adam.safetensors",
    build: (seed) => duelingMlp([8, 64, 64], 4, { seed }),
    names: ["features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias", "value.weight", "value.bias", "advantage.weight", "advantage.bias"],
  },
];

describe("state dicts are PyTorch's", () => {
  for (const net of NETS) {
    it(`${net.name}: names, shapes, dtypes and order of the torch fixture; load → save → load is identity`, () => {
      const init = group(loadFixture(join("torch", net.fixture)).tensors, "init");
      assert.deepEqual([...init.keys()], net.names, "fixture names (PyTorch state_dict order)");
      const model = net.build(1);
      const bytes = serializeSafeTensors(model.stateDict(), { arch: net.name });
      const saved = parseSafeTensors(bytes);
      assert.deepEqual([...saved.tensors.keys()], [...init.keys()], "names and order");
      for (const [k, ref] of init) {
        const t = saved.tensors.get(k)!;
        assert.equal(t.dtype, ref.dtype, `${k} dtype`);
        assert.equal(t.dtype, "F32");
        assert.deepEqual(t.shape, ref.shape, `${k} shape`);
      }
      assert.deepEqual(saved.metadata, { arch: net.name });

      // PyTorch's weights in, the same bytes out, and into a fresh model and out again.
      model.loadStateDict(init);
      const out1 = parseSafeTensors(serializeSafeTensors(model.stateDict())).tensors;
      assertSameTensors(out1, init, "fixture → deepq → file");
      const other = net.build(2);
      other.loadStateDict(out1);
      assertSameTensors(parseSafeTensors(serializeSafeTensors(other.stateDict())).tensors, init, "file → deepq → file");
    });
  }

  it("saveModule/loadModule through a file, with metadata; other float dtypes load converted", () => {
    const dir = mkdtempSync(join(tmpdir(), "deepq-st-"));
    try {
      const a = mlp([8, 64, 64, 4], { seed: 3 });
      const path = join(dir, "m.safetensors");
      saveModule(path, a, { step: "12" });
      const b = mlp([8, 64, 64, 4], { seed: 4 });
      assert.deepEqual(loadModule(path, b), { step: "12" });
      assertSameTensors(b.stateDict(), a.stateDict(), "saveModule → loadModule");
      // The same weights as F64 and BF16 (PyTorch's .double() / .bfloat16()) load too.
      const f64 = new Map([...a.stateDict()].map(([k, t]) => [k, { dtype: "F64" as const, shape: t.shape, data: Float64Array.from(t.data as Float32Array) }]));
      const c = mlp([8, 64, 64, 4], { seed: 5 });
      c.loadStateDict(parseSafeTensors(serializeSafeTensors(f64)).tensors);
      assertSameTensors(c.stateDict(), a.stateDict(), "F64 load");
      const bf16 = new Map(
        [...a.stateDict()].map(([k, t]) => {
          const u = new Uint32Array(Float32Array.from(t.data as Float32Array).buffer);
          return [k, { dtype: "BF16" as const, shape: t.shape, data: Uint16Array.from(u, (w) => w >>> 16) }];
        }),
      );
      c.loadStateDict(parseSafeTensors(serializeSafeTensors(bf16)).tensors);
      const w = c.stateDict().get("0.weight")!.data as Float32Array;
      const ref = a.stateDict().get("0.weight")!.data as Float32Array;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(w[i]! - ref[i]!) <= 2 ** -7 * Math.abs(ref[i]!), "BF16 truncation keeps 8 significant bits");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("load errors name the problem and leave the module unchanged", () => {
    const m = mlp([8, 64, 64, 4], { seed: 1 });
    const before = m.stateDict();
    const sd = new Map(before);
    sd.set("2.weight", { dtype: "F32", shape: [64, 63], data: new Float32Array(64 * 63) });
    sd.set("0.weight", { dtype: "F32", shape: [64, 8], data: new Float32Array(64 * 8) });
    assert.throws(() => m.loadStateDict(sd), /size mismatch for "2\.weight": expected \[64, 64\], got \[64, 63\]/);
    assertSameTensors(m.stateDict(), before, "unchanged after a failed load");
    const missing = new Map(before);
    missing.delete("4.bias");
    missing.set("5.bias", before.get("4.bias")!);
    assert.throws(() => m.loadStateDict(missing), /missing keys: "4\.bias"; unexpected keys: "5\.bias"/);
    const ints = new Map(before);
    ints.set("0.bias", { dtype: "I32", shape: [64], data: new Int32Array(64) });
    assert.throws(() => m.loadStateDict(ints), /"0\.bias" has dtype I32; expected a float dtype/);
  });

  it("non-strict loads return the missing and unexpected keys, as PyTorch; matching nothing is an error", () => {
    const m = mlp([8, 64, 64, 4], { seed: 1 });
    const sd = new Map(mlp([8, 64, 64, 4], { seed: 2 }).stateDict());
    sd.delete("4.bias");
    sd.set("extra.weight", { dtype: "F32", shape: [1], data: new Float32Array(1) });
    assert.deepEqual(m.loadStateDict(sd, { strict: false }), { missingKeys: ["4.bias"], unexpectedKeys: ["extra.weight"] });
    assert.deepEqual(m.stateDict().get("0.weight")!.data, sd.get("0.weight")!.data);
    assert.deepEqual(m.loadStateDict(m.stateDict()), { missingKeys: [], unexpectedKeys: [] });
    // PyTorch-style prefixes ("module." from DataParallel) match nothing: loading nothing silently would hide it.
    const prefixed = new Map([...m.stateDict()].map(([k, v]) => [`module.${k}`, v]));
    assert.throws(
      () => m.loadStateDict(prefixed, { strict: false }),
      /none of the 6 keys matched \(expected names like "0\.weight", "0\.bias", "2\.weight", … and 3 more; got "module\.0\.weight"/,
    );
    // Long key lists are cut short.
    const many = new Map(m.stateDict());
    for (let i = 0; i < 10_000; i++) many.set(`junk.${i}`, { dtype: "F32", shape: [1], data: new Float32Array(1) });
    assert.throws(
      () => m.loadStateDict(many),
      (e: unknown) => /unexpected keys: "junk\.0", .* … and 9992 more$/.test((e as Error).message) && (e as Error).message.length < 500,
    );
  });

  it("BatchNorm buffers: running stats F32, num_batches_tracked an I64 scalar, as PyTorch", () => {
    const net = new Sequential([new Conv2d(2, 3, 3), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(3 * 2 * 2, 2)]);
    const f = parseSafeTensors(serializeSafeTensors(net.stateDict()));
    const summary = [...f.tensors].map(([k, t]) => `${k} ${t.dtype} [${t.shape.join(",")}]`);
    assert.deepEqual(summary, [
      "0.weight F32 [3,2,3,3]",
      "0.bias F32 [3]",
      "1.weight F32 [3]",
      "1.bias F32 [3]",
      "1.running_mean F32 [3]",
      "1.running_var F32 [3]",
      "1.num_batches_tracked I64 []",
      "4.weight F32 [2,12]",
      "4.bias F32 [2]",
    ]);
    const bn = net.layers[1] as BatchNorm2d;
    bn.numBatchesTracked.value = 7;
    bn.runningVar.data.set([0.5, 2, 3]);
    const g = parseSafeTensors(serializeSafeTensors(net.stateDict()));
    const other = new Sequential([new Conv2d(2, 3, 3), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(3 * 2 * 2, 2)]);
    other.loadStateDict(g.tensors);
    assert.equal((other.layers[1] as BatchNorm2d).numBatchesTracked.value, 7);
    assertSameTensors(other.stateDict(), net.stateDict(), "BatchNorm net");
  });
});

// ---- every fixture file -------------------------------------------------------------------

function fixtureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...fixtureFiles(p));
    else if (name.endsWith(".safetensors")) out.push(p);
  }
  return out.sort();
}

describe("fixture files written by Python safetensors", () => {
  it("every one parses, and load → save → load is the identity", () => {
    const files = fixtureFiles(fixturesDir);
    assert.ok(files.length >= 30, `expected the fixture files, found ${files.length}`);
    const dtypes = new Set<string>();
    for (const p of files) {
      const f = loadFixture(relative(fixturesDir, p));
      for (const t of f.tensors.values()) dtypes.add(t.dtype);
      const again = parseSafeTensors(serializeSafeTensors(f.tensors, f.metadata));
      assertSameTensors(again.tensors, f.tensors, relative(fixturesDir, p));
      assert.deepEqual(again.metadata, f.metadata);
    }
    // The fixtures exercise the dtypes their README lists.
    for (const d of ["F32", "F64", "U8", "I64", "BOOL"]) assert.ok(dtypes.has(d), `no fixture tensor of dtype ${d}`);
  });
});
