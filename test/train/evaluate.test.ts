import assert from "node:assert/strict";
import { test } from "node:test";
import type { Env, StepResult } from "../../src/envs/core.js";
import { Box, Discrete } from "../../src/envs/spaces.js";
import { evaluate } from "../../src/train/evaluate.js";

/** Episode length = seed % 5 + 1; reward = action; optionally reports a different "true" return in info.episode. */
function countingEnv(withStats: boolean): Env<Float32Array, number> & { seeds: number[] } {
  let t = 0;
  let len = 0;
  let sum = 0;
  const obs = new Float32Array(1);
  const seeds: number[] = [];
  return {
    seeds,
    observationSpace: new Box(0, 10, [1]),
    actionSpace: new Discrete(3),
    metadata: { renderFps: 30 },
    reset(args) {
      seeds.push(args?.seed ?? -1);
      len = ((args?.seed ?? 0) % 5) + 1;
      t = 0;
      sum = 0;
      return { obs, info: {} };
    },
    step(a): StepResult<Float32Array> {
      t++;
      sum += a;
      obs[0] = t;
      const done = t >= len;
      return { obs, reward: a, terminated: done, truncated: false, info: done && withStats ? { episode: { r: sum + 100, l: t, t: 0 } } : {} };
    },
    render: () => ({ width: 1, height: 1, data: new Uint8Array(3) }),
    close() {},
  };
}

test("evaluate uses fixed seeds seed+i and reports mean, std, min, max", () => {
  const env = countingEnv(false);
  const r = evaluate(env, () => 2, { episodes: 4, seed: 10 });
  assert.deepEqual(env.seeds, [10, 11, 12, 13]);
  assert.deepEqual(r.lengths, [1, 2, 3, 4]);
  assert.deepEqual(r.returns, [2, 4, 6, 8]);
  assert.equal(r.mean, 5);
  assert.ok(Math.abs(r.std - Math.sqrt(5)) < 1e-12);
  assert.equal(r.min, 2);
  assert.equal(r.max, 8);
});

test("evaluate prefers the env's own episode return from RecordEpisodeStatistics", () => {
  const r = evaluate(countingEnv(true), () => 1, { episodes: 2, seed: 0 });
  assert.deepEqual(r.returns, [101, 102]);
});

test("evaluate rejects a bad episode count", () => {
  assert.throws(() => evaluate(countingEnv(false), () => 0, { episodes: 0, seed: 0 }), /episodes must be a positive integer, got 0/);
});

test("evaluate passes each episode's last info to onEpisode", () => {
  const seen: [number, number, number, unknown][] = [];
  evaluate(countingEnv(true), () => 1, { episodes: 2, seed: 3, onEpisode: (i, ret, len, info) => seen.push([i, ret, len, info.episode]) });
  assert.deepEqual(seen, [
    [0, 104, 4, { r: 104, l: 4, t: 0 }],
    [1, 105, 5, { r: 105, l: 5, t: 0 }],
  ]);
});
