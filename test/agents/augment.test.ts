/**
 * DrQ's random shift in the agent (`augment: "shift"`): training batches of s and s′ are
 * shifted with offsets from the run's seeded stream (drawn dy, dx per stack, s before s′),
 * acting is not; the same seed repeats a run, a checkpoint resumes the stream exactly (agent
 * and trainer); the model file records it; bad settings are refused naming the key.
 */

import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { RandomShift } from "../../src/agents/augment.js";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { Arena, Rng } from "../../src/nn/index.js";
import type { TrainConfig } from "../../src/train/config.js";
import { CsvLog } from "../../src/train/files.js";
import { readCheckpoint } from "../../src/train/model-file.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { train } from "../../src/train/trainer.js";
import { registerImageCounter, stripWall, tmp } from "../train/helpers.js";
import { concat } from "./torch-util.js";

const C = 2,
  H = 20,
  W = 20;
const spec = { observationShape: [C, H, W], observationType: "uint8" as const, nActions: 3 };
const config: Partial<DQNConfig> = {
  augment: "shift",
  augmentPad: 3,
  network: { kind: "small-cnn" },
  seed: 5,
  lr: 1e-3,
  batchSize: 4,
  bufferSize: 4,
};

function batch(n: number, seed: number): TrainingBatch {
  const len = n * C * H * W;
  return {
    size: n,
    obs: Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed * 7) % 256),
    nextObs: Uint8Array.from({ length: len }, (_, i) => (i * 17 + seed * 5 + 3) % 256),
    actions: Int32Array.from({ length: n }, (_, i) => (i + seed) % 3),
    rewards: Float32Array.from({ length: n }, (_, i) => Math.sin(3 * i + seed)),
    dones: Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    discounts: new Float32Array(n).fill(0.99),
    weights: new Float32Array(n).fill(1),
  };
}

const weights = (agent: DQNAgent) => [...agent.online.stateDict()].map(([k, v]) => [k, Array.from(v.data as Float32Array)] as const);

test("RandomShift: offsets drawn dy, dx per stack from the seeded stream, applied as replicate-pad and crop, scaled by 1/255", () => {
  const arena = new Arena();
  const n = 3,
    pad = 3;
  const shift = new RandomShift(arena, spec, pad, 5);
  const src = arena.alloc(n * C * H * W);
  const bytes = Uint8Array.from({ length: n * C * H * W }, (_, i) => (i * 73 + 11) % 256);
  new Uint8Array(arena.memory.buffer, src, bytes.length).set(bytes);
  const dst = arena.tensor([n, C, H, W]);
  // The stream's seed is 8·seed + 4; every offset is in [0, 2·pad].
  const rng = new Rng(5 * 8 + 4);
  for (let round = 0; round < 2; round++) {
    shift.convert(src, dst.ptr, n);
    const offsets = Array.from({ length: 2 * n }, () => Math.floor(rng.random() * (2 * pad + 1)));
    const want = new Float32Array(n * C * H * W);
    const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const sy = clamp(y + offsets[2 * i]! - pad, H - 1),
              sx = clamp(x + offsets[2 * i + 1]! - pad, W - 1);
            want[((i * C + c) * H + y) * W + x] = bytes[((i * C + c) * H + sy) * W + sx]! * Math.fround(1 / 255);
          }
        }
      }
    }
    assert.deepEqual(dst.data, want, `round ${round}`);
  }
});

test("augment: training shifts s and s′, the same seed repeats the run, another seed or no augmentation differs; acting is unshifted", () => {
  const run = (cfg: Partial<DQNConfig>) => {
    const agent = new DQNAgent(spec, cfg);
    for (let k = 0; k < 3; k++) agent.trainStep(batch(4, k));
    return agent;
  };
  const a = run(config);
  assert.deepEqual(weights(run(config)), weights(a), "same seed, same run");
  assert.notDeepEqual(weights(run({ ...config, augment: "none" })), weights(a), "the shift changes the updates");
  // Another seed also changes the init: compare against a run whose shifts alone differ.
  const other = new DQNAgent(spec, config);
  const { tensors, state } = other.checkpoint();
  other.restore(tensors, { ...state, augment: new DQNAgent(spec, { ...config, seed: 6 }).checkpoint().state.augment! });
  for (let k = 0; k < 3; k++) other.trainStep(batch(4, k));
  assert.notDeepEqual(weights(other), weights(a), "other shifts, other updates");
  // Acting draws no offsets and sees the unshifted images.
  const obs = batch(2, 9).obs as Uint8Array;
  const plain = new DQNAgent(spec, { ...config, augment: "none" });
  const shifted = new DQNAgent(spec, config);
  const before = shifted.checkpoint().state.augment;
  assert.deepEqual(shifted.qValues(obs, 2), plain.qValues(obs, 2));
  assert.deepEqual(shifted.checkpoint().state.augment, before);
});

test("augment: a checkpoint resumes the offset stream exactly; one without it is refused", () => {
  const run = (resumeAt: number | null) => {
    let agent = new DQNAgent(spec, config);
    for (let k = 0; k < 6; k++) {
      if (k === resumeAt) {
        const { tensors, state } = agent.checkpoint();
        agent = new DQNAgent(spec, config);
        agent.restore(tensors, JSON.parse(JSON.stringify(state)) as typeof state);
      }
      agent.trainStep(batch(4, k));
    }
    return weights(agent);
  };
  assert.deepEqual(run(3), run(null));
  const agent = new DQNAgent(spec, config);
  const { tensors, state } = agent.checkpoint();
  const { augment: _dropped, ...without } = state;
  assert.throws(() => new DQNAgent(spec, config).restore(tensors, without), /no state of the augmentation stream "augment"/);
});

test("augment: the model file records it and loads back the same policy", () => {
  const agent = new DQNAgent(spec, config);
  agent.trainStep(batch(4, 0));
  const { agent: loaded, info } = modelFromBytes(
    concat(modelFileParts(agent, { env: "x", envOptions: {}, pipeline: null, step: 0, eval: null })),
    "a.safetensors",
  );
  assert.deepEqual(info.algorithm, { algorithm: "dqn", augment: "shift", augmentPad: 3 });
  assert.equal(loaded.config.augment, "shift");
  const obs = batch(2, 4).obs as Uint8Array;
  assert.deepEqual(loaded.qValues(obs, 2), agent.qValues(obs, 2));
});

test("augment: bad settings are refused naming the key, the value and what is allowed", () => {
  assert.throws(() => new DQNAgent(spec, { ...config, augment: "flip" as "shift" }), /augment = "flip" is invalid; expected one of none, shift/);
  assert.throws(() => new DQNAgent(spec, { ...config, augmentPad: 0 }), /augmentPad = 0 is invalid; expected a positive integer/);
  assert.throws(() => new DQNAgent(spec, { ...config, augmentPad: 2.5 }), /augmentPad = 2\.5 is invalid/);
  assert.throws(() => new DQNAgent(spec, { ...config, augmentPad: 20 }), /augmentPad = 20 must be smaller than the image \(20×20\)/);
  assert.throws(
    () => new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { augment: "shift" }),
    /augment = "shift" needs image observations \(uint8 \[channels, height, width\]\), got float32 \[4\]/,
  );
  // Off, the pad is not checked against any image.
  assert.doesNotThrow(() => new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { augmentPad: 8 }));
});

test("augment: a trainer run with image observations repeats per seed and resumes exactly", async () => {
  registerImageCounter();
  const cfg: Partial<TrainConfig> & { env: string } = {
    env: "TestCounter84-v0",
    pipeline: { noops: 0, skip: 1, crop: null, grayscale: true, resize: null, stack: 4 },
    totalSteps: 400,
    evalEvery: 200,
    evalEpisodes: 1,
    checkpointEvery: 10_000,
    saveReplay: true,
    agent: {
      network: { kind: "small-cnn" },
      augment: "shift",
      batchSize: 8,
      bufferSize: 1000,
      learningStarts: 100,
      trainFreq: 4,
      targetUpdateInterval: 100,
      seed: 3,
    },
  };
  const body = (p: string) => {
    const f = readFileSync(p);
    return f.subarray(8 + f.readUInt32LE(0));
  };
  const a = tmp("deepq-drq-");
  const b = tmp("deepq-drq-");
  const c = tmp("deepq-drq-");
  try {
    await train(cfg, { runDir: a });
    await train(cfg, { runDir: c });
    assert.deepEqual(body(join(c, "model.safetensors")), body(join(a, "model.safetensors")), "same seed, same weights");
    const stop = new AbortController();
    const res = await train(cfg, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 200 && stop.abort() });
    assert.equal(res.reason, "interrupted");
    assert.ok(readCheckpoint(join(b, "checkpoints/last.safetensors")).meta.agent.augment !== undefined, "the checkpoint holds the offset stream");
    await train({ env: "TestCounter84-v0" }, { runDir: b, resume: true });
    assert.deepEqual(stripWall(CsvLog.read(join(b, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
    assert.deepEqual(body(join(b, "model.safetensors")), body(join(a, "model.safetensors")), "resumed = uninterrupted");
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});
