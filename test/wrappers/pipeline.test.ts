import assert from "node:assert/strict";
import { test } from "node:test";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import { DQN_IMAGE_DEFAULTS, dqnImagePipeline } from "../../src/wrappers/index.js";
import { CounterEnv } from "./fake-envs.js";

test("dqnImagePipeline defaults: 50 no-ops, skip 4, gray crop 84×84, stack 4", () => {
  assert.equal(DQN_IMAGE_DEFAULTS.noops, 50);
  const inner = new CounterEnv({ height: 96, width: 96, length: 1000 });
  const env = dqnImagePipeline(inner);
  assert.deepEqual(env.observationSpace.shape, [4, 84, 84]);
  const first = env.reset({ seed: 0 }).obs;
  assert.ok(first instanceof Uint8Array);
  assert.equal(inner.t, 50);
  assert.deepEqual(inner.actions, new Array(50).fill(0));
  const gray = (t: number, p: number) => (t * 4899 + 1 * 9617 + (p & 255) * 1868 + 8192) >> 14;
  // Top-left of the crop is input pixel (0, 6).
  for (let j = 0; j < 4; j++) assert.equal(first[j * 84 * 84], gray(50, 6));
  const r = env.step(2);
  assert.equal(inner.t, 54);
  assert.equal(r.reward, 51 + 52 + 53 + 54);
  assert.deepEqual(
    [0, 1, 2, 3].map((j) => r.obs[j * 84 * 84]),
    [gray(50, 6), gray(50, 6), gray(50, 6), gray(54, 6)],
  );
});

test("dqnImagePipeline options: no no-ops, no skip, resize, 2-stack", () => {
  const inner = new CounterEnv({ height: 96, width: 96, length: 1000 });
  const env = dqnImagePipeline(inner, { noops: 0, skip: 1, stack: 2, crop: null, resize: { height: 48, width: 48 } });
  assert.deepEqual(env.observationSpace.shape, [2, 48, 48]);
  env.reset();
  assert.equal(inner.t, 0);
  env.step(1);
  assert.equal(inner.t, 1);
  const rgb = dqnImagePipeline(new CounterEnv({ height: 96, width: 96 }), { grayscale: false, stack: 1 });
  assert.deepEqual(rgb.observationSpace.shape, [1, 84, 84, 3]);
  assert.throws(() => dqnImagePipeline(new CartPoleEnv()), /dqnImagePipeline: needs uint8 image observations, got Box\(/);
});
