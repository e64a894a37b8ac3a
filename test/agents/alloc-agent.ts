/**
 * Allocation per call on the agent's hot paths: act (batch 1 and batch N) and trainStep.
 * Importing ../replay/alloc-util.js turns inlining off for the process (the worst case);
 * each algorithm gets a test file of its own, so no other test's type feedback is shared.
 */
import assert from "node:assert/strict";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { Rng } from "../../src/nn/index.js";
import { bytesPerCall, LIMIT } from "../replay/alloc-util.js";

const OBS = 6;
/** Two stacked 20×20 uint8 frames: the image path (staging, Conv2d, Flatten). */
const FRAMES: readonly number[] = [2, 20, 20];
const ACTIONS = 3;
const ENVS = 4;
const BATCH = 8;

function filled(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

function pixels(n: number, rng: Rng): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(rng.uniform(0, 256));
  return a;
}

function batchOf(rng: Rng, obs: (n: number, rng: Rng) => Float32Array | Uint8Array, obsSize: number): TrainingBatch {
  const actions = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) actions[i] = i % ACTIONS;
  return {
    size: BATCH,
    obs: obs(BATCH * obsSize, rng),
    nextObs: obs(BATCH * obsSize, rng),
    actions,
    rewards: filled(BATCH, rng),
    dones: Float32Array.from({ length: BATCH }, (_, i) => (i % 5 === 4 ? 1 : 0)),
    discounts: new Float32Array(BATCH).fill(0.99),
    weights: new Float32Array(BATCH).fill(1),
  };
}

/**
 * The heap numbers trainStep may still allocate when nothing is inlined: each gradient-norm
 * kernel call returns its sum of squares as a fresh number (one per parameter tensor; native
 * and WebAssembly calls box their double results), and the loss, mean Q, the norm and the
 * optimizer's bias corrections cross a call as doubles. Anything else (an array, a view, an
 * object: ≥ 16 bytes) goes over the bound.
 */
const BOXED_DOUBLES_BESIDES_PARAMS = 5;
const HEAP_NUMBER_BYTES = 16;

/**
 * Measures act (batch 1, greedy), actBatch (batch N, ε-greedy) and trainStep in steady state:
 * the acting calls must allocate nothing, trainStep at most its boxed doubles (above).
 */
export function assertNoAllocation(config: Partial<DQNConfig>, observations: "vector" | "image" = "vector"): void {
  const image = observations === "image";
  const shape = image ? FRAMES : [OBS];
  const size = shape.reduce((a, b) => a * b, 1);
  const make = image ? pixels : filled;
  const agent = new DQNAgent({ observationShape: shape, observationType: image ? "uint8" : "float32", nActions: ACTIONS }, { ...config, seed: 3 });
  const rng = new Rng(7);
  const one = make(size, rng);
  const many = make(ENVS * size, rng);
  const actions = new Int32Array(ENVS);
  const batch = batchOf(rng, make, size);
  const trainBound = HEAP_NUMBER_BYTES * (agent.online.parameters().length + BOXED_DOUBLES_BESIDES_PARAMS);
  const measured: Array<[string, () => void, number, number]> = [
    ["act", () => void agent.act(one), 3000, LIMIT],
    ["actBatch", () => void agent.actBatch(many, ENVS, 0.5, actions), 2000, LIMIT],
    ["trainStep", () => void agent.trainStep(batch), 500, trainBound],
  ];
  // Every path once first: the first call of each batch size allocates its buffers.
  for (const [, op] of measured) op();
  const report = measured.map(([name, op, calls, bound]) => [name, bytesPerCall(op, calls), bound] as const);
  const all = report.map(([name, bytes]) => `${name} ${bytes.toFixed(1)}`).join(", ");
  for (const [name, bytes, bound] of report) {
    assert.ok(bytes < bound, `${JSON.stringify(config)}: ${name} allocates ${bytes} bytes per call, expected < ${bound} (all: ${all})`);
  }
}
