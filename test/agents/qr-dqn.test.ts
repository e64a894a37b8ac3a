/**
 * QR-DQN against sb3-contrib's equations, recorded in PyTorch
 * (`torch-dqn-family/torch-qrdqn-mlp-adam`): quantiles, greedy next actions, target quantiles,
 * the quantile Huber loss, its gradients and the weights after 1 and 3 Adam steps.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { QRDQN } from "../../src/agents/algorithms/index.js";
import { DQNAgent } from "../../src/agents/dqn.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";
import { batchInputs, checkLossGradient, closeRel, concat, f32, fixtureAgent, fixtureBatch } from "./torch-util.js";

interface Meta {
  n_quantiles: number;
  gamma: number;
  losses: number[];
  lr: number;
  eps: number;
}

function setup(double = false) {
  const f = loadFixture("torch-dqn-family/torch-qrdqn-mlp-adam.safetensors");
  const meta = fixtureMeta<Meta>(f);
  const agent = fixtureAgent(f, meta, { algorithm: "qr-dqn", quantiles: meta.n_quantiles, double });
  return { f, meta, agent, batch: fixtureBatch(f, meta.gamma), qr: agent.algorithm as QRDQN };
}

test("QR-DQN: quantiles, next actions, target quantiles and τ match sb3-contrib", () => {
  const { f, agent, batch, qr } = setup();
  assert.ok(qr instanceof QRDQN);
  closeRel(qr.cumProb, f32(f, "cum_prob"), 0, "cum_prob");
  // The online head's raw rows are the fixture's quantiles0 [32, 200, 4] (quantile-major).
  const out = agent.online.forward(agent.online.arena.tensor([32, 8], f32(f, "x"))).data;
  closeRel(out, f32(f, "quantiles0"), 1e-5, "quantiles0");
  agent.trainStep(batch);
  closeRel(qr.lastTargets(32), f32(f, "target_quantiles"), 1e-5, "target_quantiles");
  const nextActions = Array.from(f.tensors.get("next_actions")!.data as BigInt64Array, Number);
  const greedy = new Int32Array(32);
  qr.greedyActions(agent.target.forward(agent.target.arena.tensor([32, 8], f32(f, "x_next"))).data, 32, greedy);
  assert.deepEqual(Array.from(greedy), nextActions);
});

test("QR-DQN: loss, gradients and weights after 1 and 3 Adam steps match PyTorch", () => {
  const { f, meta, agent, batch } = setup();
  for (let k = 1; k <= 3; k++) {
    if (k === 1) {
      // Gradients at init: the loss and backward without the optimizer step.
      const alg = agent.algorithm;
      alg.computeTargets(agent, batchInputs(agent.arena, batch, 8), batch);
      const q = alg.forward(agent.online, agent.online.arena.tensor([32, 8], f32(f, "x")), "online");
      const loss = alg.loss(q, batch, undefined);
      assert.ok(Math.abs(loss - meta.losses[0]!) <= 1e-5 * meta.losses[0]!, `loss at init ${loss} vs ${meta.losses[0]}`);
      agent.optimizer.zeroGrad();
      agent.online.backward(alg.dOut);
      for (const [name, p] of agent.online.namedParameters()) closeRel(p.grad.data, f32(f, `grad0/${name}`), 1e-4, `grad0/${name}`);
    }
    const r = agent.trainStep(batch);
    assert.ok(Math.abs(r.loss - meta.losses[k - 1]!) <= 1e-5 * meta.losses[k - 1]!, `loss ${k}: ${r.loss} vs ${meta.losses[k - 1]}`);
    if (k === 1 || k === 3) {
      for (const [name, t] of agent.online.stateDict()) closeRel(t.data as Float32Array, f32(f, `step${k}/${name}`), 1e-5, `step${k}/${name}`);
    }
  }
});

test("QR-DQN: expected Q is the mean of the quantiles; Double picks a* with the online net", () => {
  const spec = { observationShape: [3], observationType: "float32" as const, nActions: 2 };
  const agent = new DQNAgent(spec, { algorithm: "qr-dqn", quantiles: 5, network: { kind: "mlp", hidden: [8] }, seed: 1, double: true });
  const obs = new Float32Array([0.1, -0.4, 0.3, 1, 2, -1]);
  const out = agent.online.forward(agent.online.arena.tensor([2, 3], obs)).data.slice();
  const q = agent.qValues(obs, 2);
  for (let b = 0; b < 2; b++) {
    for (let a = 0; a < 2; a++) {
      let s = 0;
      for (let i = 0; i < 5; i++) s += out[b * 10 + i * 2 + a]!;
      assert.ok(Math.abs(q[b * 2 + a]! - s / 5) < 1e-6);
    }
  }
  assert.throws(() => new DQNAgent(spec, { algorithm: "c-51" as never }), /algorithm = "c-51" is invalid; expected one of dqn, qr-dqn, c51/);
});

test("QR-DQN: the loss's gradient matches central finite differences (prioritized weights included)", () => {
  const spec = { observationShape: [3], observationType: "float32" as const, nActions: 3 };
  const agent = new DQNAgent(spec, { algorithm: "qr-dqn", quantiles: 7, network: { kind: "mlp", hidden: [8] }, seed: 4 });
  const alg = agent.algorithm;
  const n = 4;
  const batch = {
    size: n,
    obs: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
    nextObs: Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)),
    actions: Int32Array.from([0, 2, 1, 2]),
    rewards: Float32Array.from([1, -0.5, 0, 2]),
    dones: Float32Array.from([0, 1, 0, 0]),
    discounts: new Float32Array(n).fill(0.9),
    weights: Float32Array.from([1, 0.5, 0.25, 2]),
  };
  alg.computeTargets(agent, batchInputs(agent.arena, batch, 3), batch);
  const out = agent.online.arena.tensor(
    [n, 21],
    Float32Array.from({ length: n * 21 }, (_, i) => 3 * Math.sin(1.7 * i)),
  );
  checkLossGradient(alg, out, batch, 1e-3, 2e-4, "dL/dout");
});

test("QR-DQN: a model file records the algorithm and its quantiles, and loads back the same greedy policy", () => {
  const spec = { observationShape: [4], observationType: "float32" as const, nActions: 2 };
  const agent = new DQNAgent(spec, { algorithm: "qr-dqn", quantiles: 9, network: { kind: "mlp", hidden: [16], dueling: true }, seed: 2 });
  const bytes = concat(modelFileParts(agent, { env: "CartPole-v1", envOptions: {}, pipeline: null, step: 0, eval: null }));
  const { agent: loaded, info } = modelFromBytes(bytes, "qr.safetensors");
  assert.deepEqual(info.algorithm, { algorithm: "qr-dqn", quantiles: 9 });
  assert.equal(loaded.algorithm.outputsPerAction, 9);
  const obs = Float32Array.from({ length: 40 }, (_, i) => Math.sin(0.3 * i));
  assert.deepEqual(loaded.qValues(obs, 10), agent.qValues(obs, 10));
});
