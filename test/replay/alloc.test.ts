import { test } from "node:test";
import assert from "node:assert/strict";
import { getHeapSpaceStatistics } from "node:v8";
import { ImageReplayBuffer, PrioritizedReplay, ReplayBuffer } from "../../src/replay/index.js";

function newSpaceUsed(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === "new_space") return s.space_used_size;
  throw new Error("no new_space in v8 heap statistics");
}

/**
 * Bytes `op` allocates per call once warm: the growth of V8's young generation over
 * `calls` calls (a synchronous loop, so nothing else runs). A real per-call allocation
 * shows in every trial, so the smallest of the trials is taken: it ignores trials run
 * before the optimizing compiler finished (on a loaded machine it can land late, and
 * unoptimized code boxes numbers) and trials in which a scavenge emptied the young
 * generation (their growth is negative and is not counted).
 */
function bytesPerCall(op: () => void, calls: number): number {
  for (let i = 0; i < 3 * calls; i++) op();
  let least = Number.POSITIVE_INFINITY;
  for (let trial = 0; trial < 8; trial++) {
    const before = newSpaceUsed();
    for (let i = 0; i < calls; i++) op();
    const grown = newSpaceUsed() - before;
    if (grown >= 0) least = Math.min(least, grown / calls);
  }
  assert.ok(Number.isFinite(least), "every trial saw a scavenge; no measurement");
  return least;
}

const stack = new Uint8Array(8 * 8 * 4);
const frame = new Uint8Array(8 * 8);

function imageBuffer(): ImageReplayBuffer {
  const b = new ImageReplayBuffer({ capacity: 2000, frameShape: [8, 8], stack: 4, nStep: 3, seed: 1 });
  b.addFirst(stack);
  for (let i = 0; i < 3000; i++) {
    b.add(i % 4, 1, stack, false, i % 97 === 96);
    if (i % 97 === 96) b.addFirst(frame);
  }
  return b;
}

function vectorBuffer(): ReplayBuffer {
  return new ReplayBuffer({ capacity: 5000, obsSize: 8, numEnvs: 4, nStep: 3, seed: 1 });
}

const obs = new Float32Array(32);
const actions = new Int32Array(4);
const rewards = new Float64Array(4).fill(0.5);
const flags = new Uint8Array(4);
const ends = Uint8Array.from([0, 1, 0, 0]);

// Any real allocation costs ≥ 16 bytes (a heap number); the bound leaves room for noise.
const LIMIT = 2;

test("vector: addBatch and sample allocate nothing in steady state", () => {
  const vec = vectorBuffer();
  let k = 0;
  const add = () => vec.addBatch(obs, actions, rewards, obs, flags, ++k % 7 === 0 ? ends : flags);
  const a = bytesPerCall(add, 20000);
  assert.ok(a < LIMIT, `addBatch: ${a} bytes per call`);
  const batch = vec.createBatch(64);
  const sample = () => vec.sample(64, batch);
  const b = bytesPerCall(sample, 3000);
  assert.ok(b < LIMIT, `sample: ${b} bytes per call`);
});

test("image: add, addFirst and sample allocate nothing in steady state", () => {
  const img = imageBuffer();
  let k = 0;
  const add = () => {
    img.add(1, 1, stack, false, false);
    if (++k % 50 === 0) img.addFirst(frame);
  };
  const a = bytesPerCall(add, 20000);
  assert.ok(a < LIMIT, `add: ${a} bytes per call`);
  const batch = img.createBatch(32);
  const s = bytesPerCall(() => img.sample(32, batch), 3000);
  assert.ok(s < LIMIT, `sample: ${s} bytes per call`);
});

test("prioritized: sample, updatePriorities and new transitions allocate nothing in steady state", () => {
  const img = imageBuffer();
  const per = new PrioritizedReplay(img);
  const batch = per.createBatch(32);
  const td = new Float32Array(32).fill(0.3);
  const b = bytesPerCall(() => {
    per.sample(32, batch);
    per.updatePriorities(batch.indices, td);
    img.add(1, 1, frame, false, false);
  }, 3000);
  assert.ok(b < LIMIT, `${b} bytes per call`);
});
