import assert from "node:assert/strict";
import { test } from "node:test";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import { Box } from "../../src/envs/spaces.js";
import type { EpisodeStatistics } from "../../src/wrappers/index.js";
import { episodeStatistics, FrameSkip, FrameStack, GrayScale, NoopReset, RecordEpisodeStatistics, TimeLimit, Wrapper } from "../../src/wrappers/index.js";
import { CounterEnv } from "./fake-envs.js";

test("RecordEpisodeStatistics adds {r, l, t} at episode end only and keeps a bounded queue", () => {
  const env = new RecordEpisodeStatistics(new CounterEnv({ length: 4 }), { bufferLength: 2 });
  for (let ep = 0; ep < 3; ep++) {
    env.reset();
    for (let t = 1; t <= 4; t++) {
      const r = env.step(0);
      if (t < 4) assert.equal(r.info["episode"], undefined);
      else {
        const s = r.info["episode"] as EpisodeStatistics;
        assert.equal(s.r, 1 + 2 + 3 + 4);
        assert.equal(s.l, 4);
        assert.ok(s.t >= 0 && s.t < 5);
      }
    }
  }
  assert.equal(env.episodeCount, 3);
  assert.deepEqual(env.returnQueue, [10, 10]);
  assert.deepEqual(env.lengthQueue, [4, 4]);
  assert.equal(env.timeQueue.length, 2);
});

test("RecordEpisodeStatistics counts truncated episodes, resets its sums and rejects key clashes", () => {
  const env = new RecordEpisodeStatistics(new TimeLimit(new CartPoleEnv(), 3), { statsKey: "stats" });
  env.reset({ seed: 0, options: { low: 0, high: 0 } });
  env.step(0);
  env.reset({ options: { low: 0, high: 0 } });
  env.step(1);
  env.step(0);
  const r = env.step(1);
  assert.ok(r.truncated);
  assert.deepEqual({ ...(r.info["stats"] as EpisodeStatistics), t: 0 }, { r: 3, l: 3, t: 0 });

  const clash = new RecordEpisodeStatistics(new CounterEnv({ length: 1 }), { statsKey: "t" });
  clash.reset();
  assert.throws(() => clash.step(0), /info already has a "t" key/);
  assert.throws(() => new RecordEpisodeStatistics(new CounterEnv(), { bufferLength: 0 }), /bufferLength must be a positive integer, got 0/);
});

test("FrameSkip repeats the action, sums rewards and stops at the episode end", () => {
  const inner = new CounterEnv({ length: 6 });
  const env = new FrameSkip(inner, 4);
  env.reset();
  const r1 = env.step(2);
  assert.equal(r1.reward, 1 + 2 + 3 + 4);
  assert.deepEqual(inner.actions, [2, 2, 2, 2]);
  assert.equal(r1.obs[0], 4, "observation of the last inner step");
  const r2 = env.step(1);
  assert.equal(r2.reward, 5 + 6, "stops after the terminating inner step");
  assert.ok(r2.terminated && !r2.truncated);
  assert.equal(inner.t, 6);
  assert.deepEqual(r2.info, { t: 6 });

  const trunc = new FrameSkip(new CounterEnv({ length: 2, end: "truncated" }), 3);
  trunc.reset();
  const r3 = trunc.step(0);
  assert.equal(r3.reward, 3);
  assert.ok(r3.truncated && !r3.terminated);
  assert.throws(() => new FrameSkip(inner, 0), /FrameSkip: skip must be a positive integer, got 0/);
});

test("FrameStack: [k, ...shape], oldest first, reset fills every slot, episodes never mix", () => {
  const inner = new CounterEnv({ height: 2, width: 2, length: 100 });
  const env = new FrameStack(new GrayScale(inner), 3);
  assert.deepEqual(env.observationSpace.shape, [3, 2, 2]);
  assert.equal(env.observationSpace.dtype, "uint8");
  const frame = 4;
  // Gray of (R = t, G = episode, B = pixel index) is distinct per t, so slot j identifies its step.
  const gray = (ep: number, t: number, p: number) => (t * 4899 + ep * 9617 + p * 1868 + 8192) >> 14;
  const slots = (obs: Uint8Array) => [0, 1, 2].map((j) => Array.from(obs.subarray(j * frame, (j + 1) * frame)));
  const expect = (ep: number, ts: number[]) => ts.map((t) => [0, 1, 2, 3].map((p) => gray(ep, t, p)));

  const obs0 = env.reset().obs as Uint8Array;
  assert.deepEqual(slots(obs0), expect(1, [0, 0, 0]));
  env.step(0);
  assert.deepEqual(slots(env.step(0).obs as Uint8Array), expect(1, [0, 1, 2]));
  const obs3 = env.step(0).obs as Uint8Array;
  assert.deepEqual(slots(obs3), expect(1, [1, 2, 3]));
  assert.equal(obs3, obs0, "one stack buffer, reused");
  assert.deepEqual(slots(env.reset().obs as Uint8Array), expect(2, [0, 0, 0]), "no frame of episode 1 survives the reset");
  assert.deepEqual(slots(env.step(0).obs as Uint8Array), expect(2, [0, 0, 1]));
  assert.throws(() => new FrameStack(inner, 0), /FrameStack: k must be a positive integer, got 0/);
});

test("FrameStack stacks float observations and their bounds", () => {
  const env = new FrameStack(new CartPoleEnv(), 2);
  const box = env.observationSpace;
  assert.deepEqual(box.shape, [2, 4]);
  assert.equal(box.dtype, "float32");
  assert.equal(box.high[4], box.high[0]);
  const first = Array.from(env.reset({ seed: 0 }).obs);
  assert.deepEqual(first.slice(0, 4), first.slice(4));
  const next = Array.from(env.step(1).obs);
  assert.deepEqual(next.slice(0, 4), first.slice(4));
});

test("NoopReset takes n no-op steps after reset, resets again if the episode ends", () => {
  const inner = new CounterEnv({ length: 10 });
  const env = new NoopReset(inner, { noops: 3 });
  const { obs, info } = env.reset({ seed: 5 });
  assert.deepEqual(inner.actions, [0, 0, 0]);
  assert.equal(obs[0], 3, "observation after the no-ops");
  assert.deepEqual(info, { episode_start: 1 });

  const short = new CounterEnv({ length: 2 });
  const env2 = new NoopReset(short, { noops: 5, noopAction: 1 });
  const r = env2.reset({ seed: 7, options: { a: 1 } });
  // Steps 1-2 end episode 1, steps 3-4 end episode 2, step 5 is in episode 3.
  assert.deepEqual(short.actions, [1, 1, 1, 1, 1]);
  assert.deepEqual(short.resets, [{ seed: 7, options: { a: 1 } }, { options: { a: 1 } }, { options: { a: 1 } }]);
  assert.equal(r.obs[0], 1);
  assert.equal(r.obs[1], 3);

  assert.throws(() => new NoopReset(inner, { noops: 1, noopAction: 7 }), /NoopReset: noopAction: action 7 is not in the action space Discrete\(3\)/);
  assert.throws(() => new NoopReset(inner, { noops: -1 }), /noops must be a non-negative integer, got -1/);
});

test("NoopReset needs an explicit no-op for continuous actions", () => {
  class BoxActions extends Wrapper<Uint8Array, Float32Array, Uint8Array, number> {
    readonly box = new Box(-1, 1, [3]);
    override get actionSpace() {
      return this.box;
    }
    override step() {
      return this.env.step(0);
    }
  }
  const env = new BoxActions(new CounterEnv());
  assert.throws(() => new NoopReset(env, { noops: 2 }), /give noopAction for the action space Box\(-1, 1, \(3,\), float32\)/);
  const ok = new NoopReset(env, { noops: 2, noopAction: new Float32Array(3) });
  assert.equal(ok.reset().obs[0], 2);
});

test("episodeStatistics reads the final info's statistics and nothing else", () => {
  const env = new RecordEpisodeStatistics(new CartPoleEnv(), { statsKey: "ep" });
  env.reset({ seed: 0 });
  let r = env.step(0);
  let steps = 1;
  assert.equal(episodeStatistics(r.info, "ep"), null);
  while (!r.terminated && !r.truncated) {
    r = env.step(0);
    steps++;
  }
  const stats = episodeStatistics(r.info, "ep");
  assert.ok(stats);
  assert.equal(stats.l, steps);
  assert.equal(stats.r, steps, "CartPole pays 1 per step");
  assert.equal(episodeStatistics(r.info), null, "the default key is episode");
  assert.equal(episodeStatistics({ episode: { r: "1", l: 2 } }), null);
  assert.equal(episodeStatistics(null), null);
});
