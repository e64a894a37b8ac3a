import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/envs/index.js";
import { make } from "../../src/envs/index.js";
import { AsyncVectorEnv } from "../../src/wrappers/async-vector.js";
import { RecordEpisodeStatistics } from "../../src/wrappers/record-episode-statistics.js";
import { VectorEnv } from "../../src/wrappers/vector.js";

const recipes = new URL("./env-recipes.ts", import.meta.url).href;

test("AsyncVectorEnv steps exactly as VectorEnv: observations, rewards, flags, final observations, episode statistics, seeded autoresets", async () => {
  const n = 3;
  const seedOf = (i: number, episode: number) => 1000 * i + episode;
  const episodes = [0, 0, 0];
  const sync = new VectorEnv(n, () => new RecordEpisodeStatistics(make("CartPole-v1")), { autoresetSeed: (i) => seedOf(i, episodes[i]! + 1) });
  const async = await AsyncVectorEnv.create(
    n,
    { module: recipes, exportName: "registered", args: { id: "CartPole-v1" } },
    { autoresetSeed: (i) => seedOf(i, episodes[i]! + 1) },
  );
  try {
    assert.deepEqual(async.singleObservationSpace.shape, [4]);
    assert.equal(async.nActions, 2);
    const seeds = [0, 1, 2].map((i) => seedOf(i, 0));
    assert.deepEqual(Array.from(async.reset({ seeds }).obs), Array.from(sync.reset({ seeds }).obs));
    const actions = new Int32Array(n);
    let ended = 0;
    for (let t = 0; t < 400; t++) {
      for (let i = 0; i < n; i++) actions[i] = (t * 7 + i * 3) % 5 < 2 ? 0 : 1;
      async.stepAsync(actions);
      const s = sync.step(actions);
      const a = async.stepWait();
      assert.deepEqual(Array.from(a.obs), Array.from(s.obs), `obs at step ${t}`);
      assert.deepEqual(Array.from(a.rewards), Array.from(s.rewards));
      assert.deepEqual(Array.from(a.terminated), Array.from(s.terminated));
      assert.deepEqual(Array.from(a.truncated), Array.from(s.truncated));
      for (let i = 0; i < n; i++) {
        const sf = s.infos.finalObs[i];
        if (!sf) {
          assert.equal(a.infos.finalObs[i], null);
          continue;
        }
        ended++;
        episodes[i]!++;
        assert.deepEqual(Array.from(a.infos.finalObs[i]!), Array.from(sf));
        const se = s.infos.finalInfo[i]!["episode"] as { r: number; l: number };
        const ae = a.infos.finalInfo[i]!["episode"] as { r: number; l: number };
        assert.deepEqual([ae.r, ae.l], [se.r, se.l]);
      }
    }
    assert.ok(ended >= 10, `only ${ended} episodes ended; the test needs autoresets`);
  } finally {
    async.close();
    sync.close();
  }
});

test("AsyncVectorEnv.replay steps one copy through given actions and returns its observation", async () => {
  const async = await AsyncVectorEnv.create(2, { module: recipes, exportName: "registered", args: { id: "CartPole-v1" } });
  try {
    async.reset({ seeds: [5, 6] });
    const env = new RecordEpisodeStatistics(make("CartPole-v1"));
    env.reset({ seed: 6 });
    const actions = Array.from({ length: 1500 }, (_, t) => t % 2);
    const ours = actions.slice(0, 8);
    let last = env.step(ours[0]!).obs;
    for (const act of ours.slice(1)) last = env.step(act).obs;
    assert.deepEqual(Array.from(async.replay(1, ours)), Array.from(last as Float32Array));
    assert.throws(() => async.replay(1, actions), /env 1 ended while replaying/);
  } finally {
    async.close();
  }
});

test("AsyncVectorEnv reports a bad recipe, a step error and misuse in one line each", async () => {
  await assert.rejects(AsyncVectorEnv.create(1, { module: recipes, exportName: "nothing", args: null }), /exports no function "nothing"/);
  await assert.rejects(AsyncVectorEnv.create(1, { module: recipes, exportName: "broken", args: null }), /building the envs failed: no such env here/);
  const async = await AsyncVectorEnv.create(2, { module: recipes, exportName: "registered", args: { id: "CartPole-v1" } });
  try {
    async.reset({ seeds: [0, 1] });
    assert.throws(() => async.stepWait(), /no step in flight/);
    async.stepAsync([0, 1]);
    assert.throws(() => async.reset({ seeds: [0, 1] }), /a step is in flight/);
    async.stepWait();
    async.stepAsync([0, 7]);
    assert.throws(() => async.stepWait(), /7/);
  } finally {
    async.close();
  }
});
