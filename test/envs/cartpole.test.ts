import assert from "node:assert/strict";
import { test } from "node:test";
import { registerBuiltins } from "../../src/envs/builtins.js";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import type { Env } from "../../src/envs/core.js";
import { make } from "../../src/envs/registry.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";

registerBuiltins();

/**
 * Observations within 1e-6: the state is float64 in both, so only the last bit of
 * libm's cos/sin can differ, amplified slightly over 500 steps; the float32 rounding of
 * the observation then hides almost all of it. Rewards and flags must be exact.
 */
const OBS_TOL = 1e-6;

function replay(env: Env, file: string): number {
  const f = loadFixture(file);
  const meta = fixtureMeta<{ seed: number; steps: number; return: number }>(f);
  const actions = f.tensors.get("actions")!.data as BigInt64Array;
  const rewards = f.tensors.get("rewards")!.data as Float64Array;
  const terminated = f.tensors.get("terminated")!.data as Uint8Array;
  const truncated = f.tensors.get("truncated")!.data as Uint8Array;
  const observations = f.tensors.get("observations")!.data as Float32Array;
  assert.equal(actions.length, meta.steps);

  let worst = 0;
  const check = (obs: Float32Array, t: number) => {
    for (let k = 0; k < 4; k++) {
      const d = Math.abs(obs[k]! - observations[t * 4 + k]!);
      worst = Math.max(worst, d);
      assert.ok(d <= OBS_TOL, `${file}: obs[${t}][${k}] = ${obs[k]}, expected ${observations[t * 4 + k]}`);
    }
  };
  // The initial state is RNG-driven only: it must match bit for bit.
  const first = env.reset({ seed: meta.seed }).obs as Float32Array;
  assert.deepEqual(Array.from(first), Array.from(observations.subarray(0, 4)), `${file}: reset observation`);
  let ret = 0;
  for (let t = 0; t < actions.length; t++) {
    const r = env.step(Number(actions[t]));
    check(r.obs as Float32Array, t + 1);
    assert.equal(r.reward, rewards[t], `${file}: reward at step ${t}`);
    assert.equal(r.terminated, terminated[t] === 1, `${file}: terminated at step ${t}`);
    assert.equal(r.truncated, truncated[t] === 1, `${file}: truncated at step ${t}`);
    ret += r.reward;
  }
  assert.equal(ret, meta.return);
  return worst;
}

for (const seed of [0, 1, 2]) {
  test(`CartPole-v1 seed ${seed} matches Gymnasium 0.29 step by step`, () => {
    const worst = replay(new CartPoleEnv(), `gymnasium-0.29/CartPole-v1-seed${seed}.safetensors`);
    console.log(`# CartPole-v1 seed ${seed}: max |obs - gymnasium| = ${worst.toExponential(2)}`);
  });
  test(`CartPole-v1 controller seed ${seed} runs to truncation at 500 through make`, () => {
    const worst = replay(make("CartPole-v1"), `gymnasium-0.29/CartPole-v1-controller-seed${seed}.safetensors`);
    console.log(`# CartPole-v1 controller seed ${seed}: max |obs - gymnasium| = ${worst.toExponential(2)}`);
  });
}

test("reset without a seed continues the stream; with a seed it repeats", () => {
  const env = new CartPoleEnv();
  const a = Array.from(env.reset({ seed: 42 }).obs);
  const b = Array.from(env.reset().obs);
  assert.notDeepEqual(a, b);
  assert.deepEqual(Array.from(env.reset({ seed: 42 }).obs), a);
});

test("reset options low/high set the initial-state bounds and are validated", () => {
  const env = new CartPoleEnv();
  const obs = env.reset({ seed: 123, options: { low: 0, high: 1 } }).obs;
  // Gymnasium's docstring: reset(seed=123, options={"low": 0, "high": 1}).
  assert.deepEqual(Array.from(obs), [0.6823519, 0.05382102, 0.22035988, 0.18437181].map(Math.fround));
  assert.throws(() => env.reset({ options: { low: 1, high: 0 } }), /lower bound \(1\) must be lower than higher bound \(0\)/);
  assert.throws(() => env.reset({ options: { low: "a" } }), /options.low must be a finite number, got "a"/);
});

test("steps after termination: reward 0, one warning, terminated stays true", () => {
  const env = new CartPoleEnv();
  env.reset({ seed: 0 });
  let r = env.step(1);
  while (!r.terminated) r = env.step(1);
  assert.equal(r.reward, 1);
  const warn = console.warn;
  const warnings: unknown[] = [];
  console.warn = (...a: unknown[]) => void warnings.push(a);
  try {
    const r1 = env.step(1);
    const r2 = env.step(0);
    assert.equal(r1.reward, 0);
    assert.equal(r2.reward, 0);
    assert.ok(r1.terminated && r2.terminated);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
});

test("sutton_barto_reward: 0 per step, -1 at and after termination", () => {
  const env = make("CartPole-v1", { sutton_barto_reward: true });
  env.reset({ seed: 3 });
  let r = env.step(0);
  assert.equal(r.reward, 0);
  while (!r.terminated) {
    assert.equal(r.reward, 0);
    r = env.step(0);
  }
  assert.equal(r.reward, -1);
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(env.step(0).reward, -1);
  } finally {
    console.warn = warn;
  }
});

test("spaces, bad actions and stepping before reset", () => {
  const env = new CartPoleEnv();
  assert.equal(env.actionSpace.toString(), "Discrete(2)");
  assert.deepEqual(env.observationSpace.shape, [4]);
  assert.equal(env.observationSpace.high[0], Math.fround(4.8));
  assert.equal(env.observationSpace.high[2], Math.fround(2 * ((12 * 2 * Math.PI) / 360)));
  assert.throws(() => env.step(0), /call reset\(\) before step\(\)/);
  env.reset({ seed: 0 });
  for (const bad of [2, -1, 0.5]) {
    assert.throws(() => env.step(bad), new RegExp(`action ${String(bad)} is not in the action space Discrete\\(2\\)`));
  }
  assert.throws(() => env.step("1" as unknown as number), /action "1" is not in the action space Discrete\(2\)/);
  assert.throws(() => new CartPoleEnv({ gravity: 3 } as never), /unknown option "gravity"; allowed: suttonBartoReward/);
});

test("step reuses the observation buffer and returns fresh results", () => {
  const env = new CartPoleEnv();
  const r0 = env.reset({ seed: 0 });
  const r1 = env.step(0);
  const r2 = env.step(1);
  assert.equal(r0.obs, r1.obs);
  assert.equal(r1.obs, r2.obs);
  assert.notEqual(r1, r2);
  assert.notEqual(r1.info, r2.info);
});

test("render draws Gymnasium's 600x400 view: track line, cart, pole, axle", () => {
  const env = new CartPoleEnv();
  env.reset({ seed: 0, options: { low: 0, high: 0 } });
  const { width, height, data } = env.render();
  assert.equal(width, 600);
  assert.equal(height, 400);
  assert.equal(data.length, 600 * 400 * 3);
  const px = (x: number, y: number) => Array.from(data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  // pygame y = 100 flips to row 299; the cart spans y 85..115 → rows 284..314, x 275..325.
  assert.deepEqual(px(5, 299), [0, 0, 0], "track line");
  assert.deepEqual(px(5, 298), [255, 255, 255], "background");
  assert.deepEqual(px(280, 310), [0, 0, 0], "cart body");
  assert.deepEqual(px(300, 292), [129, 132, 203], "axle at (300, 107) → row 292");
  assert.deepEqual(px(300, 250), [202, 152, 101], "upright pole above the axle");
  assert.deepEqual(px(300, 150), [255, 255, 255], "above the pole tip (pole length 125 px)");
  // The frame follows the state: a tilted pole lands to the side.
  env.reset({ options: { low: 0.2, high: 0.2 } });
  const tilted = env.render().data;
  const at = (x: number, y: number) => Array.from(tilted.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  assert.deepEqual(at(330 + 15, 200), [202, 152, 101], "pole leans right for theta > 0");
});
