#!/usr/bin/env node
/**
 * Copies the reference fixtures (recorded from Gymnasium and PyTorch, see
 * test/fixtures/README.md) into test/fixtures/, keeping only what fits the repository:
 *
 *   node scripts/slim-fixtures.mjs [SOURCE_DIR] [OUT_DIR]
 *
 * SOURCE_DIR defaults to ../shared/fixtures (the full recordings), OUT_DIR to test/fixtures.
 * Every file keeps its safetensors layout, tensor names, order, dtypes and bytes, and its
 * `__metadata__.json` facts. Files listed in SLIM below lose some tensors or frames; each such
 * file gets a `slimmed` entry in its `__metadata__.json` saying what was dropped or kept, and
 * the sha256 of the full file it came from. All other files are copied byte for byte.
 *
 * Run it again after re-recording the fixtures; it is idempotent and prints the sizes.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = resolve(process.argv[2] ?? join(ROOT, "..", "shared", "fixtures"));
const OUT = resolve(process.argv[3] ?? join(ROOT, "test", "fixtures"));

/** CarRacing episodes: the frames (observations at `frame_steps`) kept per file. */
const CAR_FRAMES = {
  // seed files: frames every 25 steps over the first 375 → 6 of 16, spread over the range
  seed: [0, 75, 150, 225, 300, 375],
  // controller files: frames every 50 steps → 6 of 20, spread over the lap
  controller: [0, 200, 400, 600, 800, 950],
};

/**
 * Which files are slimmed and how. `dropTensors` removes whole tensors (by name);
 * `keepFrameSteps(meta, frameSteps)` picks the CarRacing frames to keep.
 */
const SLIM = [
  {
    match: /^torch\/torch-nature-cnn-/,
    // The 512×3136 fully connected layer ("7.weight", 6.4 MB per copy) is the bulk of the file.
    // Its initial weights stay (the net must load); its gradient and the weights after 1 and 3
    // RMSprop steps go: the test still checks them through the losses of steps 1–3 (1e-5), and
    // every other tensor of grad0/step1/step3 exactly as before. x_next only feeds the target
    // network, which the CNN files do not store.
    dropTensors: ["grad0/7.weight", "step1/7.weight", "step3/7.weight", "x_next"],
    why: "the repository's size budget: grad0/step1/step3 of the 512x3136 fc layer (7.weight) are dropped, init/7.weight is kept; x_next is unused without a target network",
  },
  {
    match: /^torch\/torch-small-cnn-/,
    dropTensors: ["x_next"],
    why: "x_next is unused without a target network (the CNN files store none)",
  },
  {
    match: /^gymnasium-[^/]+\/CarRacing-v\d-(controller-)?seed\d+\.safetensors$/,
    keepFrameSteps: (file) => (/-controller-/.test(file) ? CAR_FRAMES.controller : CAR_FRAMES.seed),
    why: "frames thinned to keep the repository small; frame_steps lists the frames kept",
  },
  {
    match: /^gymnasium-[^/]+\/CarRacing-v\d-lap-seed\d+\.safetensors$/,
    // Reset, mid-episode, the first lap frame (deepq's tile0-contact rule) −4 / itself / +4, and the last frame.
    keepFrameSteps: (_file, meta) => {
      const lap = meta.first_lap_frame_deepq_semantics;
      return [0, 500, lap - 4, lap, lap + 4, meta.steps];
    },
    why: "frames thinned to keep the repository small (the ones around the lap are kept); frame_steps lists the frames kept",
  },
];

const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

function readSafeTensors(path) {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString("utf8"));
  const data = b.subarray(8 + n);
  const tensors = [];
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    tensors.push({ name, dtype: t.dtype, shape: t.shape, bytes: data.subarray(t.data_offsets[0], t.data_offsets[1]) });
  }
  return { metadata: header.__metadata__ ?? {}, tensors, bytes: b };
}

/** Header in the given tensor order, padded with spaces to 8 bytes as Python's safetensors does. */
function writeSafeTensors(path, metadata, tensors) {
  const header = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(path, Buffer.concat([len, Buffer.from(json, "utf8"), ...tensors.map((t) => t.bytes)]));
}

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

let before = 0;
let after = 0;
for (const src of walk(SRC)) {
  const rel = relative(SRC, src).split("\\").join("/");
  if (!rel.endsWith(".safetensors")) continue; // README.md is written by hand (test/fixtures/README.md)
  const out = join(OUT, rel);
  mkdirSync(dirname(out), { recursive: true });
  const size = statSync(src).size;
  before += size;
  const rule = SLIM.find((r) => r.match.test(rel));
  if (!rule) {
    copyFileSync(src, out);
    after += size;
    continue;
  }
  const f = readSafeTensors(src);
  const meta = JSON.parse(f.metadata.json ?? "{}");
  const slimmed = { by: "scripts/slim-fixtures.mjs", why: rule.why, source_sha256: sha256(f.bytes), source_bytes: size };
  let tensors = f.tensors;
  if (rule.dropTensors) {
    const names = new Set(tensors.map((t) => t.name));
    for (const d of rule.dropTensors) if (!names.has(d)) throw new Error(`${rel}: no tensor ${d} to drop`);
    tensors = tensors.filter((t) => !rule.dropTensors.includes(t.name));
    slimmed.dropped = rule.dropTensors;
  }
  if (rule.keepFrameSteps) {
    const frames = tensors.find((t) => t.name === "frames");
    const stepsT = tensors.find((t) => t.name === "frame_steps");
    if (!frames || !stepsT || stepsT.dtype !== "I64") throw new Error(`${rel}: expected frames and an I64 frame_steps`);
    const steps = Array.from(new BigInt64Array(stepsT.bytes.buffer.slice(stepsT.bytes.byteOffset, stepsT.bytes.byteOffset + stepsT.bytes.length)), Number);
    const keep = rule.keepFrameSteps(rel, meta);
    const idx = keep.map((s) => {
      const k = steps.indexOf(s);
      if (k < 0) throw new Error(`${rel}: no frame at step ${s} (frame_steps ${steps.join(",")})`);
      return k;
    });
    const frameBytes = frames.shape.slice(1).reduce((a, b) => a * b, 1) * DTYPE_BYTES[frames.dtype];
    tensors = tensors.map((t) => {
      if (t === frames) {
        return { ...t, shape: [idx.length, ...t.shape.slice(1)], bytes: Buffer.concat(idx.map((k) => t.bytes.subarray(k * frameBytes, (k + 1) * frameBytes))) };
      }
      if (t === stepsT) return { ...t, shape: [idx.length], bytes: Buffer.from(BigInt64Array.from(keep, BigInt).buffer) };
      return t;
    });
    slimmed.frame_steps_recorded = steps;
    slimmed.frame_steps_kept = keep;
  }
  writeSafeTensors(out, { ...f.metadata, json: JSON.stringify({ ...meta, slimmed }) }, tensors);
  const n = statSync(out).size;
  after += n;
  console.log(`${rel}: ${mb(size)} → ${mb(n)}`);
}
console.log(`total: ${mb(before)} → ${mb(after)} in ${relative(process.cwd(), OUT) || "."}`);
