/**
 * The `DQN` user API: any Env trains (instance, factory, registered id), networks may be
 * factories, callbacks stop training, predict/evaluate/save/load round-trip, runs keep
 * their report seeds apart from the selection seeds, and a run directory is optional.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Box, type Discrete, DQN, type DQNOptions, type Env, loadModel, type NetworkContext, nn, type TrainEvent } from "../../src/index.js";
import { tmp } from "../train/helpers.js";
import { ChainEnv } from "./chain-env.js";

/** Hyperparameters that solve the 10-state chain quickly and deterministically. */
const chainConfig: DQNOptions = {
  network: { kind: "mlp", hidden: [32] },
  lr: 1e-3,
  gamma: 0.95,
  seed: 0,
  learningStarts: 500,
  bufferSize: 20_000,
  batchSize: 64,
  targetUpdateInterval: 500,
  exploration: { kind: "linear", start: 1, end: 0.05, fraction: 0.5 },
};
const oneHot = (i: number, n = 10) => {
  const o = new Float32Array(n);
  o[i] = 1;
  return o;
};

test("learn solves a custom 10-state chain (reward only at the right end) within 20k steps, deterministically", async () => {
  const run = async () => {
    const model = new DQN(() => new ChainEnv(), chainConfig);
    const res = await model.learn({ totalSteps: 20_000, evalEvery: 1000, evalEpisodes: 1, reportEpisodes: 5, stopAtReturn: 1 });
    return { model, res };
  };
  const { model, res } = await run();
  assert.equal(res.reason, "goal");
  assert.ok(res.step <= 20_000);
  assert.equal(res.runDir, null);
  // Greedy: right from every state but the terminal one, so the return is 1 in 9 steps.
  assert.deepEqual([...model.predict(Array.from({ length: 9 }, (_, i) => oneHot(i)))], new Array(9).fill(1));
  const ev = await model.evaluate(undefined, { episodes: 3, seed: 5 });
  assert.deepEqual(ev.returns, [1, 1, 1]);
  assert.deepEqual(ev.lengths, [9, 9, 9]);
  assert.deepEqual(res.report!.report.returns, [1, 1, 1, 1, 1]);
  const again = await run();
  assert.equal(again.res.step, res.step);
  assert.deepEqual(again.model.toBytes(), model.toBytes());
});

test("an env instance trains like a factory of copies: evaluation borrows it and restores the training episode", async () => {
  const fromFactory = new DQN(() => new ChainEnv(), chainConfig);
  const fromInstance = new DQN(new ChainEnv(), chainConfig);
  const opts = { totalSteps: 3000, evalEvery: 700, evalEpisodes: 2, reportEpisodes: 0 };
  const a = await fromFactory.learn(opts);
  const b = await fromInstance.learn(opts);
  assert.equal(b.step, a.step);
  assert.deepEqual(b.lastEval, a.lastEval);
  assert.deepEqual(fromInstance.toBytes(), fromFactory.toBytes());
  await assert.rejects(
    new DQN(new ChainEnv(), { ...chainConfig, numEnvs: 2 }).learn(opts),
    /numEnvs 2: one env instance cannot be stepped as 2 copies; pass a factory/,
  );
});

test("a factory builds the vector env's copies; predict takes float64 observations and explores when not deterministic", async () => {
  const model = new DQN(() => new ChainEnv(), { ...chainConfig, numEnvs: 3 });
  const res = await model.learn({ totalSteps: 3000, evalEvery: 1000, evalEpisodes: 1, reportEpisodes: 0 });
  assert.equal(res.step, 3000);
  const obs = oneHot(4);
  assert.equal(model.predict(Float64Array.from(obs)), model.predict(obs));
  const explorer = new DQN(() => new ChainEnv(), { ...chainConfig, exploration: { kind: "linear", start: 1, end: 1, fraction: 1 } });
  const actions = new Set(Array.from({ length: 50 }, () => explorer.predict(obs, { deterministic: false })));
  assert.deepEqual([...actions].sort(), [0, 1]);
});

test("a callback returning false stops learn; every event reaches onEvent", async () => {
  const model = new DQN(() => new ChainEnv(), chainConfig);
  const kinds = new Set<TrainEvent["kind"]>();
  let episodes = 0;
  const res = await model.learn({
    totalSteps: 10_000,
    evalEvery: 500,
    evalEpisodes: 1,
    reportEpisodes: 1,
    onEvent: (e) => kinds.add(e.kind),
    callbacks: { onEpisode: () => ++episodes < 3 },
  });
  assert.equal(res.reason, "stopped");
  assert.equal(episodes, 3);
  assert.ok(res.step < 10_000);
  for (const k of ["start", "episode", "eval", "report", "done"] as const) assert.ok(kinds.has(k), `no ${k} event`);
});

test("a custom network factory trains, saves and reloads; loading needs the env and network again", async () => {
  const dir = tmp("deepq-api-");
  try {
    const network = ({ observationShape, outputs, seed, arena }: NetworkContext) => {
      const rng = new nn.Rng(seed);
      return new nn.Sequential(
        [new nn.Linear(observationShape[0]!, 24, { rng, arena }), new nn.ReLU(arena), new nn.Linear(24, outputs, { rng, arena })],
        arena,
      );
    };
    const model = new DQN(() => new ChainEnv(), { ...chainConfig, network, networkName: "two-layer" });
    await model.learn({ totalSteps: 1500, evalEvery: 500, evalEpisodes: 1, reportEpisodes: 0 });
    const path = join(dir, "chain.safetensors");
    await model.save(path);
    // The format `deepq eval` reads, which names the custom network it cannot build.
    assert.throws(() => loadModel(path), /network "custom" \("two-layer"\) is built by its factory/);
    await assert.rejects(DQN.load(path), /trained on the unregistered env "ChainEnv"; pass it: DQN\.load\(path, \{ env \}\)/);
    await assert.rejects(
      DQN.load(path, { env: () => new ChainEnv() }),
      /holds the custom network "two-layer"; pass its factory: DQN\.load\(path, \{ env, network \}\)/,
    );
    const again = await DQN.load(path, { env: () => new ChainEnv(), network });
    assert.equal(again.envId, "custom:ChainEnv");
    assert.equal(again.numTimesteps, 1500);
    assert.deepEqual(again.config, model.config);
    const states = Array.from({ length: 10 }, (_, i) => oneHot(i));
    assert.deepEqual(again.predict(states), model.predict(states));
    assert.deepEqual(again.toBytes(), model.toBytes());
    // A network of the wrong output size is refused before training.
    const wrong = ({ observationShape, seed, arena }: NetworkContext) => new nn.Linear(observationShape[0]!, 3, { rng: new nn.Rng(seed), arena });
    assert.throws(
      () => new DQN(() => new ChainEnv(), { ...chainConfig, network: wrong }),
      /maps one observation of shape \[10\] to shape \[1, 3\], expected \[1, 2\]/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a registered id with a runDir keeps the run as train() does, with report.json on report seeds; resume continues it", async () => {
  const dir = tmp("deepq-api-");
  try {
    const model = new DQN("CartPole-v1", { network: { kind: "mlp", hidden: [16] }, seed: 3, learningStarts: 100, bufferSize: 2000 });
    const res = await model.learn({ totalSteps: 1000, evalEvery: 500, evalEpisodes: 2, reportEpisodes: 3, runDir: dir, checkpointEvery: 500 });
    assert.equal(res.runDir, dir);
    for (const f of ["config.json", "episodes.csv", "progress.csv", "returns.png", "best.safetensors", "model.safetensors", "report.json", "checkpoints"]) {
      assert.ok(existsSync(join(dir, f)), `${f} missing`);
    }
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as {
      selection: { seed: number; episodes: number };
      report: { seed: number; returns: number[] };
    };
    assert.deepEqual(report.selection, { seed: 1_000_000, episodes: 2, mean: res.report!.selection.mean, std: res.report!.selection.std });
    assert.equal(report.report.seed, 2_000_000);
    assert.equal(report.report.returns.length, 3);
    assert.deepEqual(report.report, res.report!.report);
    assert.equal(loadModel(join(dir, "model.safetensors")).info.env, "CartPole-v1");
    const other = new DQN("CartPole-v1", { network: { kind: "mlp", hidden: [16] }, seed: 4, learningStarts: 100, bufferSize: 2000 });
    await assert.rejects(other.learn({ totalSteps: 1500, runDir: dir, resume: true }), /holds a run of another config \(agent\.seed: 3 → 4\)/);
    await assert.rejects(model.learn({ totalSteps: 1500, evalEpisodes: 5, runDir: dir, resume: true }), /\(evalEpisodes: 2 → 5\)/);
    const more = await model.learn({ totalSteps: 1500, runDir: dir, resume: true });
    assert.equal(more.step, 1500);
    assert.equal(model.numTimesteps, 1500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without a runDir nothing touches the disk", async () => {
  const before = readdirSync(process.cwd()).sort();
  const model = new DQN("CartPole-v1", { network: { kind: "mlp", hidden: [8] }, learningStarts: 50, bufferSize: 500 });
  await model.learn({ totalSteps: 300, evalEvery: 150, evalEpisodes: 1, reportEpisodes: 1 });
  assert.deepEqual(readdirSync(process.cwd()).sort(), before);
});

test("unsupported envs, bad sources and overlapping seed ranges are refused naming the problem", async () => {
  class Continuous extends ChainEnv {
    override readonly actionSpace = new Box(-1, 1, [1]) as unknown as Discrete;
  }
  assert.throws(() => new DQN(() => new Continuous()), /DQN needs a discrete action space, got Box/);
  class Grid extends ChainEnv {
    override readonly observationSpace = new Box<Float32Array>(0, 1, [2, 5], "float32");
  }
  assert.throws(() => new DQN(new Grid()), /float observations of shape \[2, 5\] need flattening/);
  assert.throws(() => new DQN({ reset: 1 } as unknown as Env), /env is \{"reset":1\}, not an Env/);
  assert.throws(() => new DQN(new ChainEnv(), { envOptions: { x: 1 } }), /envOptions and pipeline apply to a registered env id/);
  const model = new DQN(() => new ChainEnv(), chainConfig);
  await assert.rejects(
    model.learn({ totalSteps: 100, evalSeed: 1_999_995, evalEpisodes: 10 }),
    /report seeds 2000000–2000099 \(reportSeed, reportEpisodes\) overlap the selection seeds 1999995–2000004/,
  );
  await assert.rejects(model.learn({ totalSteps: 100, resume: true }), /resume needs the runDir/);
  await assert.rejects(model.learn({ totalSteps: 100, keepModels: true }), /keepModels needs a runDir/);
});
