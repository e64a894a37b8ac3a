import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import type { TrainConfig } from "../../src/train/config.js";
import { CsvLog } from "../../src/train/files.js";
import { loadModel, readCheckpoint } from "../../src/train/model-file.js";
import { type TrainEvent, train } from "../../src/train/trainer.js";
import { modelBody, quick, registerImageCounter, stripWall, tmp as tmpDir } from "./helpers.js";

const tmp = () => tmpDir("deepq-train-");

test("a short CartPole run writes logs, plots, models and a checkpoint", async () => {
  const dir = tmp();
  try {
    const events: TrainEvent[] = [];
    const res = await train(quick, { runDir: dir, onEvent: (e) => events.push(e) });
    assert.equal(res.step, 3000);
    assert.equal(res.reason, "finished");
    for (const f of [
      "config.json",
      "episodes.csv",
      "progress.csv",
      "returns.svg",
      "returns.png",
      "best.safetensors",
      "model.safetensors",
      "checkpoints/last.safetensors",
    ]) {
      assert.ok(existsSync(join(dir, f)), `${f} missing`);
    }
    // The checkpoint unit: the manifest and the one replay file it names, with the same id.
    const { meta } = readCheckpoint(join(dir, "checkpoints/last.safetensors"));
    assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["last.safetensors", `replay-${meta.id}.safetensors`]);
    const progress = CsvLog.read(join(dir, "progress.csv"));
    assert.deepEqual(
      progress.map((r) => Number(r.step)),
      [500, 1000, 1500, 2000, 2500, 3000],
    );
    const episodes = CsvLog.read(join(dir, "episodes.csv"));
    assert.ok(episodes.length > 10);
    assert.equal(episodes.reduce((s, r) => s + Number(r.length), 0) <= 3000, true);
    assert.ok(events.some((e) => e.kind === "episode") && events.some((e) => e.kind === "checkpoint"));
    const { info } = loadModel(join(dir, "model.safetensors"));
    assert.equal(info.env, "CartPole-v1");
    assert.equal(info.step, 3000);
    assert.equal(readCheckpoint(join(dir, "checkpoints/last.safetensors")).meta.progress.step, 3000);
    await assert.rejects(train(quick, { runDir: dir }), /already holds a run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the returns plot is titled with the env and the algorithm that trained it", async () => {
  const dir = tmp();
  try {
    await train({ ...quick, totalSteps: 500, agent: { ...quick.agent, algorithm: "qr-dqn", quantiles: 8 } }, { runDir: dir });
    const svg = readFileSync(join(dir, "returns.svg"), "utf8");
    assert.ok(svg.includes("CartPole-v1 — QR-DQN"), "title missing from returns.svg");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an interrupted and resumed run equals the uninterrupted run", async () => {
  const a = tmp();
  const b = tmp();
  try {
    await train(quick, { runDir: a });
    // Interrupt (as SIGINT does) once past 1500 steps, then resume.
    const stop = new AbortController();
    const res = await train(quick, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 1500 && stop.abort() });
    assert.equal(res.reason, "interrupted");
    assert.ok(res.step >= 1500 && res.step < 3000, `stopped at ${res.step}`);
    const mid = readCheckpoint(join(b, "checkpoints/last.safetensors"));
    assert.equal(mid.meta.progress.step, res.step);
    await train({ env: "CartPole-v1" }, { runDir: b, resume: true });
    assert.deepEqual(stripWall(CsvLog.read(join(b, "episodes.csv"))), stripWall(CsvLog.read(join(a, "episodes.csv"))));
    assert.deepEqual(stripWall(CsvLog.read(join(b, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
    assert.deepEqual(
      readFileSync(join(b, "model.safetensors")).subarray(8 + readFileSync(join(b, "model.safetensors")).readUInt32LE(0)),
      readFileSync(join(a, "model.safetensors")).subarray(8 + readFileSync(join(a, "model.safetensors")).readUInt32LE(0)),
    );
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("keepModels keeps every evaluation's model, and a resume replaces those past its checkpoint with the same ones", async () => {
  const a = tmp();
  const b = tmp();
  try {
    await assert.rejects(train({ ...quick, keepModels: 1 as unknown as boolean }, { runDir: a }), /train config: keepModels must be true or false, got 1/);
    const keep = { ...quick, keepModels: true };
    await train(keep, { runDir: a });
    const names = readdirSync(join(a, "models")).sort();
    const steps = [500, 1000, 1500, 2000, 2500, 3000];
    assert.deepEqual(
      names,
      steps.map((s) => `${String(s).padStart(10, "0")}.safetensors`),
    );
    const progress = CsvLog.read(join(a, "progress.csv"));
    for (const [i, name] of names.entries()) {
      const { info } = loadModel(join(a, "models", name));
      assert.equal(info.step, steps[i]);
      assert.equal(info.eval?.mean, Number(progress[i]!.eval_mean));
      assert.equal(info.eval?.episodes, 2);
    }
    assert.deepEqual(modelBody(join(a, "models", names.at(-1)!)), modelBody(join(a, "model.safetensors")));
    const best = loadModel(join(a, "best.safetensors")).info.step;
    assert.deepEqual(modelBody(join(a, "models", `${String(best).padStart(10, "0")}.safetensors`)), modelBody(join(a, "best.safetensors")));

    // A crash after the evaluation at 1500 and before the next checkpoint leaves its model behind
    // the checkpoint: the resume removes it, evaluates that step again and writes the same model.
    const stop = new AbortController();
    await train(keep, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "checkpoint" && e.step === 1000 && stop.abort() });
    const at = readCheckpoint(join(b, "checkpoints/last.safetensors")).meta.progress.step;
    assert.ok(at >= 1000 && at < 1500, `checkpoint at ${at}`);
    writeFileSync(join(b, "models", "0000001500.safetensors"), readFileSync(join(b, "models", "0000001000.safetensors")));
    const events: TrainEvent[] = [];
    await train(null, { runDir: b, resume: true, onEvent: (e) => events.push(e) });
    const warned = new RegExp(`removed 1 kept model\\(s\\) of steps after the checkpoint's ${at}`);
    assert.ok(events.some((e) => e.kind === "warning" && warned.test(e.message)));
    assert.deepEqual(readdirSync(join(b, "models")).sort(), names);
    for (const name of names) assert.deepEqual(modelBody(join(b, "models", name)), modelBody(join(a, "models", name)), name);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("a linear learning-rate schedule reaches its end and resumes exactly", async () => {
  // The rate falls to 0 at step 1500, so a run stopped just after 1500 already has the final weights.
  const decayed = { ...quick, agent: { ...quick.agent, lrSchedule: { kind: "linear" as const, end: 0, fraction: 0.5 } } };
  const [a, b, c] = [tmpDir(), tmpDir(), tmpDir()];
  try {
    await train(decayed, { runDir: a });
    const stop = new AbortController();
    const stopped = await train(decayed, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "eval" && e.step >= 2000 && stop.abort() });
    assert.deepEqual([stopped.reason, stopped.step], ["interrupted", 2000]);
    assert.deepEqual(modelBody(join(b, "model.safetensors")), modelBody(join(a, "model.safetensors")), "weights changed after the rate reached 0");
    const early = new AbortController();
    await train(decayed, { runDir: c, signal: early.signal, onEvent: (e) => e.kind === "eval" && e.step >= 500 && early.abort() });
    assert.notDeepEqual(modelBody(join(c, "model.safetensors")), modelBody(join(a, "model.safetensors")));
    await train({ env: "CartPole-v1" }, { runDir: c, resume: true });
    assert.deepEqual(modelBody(join(c, "model.safetensors")), modelBody(join(a, "model.safetensors")), "resumed run differs");
    assert.deepEqual(stripWall(CsvLog.read(join(c, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test("weight averaging: the model files hold the average, the run resumes exactly, and the online weights train as without it", async () => {
  const averaged = { ...quick, agent: { ...quick.agent, weightAveragingTau: 0.01 } };
  const [a, b, plain] = [tmpDir(), tmpDir(), tmpDir()];
  try {
    await train(averaged, { runDir: a });
    await train(quick, { runDir: plain });
    const online = (dir: string) => {
      const { tensors } = readCheckpoint(join(dir, "checkpoints/last.safetensors"));
      return [...tensors].filter(([k]) => k.startsWith("online.")).map(([k, t]) => [k, Array.from(t.data as Float32Array)]);
    };
    assert.deepEqual(online(a), online(plain), "the average changed the training");
    const last = readCheckpoint(join(a, "checkpoints/last.safetensors")).tensors;
    const model = loadModel(join(a, "model.safetensors")).agent.modelStateDict();
    for (const [k, t] of model) assert.deepEqual(t.data, last.get(`average.${k}`)!.data, `model.safetensors ${k} is not the average`);
    assert.notDeepEqual(modelBody(join(a, "model.safetensors")), modelBody(join(plain, "model.safetensors")));
    const stop = new AbortController();
    await train(averaged, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "eval" && e.step >= 1500 && stop.abort() });
    await train({ env: "CartPole-v1" }, { runDir: b, resume: true });
    for (const f of ["model.safetensors", "best.safetensors"]) assert.deepEqual(modelBody(join(b, f)), modelBody(join(a, f)), `resumed ${f} differs`);
    assert.deepEqual(stripWall(CsvLog.read(join(b, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
  } finally {
    for (const d of [a, b, plain]) rmSync(d, { recursive: true, force: true });
  }
});

test("bad configs and resumes are refused with the reason", async () => {
  const dir = tmp();
  try {
    await assert.rejects(train({ ...quick, totalSteps: 0 }, { runDir: dir }), /totalSteps = 0/);
    await assert.rejects(train({ env: "Nope-v0" }, { runDir: dir }), /Nope-v0/);
    await assert.rejects(train({ env: "CartPole-v1" }, { runDir: dir, resume: true }), /no checkpoint/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a resume keeps the run's config: a differing field is refused naming it, and leaves the directory as it was", async () => {
  const dir = tmp();
  const fresh = tmp();
  try {
    const first = { ...quick, totalSteps: 1000 };
    await train(first, { runDir: dir });
    const files = ["config.json", "episodes.csv", "progress.csv", "checkpoints/last.safetensors"];
    const before = files.map((f) => readFileSync(join(dir, f)));
    await assert.rejects(train({ ...first, agent: { ...first.agent, lr: 3e-4, seed: 8 } }, { runDir: dir, resume: true, totalSteps: 1500 }), (e: Error) => {
      assert.equal(e.message.split("\n").length, 1);
      assert.match(
        e.message,
        new RegExp(
          `^${dir} holds a run of another config \\(agent\\.seed: 7 → 8; agent\\.lr: 0\\.0001 → 0\\.0003\\): a resume continues the run as it started; resume without a config`,
        ),
      );
      return true;
    });
    await assert.rejects(
      train({ ...first, totalSteps: 1500 }, { runDir: dir, resume: true }),
      /totalSteps: 1000 → 1500\): .*only through its totalSteps option/,
    );
    await assert.rejects(train({ ...first, totalSteps: 1500 }, { runDir: dir, resume: true, totalSteps: 2000 }), /totalSteps: 1000 → 1500/);
    assert.deepEqual(
      files.map((f) => readFileSync(join(dir, f))),
      before,
      "a refused resume must leave the run directory as it was",
    );
    // The run's own config (with its first budget or the new one) and null both continue it.
    assert.equal((await train(first, { runDir: dir, resume: true, totalSteps: 1500 })).step, 1500);
    assert.equal((await train({ ...first, totalSteps: 2000 }, { runDir: dir, resume: true, totalSteps: 2000 })).step, 2000);
    assert.equal((await train(null, { runDir: dir, resume: true, totalSteps: 2500 })).step, 2500);
    await assert.rejects(train(null, { runDir: fresh }), /a new run needs a config \(only a resume takes its config from the checkpoint\)/);
  } finally {
    for (const d of [dir, fresh]) rmSync(d, { recursive: true, force: true });
  }
});

test("image observations: frame-stack replay, prioritized n-step Double DQN, exact resume with the saved buffer", async () => {
  registerImageCounter();
  const cfg: Partial<TrainConfig> & { env: string } = {
    env: "TestCounter84-v0",
    pipeline: { noops: 0, skip: 1, crop: null, grayscale: true, resize: null, stack: 4 },
    totalSteps: 600,
    evalEvery: 200,
    evalEpisodes: 1,
    checkpointEvery: 10_000,
    saveReplay: true,
    agent: {
      network: { kind: "small-cnn", dueling: true },
      double: true,
      nStep: 3,
      prioritized: true,
      batchSize: 8,
      bufferSize: 1000,
      learningStarts: 100,
      trainFreq: 4,
      targetUpdateInterval: 100,
      numEnvs: 2,
      seed: 3,
    },
  };
  const a = tmp();
  const b = tmp();
  try {
    await train(cfg, { runDir: a });
    const stop = new AbortController();
    const res = await train(cfg, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 300 && stop.abort() });
    assert.equal(res.reason, "interrupted");
    await train({ env: "TestCounter84-v0" }, { runDir: b, resume: true });
    assert.deepEqual(stripWall(CsvLog.read(join(b, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
    const body = (p: string) => {
      const f = readFileSync(p);
      return f.subarray(8 + f.readUInt32LE(0));
    };
    assert.deepEqual(body(join(b, "model.safetensors")), body(join(a, "model.safetensors")));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
