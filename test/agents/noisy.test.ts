/**
 * NoisyNets and dropout in the agent: exploration through parameter noise (ε-greedy off),
 * noise resampled per acting step and per update from the run's seeded stream, evaluation on
 * μ, dropout only in the trained pass, exact resume from a checkpoint, model-file round trip.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { type Module, NoisyLinear } from "../../src/nn/index.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { concat } from "./torch-util.js";

const spec = { observationShape: [4], observationType: "float32" as const, nActions: 3 };

function noisyLayers(m: Module): NoisyLinear[] {
  const out: NoisyLinear[] = [];
  const walk = (x: Module): void => {
    if (x instanceof NoisyLinear) out.push(x);
    for (const [, c] of x.children()) walk(c);
  };
  walk(m);
  return out;
}

const noiseOf = (m: Module) => noisyLayers(m).map((l) => l.biasEpsilon.data.slice());

function batch(n: number, seed: number): TrainingBatch {
  return {
    size: n,
    obs: Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(seed + i)),
    nextObs: Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(seed + 2 * i)),
    actions: Int32Array.from({ length: n }, (_, i) => (i + seed) % 3),
    rewards: Float32Array.from({ length: n }, (_, i) => Math.sin(3 * i + seed)),
    dones: Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)),
    discounts: new Float32Array(n).fill(0.99),
    weights: new Float32Array(n).fill(1),
  };
}

const config: Partial<DQNConfig> = { algorithm: "c51", atoms: 5, noisy: true, network: { kind: "mlp", hidden: [16], dueling: true }, seed: 3, lr: 1e-2 };

test("NoisyNets: acting ignores ε and draws fresh noise each step; evaluation acts on μ", () => {
  const agent = new DQNAgent(spec, config);
  assert.equal(noisyLayers(agent.online).length, 3, "features.0, value, advantage");
  const obs = Float32Array.from({ length: 8 * 4 }, (_, i) => Math.sin(1.3 * i));
  const actions = new Int32Array(8);
  const before = noiseOf(agent.online);
  agent.actBatch(obs, 8, 1, actions);
  const after = noiseOf(agent.online);
  assert.notDeepEqual(after, before, "new noise for the acting step");
  // ε = 1 was ignored: the actions are greedy under the noise just drawn.
  const greedy = new Int32Array(8);
  agent.algorithm.greedyActions(agent.online.forward(agent.arena.tensor([8, 4], obs)).data, 8, greedy);
  assert.deepEqual(actions, greedy);
  // Evaluation: μ only (eval mode), no noise drawn, the same action every time.
  const first = agent.qValues(obs, 8);
  assert.deepEqual(agent.qValues(obs, 8), first);
  assert.deepEqual(noiseOf(agent.online), after, "evaluation draws no noise");
  agent.online.eval();
  const q = new Float32Array(24);
  agent.algorithm.actionValues(agent.online.forward(agent.arena.tensor([8, 4], obs)).data, 8, q);
  assert.deepEqual(q, first, "qValues is the μ network");
});

test("NoisyNets: every update draws new noise for both networks", () => {
  const agent = new DQNAgent(spec, config);
  const online = noiseOf(agent.online);
  const target = noiseOf(agent.target);
  agent.trainStep(batch(8, 1));
  assert.notDeepEqual(noiseOf(agent.online), online);
  assert.notDeepEqual(noiseOf(agent.target), target);
  assert.notDeepEqual(noiseOf(agent.online), noiseOf(agent.target), "independent noise per network");
});

test("NoisyNets: a checkpoint resumes the noise stream exactly", () => {
  const run = (resumeAt: number | null) => {
    let agent = new DQNAgent(spec, config);
    const obs = Float32Array.from({ length: 4 }, (_, i) => i / 4);
    const out = new Int32Array(1);
    for (let k = 0; k < 6; k++) {
      if (k === resumeAt) {
        const { tensors, state } = agent.checkpoint();
        agent = new DQNAgent(spec, config);
        agent.restore(tensors, JSON.parse(JSON.stringify(state)) as typeof state);
      }
      agent.actBatch(obs, 1, 0.5, out);
      agent.trainStep(batch(8, k));
    }
    return agent.online.stateDict();
  };
  const straight = run(null);
  const resumed = run(3);
  for (const [k, v] of straight) assert.deepEqual(resumed.get(k)!.data, v.data, k);
});

test("NoisyNets: a model file records noisy and loads back the same μ policy", () => {
  const agent = new DQNAgent(spec, config);
  agent.trainStep(batch(8, 0));
  const { agent: loaded, info } = modelFromBytes(
    concat(modelFileParts(agent, { env: "x", envOptions: {}, pipeline: null, step: 0, eval: null })),
    "n.safetensors",
  );
  assert.deepEqual(info.algorithm, { algorithm: "c51", noisy: true, noisySigma0: 0.5, atoms: 5, vMin: -10, vMax: 10 });
  const obs = Float32Array.from({ length: 40 }, (_, i) => Math.sin(0.3 * i));
  assert.deepEqual(loaded.qValues(obs, 10), agent.qValues(obs, 10));
});

test("dropout: only the trained pass drops; acting and targets see the whole network", () => {
  const image = { observationShape: [2, 36, 36], observationType: "uint8" as const, nActions: 3 };
  const agent = new DQNAgent(image, { network: { kind: "small-cnn", dropout: 0.5 }, seed: 1, batchSize: 2, bufferSize: 2 });
  const obs = Uint8Array.from({ length: 2 * 2 * 36 * 36 }, (_, i) => (i * 37) % 256);
  const q = agent.qValues(obs, 2);
  assert.deepEqual(agent.qValues(obs, 2), q, "no dropout when acting");
  const x = agent.arena.tensor(
    [2, 2, 36, 36],
    Float32Array.from(obs, (v) => v / 255),
  );
  const a = agent.algorithm.forward(agent.online, x, "online").data.slice();
  const b = agent.algorithm.forward(agent.online, x, "online").data.slice();
  assert.notDeepEqual(a, b, "a new mask per trained pass");
  assert.deepEqual(agent.algorithm.forward(agent.target, x, "target").data.slice(), agent.algorithm.forward(agent.target, x, "target").data.slice());
  assert.throws(() => new DQNAgent(spec, { network: { kind: "mlp", hidden: [8], dropout: 0.1 } as never }), /dropout is a CNN option/);
});
