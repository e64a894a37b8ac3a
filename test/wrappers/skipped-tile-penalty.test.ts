/** SkippedTilePenalty: a charge for each CarRacing tile left behind unvisited, given back if the car returns; the env's own returns untouched. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CarRacing } from "../../src/envs/car-racing.js";
import type { Env, EnvMetadata, ResetResult, StepResult } from "../../src/envs/core.js";
import "../../src/envs/index.js";
import { make } from "../../src/envs/registry.js";
import { Box, Discrete } from "../../src/envs/spaces.js";
import { resolveTrainConfig } from "../../src/train/config.js";
import { makeTrainEnv, makeTrainingEnv } from "../../src/train/env.js";
import { envCopyRecipe, trainEnvCopy } from "../../src/train/env-copy.js";
import { TrainLoop } from "../../src/train/loop.js";
import { loadModel } from "../../src/train/model-file.js";
import { episodeStatistics, SkippedTilePenalty, type TileCourse, VectorEnv } from "../../src/wrappers/index.js";

/** A track of `n` tiles; the action is the list of tiles a wheel visits at that step. Reward 1 per step. */
class TileScriptEnv implements Env<Float32Array, number>, TileCourse {
  readonly observationSpace = new Box(0, 1, [1]);
  readonly actionSpace = new Discrete(1);
  readonly metadata: EnvMetadata = { renderFps: 30 };
  readonly visited: Uint8Array;
  tilesVisited = 0;
  private readonly obs = new Float32Array(1);
  script: number[][] = [];
  private t = 0;

  constructor(readonly tileCount: number) {
    this.visited = new Uint8Array(tileCount);
  }

  tileVisited(index: number): boolean {
    return this.visited[index] === 1;
  }

  private visit(tiles: readonly number[]): void {
    for (const i of tiles) {
      if (this.visited[i] === 0) this.tilesVisited++;
      this.visited[i] = 1;
    }
  }

  reset(): ResetResult<Float32Array> {
    this.visited.fill(0);
    this.tilesVisited = 0;
    this.t = 0;
    this.visit([0, 1]);
    return { obs: this.obs, info: {} };
  }

  step(): StepResult<Float32Array> {
    this.visit(this.script[this.t++] ?? []);
    return { obs: this.obs, reward: 1, terminated: false, truncated: this.t === this.script.length, info: {} };
  }

  render(): never {
    throw new Error("no rendering");
  }

  close(): void {}
}

function rewardsOf(env: TileScriptEnv, script: number[][], penalty = 10, slack = 3): { rewards: number[]; left: number } {
  env.script = script;
  const w = new SkippedTilePenalty(env, { penalty, slack });
  w.reset();
  const rewards = script.map(() => w.step(0).reward);
  return { rewards, left: w.skippedTiles };
}

test("a tile is charged once a tile more than `slack` past it is visited, at that step", () => {
  const env = new TileScriptEnv(40);
  // Tiles 2, 3 in order; then 5 (4 not yet passed: within the slack), 6, 7, then 8: 4 is 4 behind, charged.
  const { rewards, left } = rewardsOf(env, [[2], [3], [5], [6, 7], [8], [9]]);
  assert.deepEqual(rewards, [1, 1, 1, 1, 1 - 10, 1]);
  assert.equal(left, 1);
});

test("visiting a tile out of order within the slack charges nothing", () => {
  const env = new TileScriptEnv(40);
  const { rewards, left } = rewardsOf(env, [[2], [4], [3], [6], [5], [7, 8, 9, 10]]);
  assert.deepEqual(rewards, [1, 1, 1, 1, 1, 1]);
  assert.equal(left, 0);
});

test("a cut over several tiles charges each, and returning for one gives its charge back", () => {
  const env = new TileScriptEnv(40);
  // Jump from 2 to 10: tiles 3–6 are more than 3 behind 10 and charged; 7–9 wait. Then 11: 7 charged.
  // Going back to 5 refunds it; 12 charges 8 (the cursor is past 5 already).
  const { rewards, left } = rewardsOf(env, [[2], [10], [11], [5], [12]]);
  assert.deepEqual(rewards, [1, 1 - 40, 1 - 10, 1 + 10, 1 - 10]);
  assert.equal(left, 5);
});

test("visits more than half a track ahead (backwards over the start line) are not progress", () => {
  const env = new TileScriptEnv(40);
  const { rewards, left } = rewardsOf(env, [[39], [38, 37], [36], [2], [3]]);
  assert.deepEqual(rewards, [1, 1, 1, 1, 1]);
  assert.equal(left, 0);
});

test("penalty 0 leaves the rewards as they are; bad options and envs without tiles are refused by name", () => {
  const env = new TileScriptEnv(40);
  assert.deepEqual(rewardsOf(env, [[2], [10], [11]], 0).rewards, [1, 1, 1]);
  assert.throws(() => new SkippedTilePenalty(env, { penalty: -1 }), /penalty = -1 is invalid; expected a finite number ≥ 0/);
  assert.throws(() => new SkippedTilePenalty(env, { penalty: 1, slack: 0.5 }), /slack = 0.5 is invalid/);
  assert.throws(() => new SkippedTilePenalty(make("CartPole-v1"), { penalty: 1 }), /has no track tiles; it applies to CarRacing only/);
});

test("skippedTilePenalty in a train config: checked, and refused by name on an env without tiles", () => {
  assert.throws(() => resolveTrainConfig({ env: "CarRacing-v3", skippedTilePenalty: -2 }), /skippedTilePenalty = -2 is invalid; expected a finite number ≥ 0/);
  assert.throws(() => resolveTrainConfig({ env: "CarRacing-v3", skippedTilePenalty: Number.NaN }), /skippedTilePenalty = NaN is invalid/);
  const cfg = resolveTrainConfig({ env: "CartPole-v1", skippedTilePenalty: 5, totalSteps: 100 });
  assert.throws(() => new TrainLoop(cfg), /skippedTilePenalty 5 on CartPole-v1: SkippedTilePenalty: the innermost env .* applies to CarRacing only/);
});

test("env workers build the training copies with the penalty; evaluation envs have none", () => {
  const cfg = resolveTrainConfig({ env: "CarRacing-v3", envOptions: { continuous: false }, skippedTilePenalty: 7 });
  const { args } = envCopyRecipe(cfg);
  const copy = trainEnvCopy(args, 0);
  assert.ok(copy instanceof SkippedTilePenalty);
  assert.equal(copy.penalty, 7);
  copy.close();
  const loop = new TrainLoop(
    resolveTrainConfig({ ...cfg, pipeline: {}, agent: { network: { kind: "small-cnn" }, bufferSize: 100, numEnvs: 2 }, totalSteps: 100 }),
  );
  assert.ok(loop.venv instanceof VectorEnv);
  assert.ok(loop.venv.envs.every((e) => e instanceof SkippedTilePenalty));
  assert.ok(!(loop.evalEnv instanceof SkippedTilePenalty));
  loop.venv.close();
  loop.evalEnv.close();
});

test("on CarRacing, driven by the pretrained agent: the charge is the tiles skipped, and the episode return stays the env's own", () => {
  const modelPath = join(fileURLToPath(new URL("../../", import.meta.url)), "pretrained/CarRacing-v3-dqn.safetensors");
  const { agent, info } = loadModel(modelPath);
  const plain = makeTrainEnv(info);
  const shaped = makeTrainingEnv({ ...info, skippedTilePenalty: 10 });
  const wrapper = shaped as SkippedTilePenalty;
  const raw = wrapper.unwrapped;
  assert.ok(raw instanceof CarRacing);
  // Greedy episodes until one cuts a corner (the pretrained agents so far skip tiles on 8–50 % of tracks, bench:laps).
  let episodesWithSkips = 0;
  for (let seed = 3_000_000; seed < 3_000_020 && episodesWithSkips === 0; seed++) {
    let obs = plain.reset({ seed }).obs as Uint8Array;
    shaped.reset({ seed });
    let difference = 0;
    for (;;) {
      const action = agent.act(obs, { epsilon: 0 });
      const a = plain.step(action);
      const b = shaped.step(action);
      assert.deepEqual(b.obs, a.obs);
      difference += a.reward - b.reward;
      obs = a.obs as Uint8Array;
      if (a.terminated || a.truncated) {
        assert.equal(b.terminated, a.terminated);
        assert.equal(episodeStatistics(b.info)?.r, episodeStatistics(a.info)?.r);
        break;
      }
    }
    const mask = raw.visitedTileMask();
    const furthest = mask.lastIndexOf(1);
    let skipped = 0;
    for (let i = 0; i < furthest; i++) skipped += 1 - mask[i]!;
    assert.equal(wrapper.skippedTiles, skipped, `seed ${seed}`);
    assert.ok(Math.abs(difference - 10 * skipped) < 1e-9, `seed ${seed}: charged ${difference}, expected ${10 * skipped}`);
    if (skipped > 0) episodesWithSkips++;
  }
  assert.equal(episodesWithSkips, 1, "no episode skipped a tile");
  plain.close();
  shaped.close();
});
