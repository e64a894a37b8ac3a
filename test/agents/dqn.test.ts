import assert from "node:assert/strict";
import { test } from "node:test";
import type { DQN } from "../../src/agents/algorithms/index.js";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import type { SafeTensorsFile } from "../../src/nn/safetensors.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";
import { closeRel, f32, fixtureBatch, prefixed } from "./torch-util.js";

interface TorchMeta {
  net: string;
  loss: "mse" | "huber";
  gamma: number;
  losses: number[];
  optimizer: "adam" | "rmsprop";
  lr: number;
  alpha?: number;
  eps: number;
}

function agentFor(file: string, double: boolean): { agent: DQNAgent; batch: TrainingBatch; f: SafeTensorsFile; meta: TorchMeta } {
  const f = loadFixture(`torch/${file}`);
  const meta = fixtureMeta<TorchMeta>(f);
  const dueling = meta.net.startsWith("dueling");
  const cfg: Partial<DQNConfig> = {
    network: { kind: "mlp", hidden: [64, 64], dueling },
    loss: meta.loss,
    optimizer: meta.optimizer,
    lr: meta.lr,
    gamma: meta.gamma,
    maxGradNorm: null,
    double,
    batchSize: 16,
    bufferSize: 16,
    ...(meta.optimizer === "rmsprop" ? { rmspropAlpha: meta.alpha ?? 0.99, rmspropEps: meta.eps } : { adamEps: meta.eps }),
  };
  const agent = new DQNAgent({ observationShape: [8], observationType: "float32", nActions: 4 }, cfg);
  agent.online.loadStateDict(prefixed(f, "init/"));
  agent.target.loadStateDict(prefixed(f, "target/"));
  const batch = fixtureBatch(f, meta.gamma);
  return { agent, batch, f, meta };
}

const MLP_FIXTURES = [
  "torch-mlp-huber-adam.safetensors",
  "torch-mlp-mse-rmsprop.safetensors",
  "torch-dueling-mlp-huber-adam.safetensors",
  "torch-dueling-mlp-mse-rmsprop.safetensors",
];

for (const file of MLP_FIXTURES) {
  test(`trainStep reproduces PyTorch's targets, loss and weights: ${file}`, () => {
    const { agent, batch, f, meta } = agentFor(file, false);
    for (let k = 1; k <= 3; k++) {
      const r = agent.trainStep(batch);
      assert.ok(Math.abs(r.loss - meta.losses[k - 1]!) <= 1e-5 * Math.max(1, meta.losses[k - 1]!), `loss ${k}: ${r.loss} vs ${meta.losses[k - 1]}`);
      if (k === 1) closeRel((agent.algorithm as DQN).lastTargets(batch.size), f32(f, "target_dqn"), 1e-5, "target_dqn");
      if (k === 1 || k === 3) {
        for (const [name, t] of agent.online.stateDict()) closeRel(t.data as Float32Array, f32(f, `step${k}/${name}`), 1e-5, `step${k}/${name}`);
      }
    }
  });

  test(`Double DQN targets match target_double: ${file}`, () => {
    const { agent, batch, f } = agentFor(file, true);
    agent.trainStep(batch);
    closeRel((agent.algorithm as DQN).lastTargets(batch.size), f32(f, "target_double"), 1e-5, "target_double");
  });
}

test("ε-greedy: ε = 0 is greedy, ε = 1 is uniform, and the same seed repeats", () => {
  const spec = { observationShape: [4], observationType: "float32" as const, nActions: 3 };
  const a = new DQNAgent(spec, { network: { kind: "mlp", hidden: [8] }, seed: 3 });
  const b = new DQNAgent(spec, { network: { kind: "mlp", hidden: [8] }, seed: 3 });
  const obs = new Float32Array(40).map((_, i) => Math.sin(i));
  const q = a.qValues(obs, 10);
  const greedy = a.actBatch(obs, 10, 0, new Int32Array(10));
  for (let i = 0; i < 10; i++) {
    const row = Array.from(q.subarray(i * 3, i * 3 + 3));
    assert.equal(greedy[i], row.indexOf(Math.max(...row)));
  }
  const counts = [0, 0, 0];
  const out = new Int32Array(10);
  for (let k = 0; k < 300; k++) for (const x of a.actBatch(obs, 10, 1, out)) counts[x]!++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `uniform counts ${counts}`);
  const outB = new Int32Array(10);
  for (let k = 0; k < 300; k++) b.actBatch(obs, 10, 1, outB);
  assert.deepEqual(Array.from(b.actBatch(obs, 10, 0.5, outB)), Array.from(a.actBatch(obs, 10, 0.5, out)));
});

test("checkpoint/restore resumes the learner exactly", () => {
  const spec = { observationShape: [3], observationType: "float32" as const, nActions: 2 };
  const cfg: Partial<DQNConfig> = { network: { kind: "mlp", hidden: [16] }, lr: 1e-2, batchSize: 4, bufferSize: 4 };
  const batch: TrainingBatch = {
    size: 4,
    obs: new Float32Array(12).map((_, i) => Math.cos(i)),
    nextObs: new Float32Array(12).map((_, i) => Math.sin(i)),
    actions: Int32Array.from([0, 1, 1, 0]),
    rewards: Float32Array.from([1, 0, -1, 0.5]),
    dones: Float32Array.from([0, 0, 1, 0]),
    discounts: new Float32Array(4).fill(0.99),
    weights: new Float32Array(4).fill(1),
  };
  const a = new DQNAgent(spec, cfg);
  a.trainStep(batch);
  const { tensors, state } = a.checkpoint();
  const saved = new Map([...tensors].map(([k, v]) => [k, { ...v, data: (v.data as Float32Array).slice() }]));
  const b = new DQNAgent(spec, { ...cfg, seed: 99 });
  b.restore(saved, JSON.parse(JSON.stringify(state)));
  for (let k = 0; k < 3; k++) assert.equal(a.trainStep(batch).loss, b.trainStep(batch).loss);
  const obs = batch.obs;
  assert.deepEqual(Array.from(a.actBatch(obs, 4, 0.5, new Int32Array(4))), Array.from(b.actBatch(obs, 4, 0.5, new Int32Array(4))));
});

test("bad specs and observations are named", () => {
  assert.throws(
    () => new DQNAgent({ observationShape: [4, 84, 84], observationType: "uint8", nActions: 5 }, { network: { kind: "mlp", hidden: [8] } }),
    /"mlp" needs flat observations, got shape \[4, 84, 84\]/,
  );
  assert.throws(() => new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 0 }), /nActions must be a positive integer, got 0/);
  const a = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { network: { kind: "mlp", hidden: [8] } });
  assert.throws(() => a.act(new Float32Array(3)), /1 observation\(s\) of shape \[4\] \(4 values\), got 3/);
});
