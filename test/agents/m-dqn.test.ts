/**
 * Munchausen-DQN against google-research's munchausen_rl, recorded in PyTorch
 * (`torch-dqn-family/torch-mdqn-mlp-adam`): the target net's scaled log-policy and softmax policy,
 * the soft next value, the (clipped) Munchausen term, the target, the Huber loss, its gradients
 * and the weights after 1 and 3 Adam steps.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { MunchausenDQN, scaledLogSoftmax, scaledSoftmax } from "../../src/agents/algorithms/index.js";
import { DQNAgent } from "../../src/agents/dqn.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";
import { batchInputs, checkLossGradient, closeRel, concat, f32, fixtureAgent, fixtureBatch } from "./torch-util.js";

interface Meta {
  tau: number;
  alpha: number;
  l0: number;
  gamma: number;
  losses: number[];
  lr: number;
  eps: number;
  clipped_count: number;
}

function setup() {
  const f = loadFixture("torch-dqn-family/torch-mdqn-mlp-adam.safetensors");
  const meta = fixtureMeta<Meta>(f);
  const agent = fixtureAgent(f, meta, { algorithm: "m-dqn", munchausenTau: meta.tau, munchausenAlpha: meta.alpha, munchausenL0: meta.l0, loss: "huber" });
  const mdqn = agent.algorithm;
  assert.ok(mdqn instanceof MunchausenDQN);
  return { f, meta, agent, batch: fixtureBatch(f, meta.gamma), mdqn };
}

test("M-DQN: log-policy, policy, soft next value, Munchausen term and target match munchausen_rl", () => {
  const { f, meta, agent, batch, mdqn } = setup();
  const qNext = f32(f, "q_target_next");
  closeRel(agent.target.forward(agent.arena.tensor([32, 8], f32(f, "x_next"))).data, qNext, 1e-5, "q_target_next");
  closeRel(agent.target.forward(agent.arena.tensor([32, 8], f32(f, "x"))).data, f32(f, "q_target_x"), 1e-5, "q_target_x");
  closeRel(scaledLogSoftmax(qNext, 32, 4, meta.tau, new Float32Array(128)), f32(f, "tau_log_pi_next"), 1e-5, "tau_log_pi_next");
  closeRel(scaledSoftmax(qNext, 32, 4, meta.tau, new Float32Array(128)), f32(f, "pi_next"), 1e-5, "pi_next");
  mdqn.computeTargets(agent, batchInputs(agent.arena, batch, 8), batch);
  const terms = mdqn.lastTerms(32);
  closeRel(terms.nextValues, f32(f, "next_v"), 1e-5, "next_v");
  closeRel(terms.logPolicyTaken, f32(f, "tau_log_pi_a"), 1e-5, "tau_log_pi_a");
  // The clip at l0 binds on the fixture's rows that fall below it.
  const clipped = f32(f, "tau_log_pi_a_clipped");
  assert.equal(terms.logPolicyTaken.filter((v) => v < meta.l0).length, meta.clipped_count);
  assert.equal(clipped.filter((v) => v === meta.l0).length, meta.clipped_count);
  closeRel(mdqn.lastTargets(32), f32(f, "target_mdqn"), 1e-5, "target_mdqn");
});

test("M-DQN: Huber loss, gradients and weights after 1 and 3 Adam steps match PyTorch", () => {
  const { f, meta, agent, batch, mdqn } = setup();
  const inputs = batchInputs(agent.arena, batch, 8);
  mdqn.computeTargets(agent, inputs, batch);
  const q = mdqn.forward(agent.online, inputs.obs, "online");
  closeRel(q.data, f32(f, "q0"), 1e-5, "q0");
  const loss = mdqn.loss(q, batch, undefined);
  assert.ok(Math.abs(loss - meta.losses[0]!) <= 1e-5 * meta.losses[0]!, `loss at init ${loss} vs ${meta.losses[0]}`);
  agent.optimizer.zeroGrad();
  agent.online.backward(mdqn.dOut);
  for (const [name, p] of agent.online.namedParameters()) closeRel(p.grad.data, f32(f, `grad0/${name}`), 1e-4, `grad0/${name}`);
  for (let k = 1; k <= 3; k++) {
    const r = agent.trainStep(batch);
    assert.ok(Math.abs(r.loss - meta.losses[k - 1]!) <= 1e-5 * meta.losses[k - 1]!, `loss ${k}: ${r.loss} vs ${meta.losses[k - 1]}`);
    if (k === 1 || k === 3) {
      for (const [name, t] of agent.online.stateDict()) closeRel(t.data as Float32Array, f32(f, `step${k}/${name}`), 1e-5, `step${k}/${name}`);
    }
  }
});

test("M-DQN: the loss's gradient matches central finite differences (prioritized weights included)", () => {
  const spec = { observationShape: [3], observationType: "float32" as const, nActions: 3 };
  const agent = new DQNAgent(spec, { algorithm: "m-dqn", network: { kind: "mlp", hidden: [8] }, seed: 4, loss: "huber" });
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
  const targets = (alg as MunchausenDQN).lastTargets(n);
  // Q values 0.3 (inside the Huber threshold) or 1.7 (outside) from each target, never at the kink.
  const out = agent.arena.tensor(
    [n, 3],
    Float32Array.from({ length: n * 3 }, (_, i) => Math.cos(i) * 2),
  );
  for (let b = 0; b < n; b++) out.data[b * 3 + batch.actions[b]!] = targets[b]! + (b % 2 ? 0.3 : -1.7);
  // Piecewise quadratic/linear and away from the kink: exact up to float32 storage of Q.
  checkLossGradient(alg, out, batch, 1e-2, 1e-5, "dL/dQ");
});

test("M-DQN: the model file records τ, α and l0; double and n-step are refused, naming the keys", () => {
  const spec = { observationShape: [4], observationType: "float32" as const, nActions: 2 };
  const agent = new DQNAgent(spec, { algorithm: "m-dqn", network: { kind: "mlp", hidden: [16] }, seed: 2 });
  const { agent: loaded, info } = modelFromBytes(
    concat(modelFileParts(agent, { env: "CartPole-v1", envOptions: {}, pipeline: null, step: 0, eval: null })),
    "m.safetensors",
  );
  assert.deepEqual(info.algorithm, { algorithm: "m-dqn", munchausenTau: 0.03, munchausenAlpha: 0.9, munchausenL0: -1 });
  const obs = Float32Array.from({ length: 40 }, (_, i) => Math.sin(0.3 * i));
  assert.deepEqual(loaded.qValues(obs, 10), agent.qValues(obs, 10));
  assert.throws(() => new DQNAgent(spec, { algorithm: "m-dqn", double: true }), /^Error: DQN config: algorithm "m-dqn" cannot use double = true: [^\n]*$/);
  assert.throws(() => new DQNAgent(spec, { algorithm: "m-dqn", nStep: 3 }), /^Error: DQN config: algorithm "m-dqn" needs nStep = 1, got nStep = 3: [^\n]*$/);
  assert.throws(() => new DQNAgent(spec, { algorithm: "m-dqn", munchausenL0: 0.5 }), /munchausenL0 = 0.5 is invalid; expected a number ≤ 0/);
});
