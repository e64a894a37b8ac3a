import assert from "node:assert/strict";
import { test } from "node:test";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import { VectorEnv } from "../../src/wrappers/index.js";
import { CounterEnv } from "./fake-envs.js";

test("VectorEnv resets copy i with seed + i into one [N, ...] batch", () => {
  const vec = new VectorEnv(3, () => new CartPoleEnv());
  assert.deepEqual(vec.observationSpace.shape, [3, 4]);
  assert.equal(vec.singleActionSpace.toString(), "Discrete(2)");
  const { obs } = vec.reset({ seed: 10 });
  for (let i = 0; i < 3; i++) {
    const single = new CartPoleEnv().reset({ seed: 10 + i }).obs;
    assert.deepEqual(Array.from(obs.subarray(i * 4, i * 4 + 4)), Array.from(single));
  }
  // Stepping matches the single envs.
  const singles = [0, 1, 2].map((i) => {
    const e = new CartPoleEnv();
    e.reset({ seed: 10 + i });
    return e;
  });
  const r = vec.step([1, 0, 1]);
  singles.forEach((e, i) => {
    const s = e.step([1, 0, 1][i]!);
    assert.deepEqual(Array.from(r.obs.subarray(i * 4, i * 4 + 4)), Array.from(s.obs));
    assert.equal(r.rewards[i], 1);
  });
});

test("VectorEnv autoresets in the same step: final obs in infos, reset obs in the batch", () => {
  // Copy i ends after i + 2 steps.
  const inners: CounterEnv[] = [];
  const vec = new VectorEnv(3, (i) => {
    const e = new CounterEnv({ height: 1, width: 2, length: i + 2, end: i === 2 ? "truncated" : "terminated" });
    inners.push(e);
    return e;
  });
  vec.reset({ seed: 0 });
  assert.deepEqual(
    inners.map((e) => e.resets[0]),
    [{ seed: 0 }, { seed: 1 }, { seed: 2 }],
  );
  const row = (obs: ArrayLike<number>, i: number) => Array.from(obs).slice(i * 6, i * 6 + 6);

  const r1 = vec.step(Int32Array.from([0, 1, 2]));
  assert.deepEqual(Array.from(r1.terminated), [0, 0, 0]);
  assert.deepEqual(r1.infos.finalObs, [null, null, null]);

  const r2 = vec.step([0, 0, 0]);
  assert.equal(r2, r1, "one result object, reused");
  assert.deepEqual(Array.from(r2.terminated), [1, 0, 0]);
  assert.deepEqual(Array.from(r2.rewards), [2, 2, 2]);
  // Copy 0: final observation is step 2 of episode 1; the batch row is episode 2's first frame.
  assert.deepEqual(Array.from(r2.infos.finalObs[0]!), [2, 1, 0, 2, 1, 1]);
  assert.deepEqual(r2.infos.finalInfo[0], { t: 2 });
  assert.deepEqual(row(r2.obs, 0), [0, 2, 0, 0, 2, 1]);
  assert.deepEqual(r2.infos.envInfo[0], { episode_start: 2 });
  assert.deepEqual(row(r2.obs, 1), [2, 1, 0, 2, 1, 1]);
  assert.equal(r2.infos.finalObs[1], null);
  assert.deepEqual(inners[0]!.resets[1], {}, "autoreset continues the stream (no seed)");

  const r3 = vec.step([0, 0, 0]);
  assert.deepEqual(Array.from(r3.terminated), [0, 1, 0]);
  assert.equal(r3.infos.finalObs[0], null, "copy 0's final obs is cleared the step after");
  assert.deepEqual(Array.from(r3.infos.finalObs[1]!), [3, 1, 0, 3, 1, 1]);
  assert.deepEqual(row(r3.obs, 1), [0, 2, 0, 0, 2, 1]);
  assert.deepEqual(row(r3.obs, 0), [1, 2, 0, 1, 2, 1]);

  // Two copies end in the same step, one terminated and one truncated.
  const r4 = vec.step([0, 0, 0]);
  assert.deepEqual(Array.from(r4.terminated), [1, 0, 0]);
  assert.deepEqual(Array.from(r4.truncated), [0, 0, 1]);
  assert.deepEqual(Array.from(r4.infos.finalObs[0]!), [2, 2, 0, 2, 2, 1]);
  assert.deepEqual(Array.from(r4.infos.finalObs[2]!), [4, 1, 0, 4, 1, 1]);
  assert.deepEqual(row(r4.obs, 0), [0, 3, 0, 0, 3, 1]);
  assert.deepEqual(row(r4.obs, 2), [0, 2, 0, 0, 2, 1]);
  // The final obs is a copy, not the sub-env's reused buffer.
  assert.notEqual(r4.infos.finalObs[2], inners[2]!.step(0).obs);
  assert.deepEqual(Array.from(r4.infos.finalObs[2]!), [4, 1, 0, 4, 1, 1]);

  assert.throws(() => vec.step([0, 0]), /VectorEnv.step: got 2 actions for 3 envs/);
  assert.throws(() => new VectorEnv(0, () => new CartPoleEnv()), /numEnvs must be a positive integer, got 0/);
  assert.throws(
    () => new VectorEnv(2, (i) => (i === 0 ? new CartPoleEnv() : new CounterEnv())),
    /VectorEnv: env 1 observes Box\(0, 255, \(6, 5, 3\), uint8\), env 0 observes Box\(/,
  );
});

test("VectorEnv.stepAsync/stepWait step as step does; replay steps one copy without autoreset", () => {
  const a = new VectorEnv(2, () => new CartPoleEnv());
  const b = new VectorEnv(2, () => new CartPoleEnv());
  a.reset({ seed: 3 });
  b.reset({ seed: 3 });
  assert.throws(() => a.stepWait(), /no step in flight/);
  for (let t = 0; t < 30; t++) {
    const actions = [t % 2, (t >> 1) % 2];
    a.stepAsync(actions);
    assert.throws(() => a.stepAsync(actions), /a step is in flight/);
    const ra = a.stepWait();
    const rb = b.step(actions);
    assert.deepEqual(Array.from(ra.obs), Array.from(rb.obs));
    assert.deepEqual(Array.from(ra.terminated), Array.from(rb.terminated));
  }
  const single = new CartPoleEnv();
  single.reset({ seed: 8 });
  a.reset({ seeds: [7, 8] });
  let last = single.step(1).obs;
  last = single.step(0).obs;
  assert.deepEqual(Array.from(a.replay(1, [1, 0])), Array.from(last));
  assert.throws(() => a.replay(1, new Array(600).fill(1)), /env 1 ended while replaying/);
});
