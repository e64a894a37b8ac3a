import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplayBuffer } from "../../src/replay/index.js";
import { bytesPerCall, frame, imageBuffer, LIMIT, stack } from "./alloc-util.js";

function vectorBuffer(): ReplayBuffer {
  return new ReplayBuffer({ capacity: 5000, obsSize: 8, numEnvs: 4, nStep: 3, seed: 1 });
}

const obs = new Float32Array(32);
const actions = new Int32Array(4);
const rewards = Float64Array.from([0.5, -0.1, 3.25, 1]);
const flags = new Uint8Array(4);
const ends = Uint8Array.from([0, 1, 0, 0]);
const oneAction = Int32Array.of(1);
const oneReward = Float64Array.of(-0.1);
const oneFlag = new Uint8Array(1);

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
    img.addBatch(oneAction, oneReward, stack, oneFlag, oneFlag);
    if (++k % 50 === 0) img.addFirst(frame);
  };
  const a = bytesPerCall(add, 20000);
  assert.ok(a < LIMIT, `add: ${a} bytes per call`);
  const batch = img.createBatch(32);
  const s = bytesPerCall(() => img.sample(32, batch), 3000);
  assert.ok(s < LIMIT, `sample: ${s} bytes per call`);
});
