import assert from "node:assert/strict";
import { test } from "node:test";
import { type DQNConfig, resolveDQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { Rng } from "../../src/nn/index.js";

const SPEC = { observationShape: [6], observationType: "float32" as const, nActions: 3 };
const BATCH = 8;

function batch(seed: number): TrainingBatch {
  const rng = new Rng(seed);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    size: BATCH,
    obs: values(BATCH * 6),
    nextObs: values(BATCH * 6),
    actions: Int32Array.from({ length: BATCH }, (_, i) => i % 3),
    rewards: values(BATCH),
    dones: new Float32Array(BATCH),
    discounts: new Float32Array(BATCH).fill(0.99),
    weights: new Float32Array(BATCH).fill(1),
  };
}

function agent(config: Partial<DQNConfig> = {}): DQNAgent {
  return new DQNAgent(SPEC, { network: { kind: "mlp", hidden: [16, 16], dueling: true }, lr: 1e-2, seed: 5, ...config });
}

/** Every float weight of a network, concatenated in state order. */
function flat(sd: Map<string, { data: ArrayLike<number | bigint> }>): number[] {
  return [...sd.values()].flatMap((t) => Array.from(t.data as ArrayLike<number>));
}

test("the weight average is the plain mean of every step's online weights while 1/t ≥ τ, then moves by τ", () => {
  const tau = 0.2;
  const a = agent({ weightAveragingTau: tau });
  const seen: number[][] = [];
  for (let t = 1; t <= 5; t++) {
    a.trainStep(batch(t));
    seen.push(flat(a.online.stateDict()));
  }
  const mean = seen[0]!.map((_, j) => seen.reduce((s, w) => s + w[j]!, 0) / seen.length);
  const avg5 = flat(a.modelStateDict());
  avg5.forEach((v, j) => assert.ok(Math.abs(v - mean[j]!) < 1e-5, `weight ${j}: average ${v}, mean of the 5 steps ${mean[j]}`));
  a.trainStep(batch(6));
  const online6 = flat(a.online.stateDict());
  flat(a.modelStateDict()).forEach((v, j) => {
    const expected = avg5[j]! + tau * (online6[j]! - avg5[j]!);
    assert.ok(Math.abs(v - expected) < 1e-6, `weight ${j} after step 6: ${v}, expected ${expected}`);
  });
});

test("weight averaging changes only the evaluation policy: the online and target networks train as without it", () => {
  const plain = agent();
  const averaged = agent({ weightAveragingTau: 0.01 });
  for (let t = 1; t <= 20; t++) {
    plain.trainStep(batch(t));
    averaged.trainStep(batch(t));
    if (t % 10 === 0) {
      plain.updateTarget();
      averaged.updateTarget();
    }
  }
  assert.deepEqual(flat(averaged.online.stateDict()), flat(plain.online.stateDict()));
  assert.deepEqual(flat(averaged.target.stateDict()), flat(plain.target.stateDict()));
  assert.deepEqual(flat(plain.modelStateDict()), flat(plain.online.stateDict()), "without averaging a model file holds the online weights");
  assert.notDeepEqual(flat(averaged.modelStateDict()), flat(averaged.online.stateDict()));
});

test("act, qValues and model files use the weight average; loading a model sets every network", () => {
  const a = agent({ weightAveragingTau: 0.1 });
  for (let t = 1; t <= 30; t++) a.trainStep(batch(t));
  const deployed = agent();
  deployed.loadModelStateDict(a.modelStateDict());
  const obs = batch(99).obs;
  for (let i = 0; i < BATCH; i++) {
    const o = obs.subarray(i * 6, i * 6 + 6);
    assert.deepEqual(a.qValues(o), deployed.qValues(o));
    assert.equal(a.act(o), deployed.act(o));
  }
  const reloaded = agent({ weightAveragingTau: 0.1 });
  reloaded.loadModelStateDict(a.modelStateDict());
  for (const net of [reloaded.online, reloaded.target, reloaded.averaged!]) assert.deepEqual(flat(net.stateDict()), flat(a.modelStateDict()));
});

test("a checkpoint carries the weight average, and one without it is refused", () => {
  const a = agent({ weightAveragingTau: 0.1 });
  for (let t = 1; t <= 12; t++) a.trainStep(batch(t));
  const { tensors, state } = a.checkpoint();
  const b = agent({ weightAveragingTau: 0.1 });
  b.restore(tensors, state);
  a.trainStep(batch(13));
  b.trainStep(batch(13));
  assert.deepEqual(flat(b.modelStateDict()), flat(a.modelStateDict()));
  const without = new Map([...tensors].filter(([k]) => !k.startsWith("average.")));
  assert.throws(() => agent({ weightAveragingTau: 0.1 }).restore(without, state), /no weight average "average\.\*" \(saved without weightAveragingTau\?\)/);
});

test("weightAveragingTau must be null or in (0, 1]", () => {
  for (const bad of [0, -0.1, 1.5, "0.1", Number.NaN]) {
    assert.throws(() => resolveDQNConfig({ weightAveragingTau: bad as number }), /weightAveragingTau.*a number in \(0, 1\] or null/);
  }
  assert.equal(resolveDQNConfig({}).weightAveragingTau, null);
  assert.equal(resolveDQNConfig({ weightAveragingTau: 1 }).weightAveragingTau, 1);
});
