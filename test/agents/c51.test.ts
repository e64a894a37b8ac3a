/**
 * C51 against CleanRL's c51.py, recorded in PyTorch (`torch-dqn-family/torch-c51-mlp-adam`):
 * the support, greedy next actions, next distributions, the float32 categorical projection
 * (edge rows 0–4), the online distributions and expected Q, the cross-entropy loss, its
 * gradients and the weights after 1 and 3 Adam steps.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { C51 } from "../../src/agents/algorithms/index.js";
import { DQNAgent } from "../../src/agents/dqn.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";
import { batchInputs, checkLossGradient, closeRel, concat, f32, fixtureAgent, fixtureBatch } from "./torch-util.js";

interface Meta {
  n_atoms: number;
  v_min: number;
  v_max: number;
  gamma: number;
  losses: number[];
  lr: number;
  eps: number;
}

const FILE = "torch-dqn-family/torch-c51-mlp-adam.safetensors";

function setup() {
  const f = loadFixture(FILE);
  const meta = fixtureMeta<Meta>(f);
  const agent = fixtureAgent(f, meta, { algorithm: "c51", atoms: meta.n_atoms, vMin: meta.v_min, vMax: meta.v_max });
  const c51 = agent.algorithm;
  assert.ok(c51 instanceof C51);
  return { f, meta, agent, batch: fixtureBatch(f, meta.gamma), c51 };
}

const ints = (f: ReturnType<typeof loadFixture>, name: string) => Array.from(f.tensors.get(name)!.data as BigInt64Array, Number);

test("C51: support, next actions, next distributions and the projected targets match CleanRL (edge rows included)", () => {
  const { f, agent, batch, c51 } = setup();
  // Δz = z[1] − z[0] decides the projection's rounding (b = 25.000025 for tz = 0), so it must be
  // bit-exact. The other atoms agree to the last bit or two: the fixture's support came from
  // PyTorch's AVX2 linspace (8-lane blocks base + lane·step), ours is its scalar path; the largest
  // difference is 4.8e-7 (1 ulp at |z| ≈ 5), e.g. atom 25 is −1.5e-7 here and +1.5e-7 there.
  const atoms = f32(f, "atoms");
  assert.equal(Math.fround(c51.support[1]! - c51.support[0]!), Math.fround(atoms[1]! - atoms[0]!));
  closeRel(c51.support, atoms, 5e-7, "atoms");
  c51.computeTargets(agent, batchInputs(agent.arena, batch, 8), batch);
  const next = c51.lastNext(32);
  assert.deepEqual(Array.from(next.actions), ints(f, "next_actions"));
  closeRel(next.pmfs, f32(f, "next_pmfs"), 1e-5, "next_pmfs");
  const targets = c51.lastTargets(32);
  closeRel(targets, f32(f, "target_pmfs"), 1e-5, "target_pmfs");
  // Edge rows: (r, done) = (15, 1) puts all mass on v_max, (−15, 1) on v_min; (0, 1) lands at
  // b = 25.000025 (float32 Δz), so atom 26 gets 2.5e-5 of the mass, not 0.
  assert.ok(Math.abs(targets[1 * 51 + 50]! - 1) < 1e-6 && Math.abs(targets[2 * 51]! - 1) < 1e-6);
  assert.ok(targets[0 * 51 + 26]! > 2e-5 && targets[0 * 51 + 26]! < 3e-5, `row 0 atom 26: ${targets[26]}`);
  for (let row = 0; row < 5; row++) {
    let mass = 0;
    for (let j = 0; j < 51; j++) mass += targets[row * 51 + j]!;
    assert.ok(Math.abs(mass - 1) < 1e-5, `row ${row} mass ${mass}`);
  }
});

test("C51: online distributions, expected Q, loss, gradients and weights after 1 and 3 Adam steps match PyTorch", () => {
  const { f, meta, agent, batch, c51 } = setup();
  const x = agent.arena.tensor([32, 8], f32(f, "x"));
  c51.computeTargets(agent, batchInputs(agent.arena, batch, 8), batch);
  const out = c51.forward(agent.online, x, "online");
  const q = new Float32Array(32 * 4);
  c51.actionValues(out.data, 32, q);
  closeRel(q, f32(f, "q0"), 1e-5, "q0");
  const oldPmfs = new Float32Array(32 * 51);
  for (let b = 0; b < 32; b++) {
    const o = b * 204 + batch.actions[b]! * 51;
    let m = -Infinity;
    for (let j = 0; j < 51; j++) m = Math.max(m, out.data[o + j]!);
    let s = 0;
    for (let j = 0; j < 51; j++) s += Math.exp(out.data[o + j]! - m);
    for (let j = 0; j < 51; j++) oldPmfs[b * 51 + j] = Math.exp(out.data[o + j]! - m) / s;
  }
  closeRel(oldPmfs, f32(f, "old_pmfs0"), 1e-5, "old_pmfs0");
  const loss = c51.loss(out, batch, undefined);
  assert.ok(Math.abs(loss - meta.losses[0]!) <= 1e-5 * meta.losses[0]!, `loss at init ${loss} vs ${meta.losses[0]}`);
  agent.optimizer.zeroGrad();
  agent.online.backward(c51.dOut);
  for (const [name, p] of agent.online.namedParameters()) closeRel(p.grad.data, f32(f, `grad0/${name}`), 1e-4, `grad0/${name}`);
  for (let k = 1; k <= 3; k++) {
    const r = agent.trainStep(batch);
    assert.ok(Math.abs(r.loss - meta.losses[k - 1]!) <= 1e-5 * meta.losses[k - 1]!, `loss ${k}: ${r.loss} vs ${meta.losses[k - 1]}`);
    if (k === 1 || k === 3) {
      for (const [name, t] of agent.online.stateDict()) closeRel(t.data as Float32Array, f32(f, `step${k}/${name}`), 1e-5, `step${k}/${name}`);
    }
  }
});

function smallAgent(extra: Record<string, unknown> = {}) {
  const spec = { observationShape: [3], observationType: "float32" as const, nActions: 3 };
  return new DQNAgent(spec, { algorithm: "c51", atoms: 7, vMin: -2, vMax: 3, network: { kind: "mlp", hidden: [8] }, seed: 4, ...extra });
}

function smallBatch() {
  const n = 4;
  return {
    size: n,
    obs: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
    nextObs: Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)),
    actions: Int32Array.from([0, 2, 1, 2]),
    rewards: Float32Array.from([1, -0.5, 0, 2]),
    dones: Float32Array.from([0, 1, 0, 0]),
    discounts: new Float32Array(n).fill(0.9),
    weights: Float32Array.from([1, 0.5, 0.25, 2]),
  };
}

test("C51: the loss's gradient matches central finite differences, and is zero where the clamp binds", () => {
  const agent = smallAgent();
  const alg = agent.algorithm;
  const batch = smallBatch();
  const n = batch.size;
  alg.computeTargets(agent, batchInputs(agent.arena, batch, 3), batch);
  // Logits of moderate size (no probability near the clamp) except sample 2's action 1, whose
  // atom 0 gets a logit 14 below the others: p ≈ 1e-7 < 1e-5, clamped.
  const out = agent.arena.tensor(
    [n, 21],
    Float32Array.from({ length: n * 21 }, (_, i) => Math.sin(1.7 * i)),
  );
  out.data[2 * 21 + 1 * 7] = -14;
  // Cross entropy is smooth in the logits: the error is h²/6·|L'''| ≲ 1e-7 plus float32 rounding of the logits.
  checkLossGradient(alg, out, batch, 1e-3, 1e-4, "dL/dlogit");
  // d/dp of the clamped log is 0 (PyTorch's clamp backward), so the clamped atom's logit gets
  // only the softmax coupling p_0·(0 − Σ_j g_j p_j), not −t_0/p_0·p_0(1 − p_0).
  const c51 = alg as C51;
  const t0 = c51.lastTargets(n)[2 * 7]!;
  assert.ok(t0 > 0.01, "sample 2's target puts mass on atom 0");
  const grad = alg.dOut.data;
  assert.ok(Math.abs(grad[2 * 21 + 7]!) < 1e-5, `clamped logit's gradient ${grad[2 * 21 + 7]}`);
});

test("C51: Double takes a* from the online net; per-sample cross entropies are the priorities", () => {
  const agent = smallAgent({ double: true });
  const c51 = agent.algorithm as C51;
  const batch = smallBatch();
  c51.computeTargets(agent, batchInputs(agent.arena, batch, 3), batch);
  const online = new Int32Array(4);
  c51.greedyActions(agent.online.forward(agent.arena.tensor([4, 3], batch.nextObs)).data, 4, online);
  assert.deepEqual(Array.from(c51.lastNext(4).actions), Array.from(online));
  const r = agent.trainStep(batch);
  const ce = c51.tdErrors;
  let mean = 0;
  for (let i = 0; i < 4; i++) {
    assert.ok(ce[i]! > 0);
    mean += ce[i]! / 4;
  }
  assert.ok(Math.abs(r.loss - mean) < 1e-6 * mean, "unweighted loss = mean per-sample cross entropy");
});

test("C51: a dueling model file records atoms and support, and loads back the same greedy policy", () => {
  const spec = { observationShape: [4], observationType: "float32" as const, nActions: 2 };
  const agent = new DQNAgent(spec, { algorithm: "c51", atoms: 11, vMin: -5, vMax: 5, network: { kind: "mlp", hidden: [16], dueling: true }, seed: 2 });
  const bytes = concat(modelFileParts(agent, { env: "CartPole-v1", envOptions: {}, pipeline: null, step: 0, eval: null }));
  const { agent: loaded, info } = modelFromBytes(bytes, "c51.safetensors");
  assert.deepEqual(info.algorithm, { algorithm: "c51", atoms: 11, vMin: -5, vMax: 5 });
  assert.equal(loaded.algorithm.outputsPerAction, 11);
  const obs = Float32Array.from({ length: 40 }, (_, i) => Math.sin(0.3 * i));
  assert.deepEqual(loaded.qValues(obs, 10), agent.qValues(obs, 10));
});

test("C51: an empty support is refused, naming the keys", () => {
  const spec = { observationShape: [4], observationType: "float32" as const, nActions: 2 };
  assert.throws(
    () => new DQNAgent(spec, { algorithm: "c51", vMin: 10, vMax: -10 }),
    /^Error: DQN config: algorithm "c51" needs vMin < vMax, got vMin = 10 and vMax = -10$/,
  );
  assert.throws(() => new DQNAgent(spec, { algorithm: "c51", atoms: 1 }), /atoms = 1 is invalid; expected an integer ≥ 2/);
});
