/**
 * IQN against Dopamine's implicit_quantile_agent, recorded in PyTorch
 * (`torch-dqn-family/torch-iqn-mlp-adam`, with its fixed τ injected): cosine features, quantiles,
 * the target net's K-sample action selection, target quantiles, the quantile Huber loss, its
 * gradients and the weights after 1 and 3 Adam steps; finite differences of the loss and the
 * network; the τ stream in checkpoints; the model file; the refused dueling combination.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type ForwardRole, type ImplicitQuantileNetwork, IQN } from "../../src/agents/algorithms/index.js";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { Arena } from "../../src/nn/tensor.js";
import { modelFileParts, modelFromBytes } from "../../src/train/model-format.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";
import { batchInputs, checkLossGradient, closeRel, concat, f32, fixtureAgent, fixtureBatch } from "./torch-util.js";

interface Meta {
  n_tau: number;
  n_tau_prime: number;
  n_quantile_samples: number;
  n_cos: number;
  gamma: number;
  losses: number[];
  lr: number;
  eps: number;
}

function setup() {
  const f = loadFixture("torch-dqn-family/torch-iqn-mlp-adam.safetensors");
  const meta = fixtureMeta<Meta>(f);
  const agent = fixtureAgent(f, meta, {
    algorithm: "iqn",
    numTauSamples: meta.n_tau,
    numTauPrimeSamples: meta.n_tau_prime,
    numQuantileSamples: meta.n_quantile_samples,
    cosEmbeddingDim: meta.n_cos,
  });
  const iqn = agent.algorithm;
  assert.ok(iqn instanceof IQN);
  // The fixture's fractions, fixed for every step: τ (online), τ′ (target), the K-sample selection.
  const recorded: Partial<Record<ForwardRole, Float32Array>> = { online: f32(f, "taus"), target: f32(f, "taus_prime"), select: f32(f, "taus_select") };
  iqn.tauSource = (role, taus) => taus.set(recorded[role]!);
  return { f, meta, agent, batch: fixtureBatch(f, meta.gamma), iqn };
}

test("IQN: cosine features, quantiles, next actions and target quantiles match Dopamine", () => {
  const { f, agent, batch, iqn } = setup();
  const inputs = batchInputs(agent.arena, batch, 8);
  const z = iqn.forward(agent.online, inputs.obs, "online");
  // The README expects ~2e-5 against float64 arguments; both here evaluate (i·fl(π))·τ in float32
  // (π cast to float32 first, as PyTorch and JAX do), leaving PyTorch's float32 cos against our
  // correctly rounded one: 6e-8 (1 ulp) at most.
  closeRel((agent.online as ImplicitQuantileNetwork).lastCosines.data, f32(f, "cos_taus"), 1e-7, "cos_taus");
  closeRel(z.data, f32(f, "quantiles0"), 1e-5, "quantiles0");
  iqn.computeTargets(agent, inputs, batch);
  assert.deepEqual(Array.from(iqn.lastNextActions(32)), Array.from(f.tensors.get("next_actions")!.data as BigInt64Array, Number));
  closeRel(iqn.lastTargets(32), f32(f, "target_quantiles"), 1e-5, "target_quantiles");
});

test("IQN: loss, gradients and weights after 1 and 3 Adam steps match PyTorch", () => {
  const { f, meta, agent, batch, iqn } = setup();
  const inputs = batchInputs(agent.arena, batch, 8);
  iqn.computeTargets(agent, inputs, batch);
  const z = iqn.forward(agent.online, inputs.obs, "online");
  const loss = iqn.loss(z, batch, undefined);
  assert.ok(Math.abs(loss - meta.losses[0]!) <= 1e-5 * meta.losses[0]!, `loss at init ${loss} vs ${meta.losses[0]}`);
  agent.optimizer.zeroGrad();
  agent.online.backward(iqn.dOut);
  for (const [name, p] of agent.online.namedParameters()) closeRel(p.grad.data, f32(f, `grad0/${name}`), 1e-4, `grad0/${name}`);
  for (let k = 1; k <= 3; k++) {
    const r = agent.trainStep(batch);
    assert.ok(Math.abs(r.loss - meta.losses[k - 1]!) <= 1e-5 * meta.losses[k - 1]!, `loss ${k}: ${r.loss} vs ${meta.losses[k - 1]}`);
    if (k === 1 || k === 3) {
      for (const [name, t] of agent.online.stateDict()) closeRel(t.data as Float32Array, f32(f, `step${k}/${name}`), 1e-5, `step${k}/${name}`);
    }
  }
});

const spec = { observationShape: [3], observationType: "float32" as const, nActions: 2 };
const small: Partial<DQNConfig> = {
  algorithm: "iqn",
  numTauSamples: 3,
  numTauPrimeSamples: 4,
  numQuantileSamples: 5,
  cosEmbeddingDim: 6,
  network: { kind: "mlp", hidden: [7] },
  seed: 5,
};

function smallBatch(seed = 0): TrainingBatch {
  const n = 4;
  return {
    size: n,
    obs: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + seed)),
    nextObs: Float32Array.from({ length: 12 }, (_, i) => Math.cos(i + seed)),
    actions: Int32Array.from([0, 1, 1, 0]),
    rewards: Float32Array.from([1, -0.5, 0, 2]),
    dones: Float32Array.from([0, 1, 0, 0]),
    discounts: new Float32Array(n).fill(0.9),
    weights: Float32Array.from([1, 0.5, 0.25, 2]),
  };
}

test("IQN: the loss's gradient matches central finite differences (prioritized weights included)", () => {
  const agent = new DQNAgent(spec, small);
  const alg = agent.algorithm;
  const batch = smallBatch();
  const inputs = batchInputs(agent.arena, batch, 3);
  alg.computeTargets(agent, inputs, batch);
  alg.forward(agent.online, inputs.obs, "online");
  // Quantiles spread over ±3 around the targets so that both Huber branches occur.
  const out = agent.arena.tensor(
    [4, 6],
    Float32Array.from({ length: 24 }, (_, i) => 3 * Math.sin(1.7 * i)),
  );
  // Piecewise quadratic with continuous slope (Huber, and the |τ − 1{e<0}| switch at e = 0 where
  // both sides vanish): the difference is exact unless an error crosses ±κ within h.
  checkLossGradient(alg, out, batch, 1e-3, 2e-4, "dL/dz");
});

test("IQN: the network's backward matches central finite differences of every parameter", () => {
  const arena = new Arena();
  const agent = new DQNAgent(spec, small, { arena });
  const net = agent.online as ImplicitQuantileNetwork;
  // Non-zero biases: Dopamine's zero biases would put ReLU inputs exactly on the kink.
  for (const [, p] of net.namedParameters()) p.data.forEach((_, i, d) => (d[i] = 0.5 * Math.sin(7.1 * i + p.size)));
  const taus = Float32Array.from({ length: 4 * 3 }, (_, i) => (i * 0.37 + 0.05) % 1);
  const x = arena.tensor([4, 3], smallBatch().obs);
  const c = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.cos(2.3 * i));
  const objective = (): number => {
    net.setQuantileFractions(taus, 3);
    const y = net.forward(x).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i]! * y[i]!;
    return s;
  };
  objective();
  net.zeroGrad();
  net.backward(arena.tensor([4, 6], c));
  // The objective is piecewise bilinear in each parameter (ReLUs, h ⊙ φ): a central difference is
  // exact inside one linear piece, wrong when a ReLU input crosses 0 within the step. Steps shrink
  // until two successive ones agree (both inside one piece), and that estimate is compared; float32
  // rounding is ≈ 1e-7·Σ|terms|/h ≲ 1e-4 at these steps. At most 5% of entries may find no such pair.
  const steps = [3e-2, 1e-2, 3e-3, 1e-3, 3e-4];
  let checked = 0;
  let skipped = 0;
  for (const [name, p] of net.namedParameters()) {
    const grad = p.grad.data.slice();
    for (let i = 0; i < grad.length; i++) {
      const keep = p.data[i]!;
      const fdAt = (h: number): number => {
        p.data[i] = keep + h;
        const up = objective();
        p.data[i] = keep - h;
        const down = objective();
        p.data[i] = keep;
        return (up - down) / (2 * h);
      };
      let prev = fdAt(steps[0]!);
      let fd: number | null = null;
      for (const h of steps.slice(1)) {
        const cur = fdAt(h);
        if (Math.abs(cur - prev) <= 2e-4 * Math.max(1, Math.abs(cur))) {
          fd = cur;
          break;
        }
        prev = cur;
      }
      if (fd === null) {
        skipped++;
        continue;
      }
      checked++;
      assert.ok(Math.abs(fd - grad[i]!) <= 5e-4 * Math.max(1, Math.abs(fd)), `${name}[${i}]: ${grad[i]} vs ${fd}`);
    }
  }
  assert.ok(skipped <= 0.05 * (checked + skipped), `${skipped} of ${checked + skipped} entries without a kink-free step`);
});

test("IQN: fractions come from the run's seed and resume exactly from a checkpoint", () => {
  const run = (resumeAt: number | null) => {
    let agent = new DQNAgent(spec, small);
    const out = new Int32Array(1);
    for (let k = 0; k < 5; k++) {
      if (k === resumeAt) {
        const { tensors, state } = agent.checkpoint();
        agent = new DQNAgent(spec, small);
        agent.restore(tensors, JSON.parse(JSON.stringify(state)) as typeof state);
      }
      agent.actBatch(smallBatch(k).obs.subarray(0, spec.observationShape[0]), 1, 0, out);
      agent.trainStep(smallBatch(k));
    }
    return agent.online.stateDict();
  };
  const straight = run(null);
  const resumed = run(2);
  for (const [k, v] of straight) assert.deepEqual(resumed.get(k)!.data, v.data, k);
  const other = new DQNAgent(spec, { ...small, seed: 6 });
  other.online.loadStateDict(new DQNAgent(spec, small).online.stateDict());
  const obs = smallBatch().obs;
  assert.notDeepEqual(other.qValues(obs, 4), new DQNAgent(spec, small).qValues(obs, 4), "another seed, other fractions");
});

test("IQN: a model file records N, N′, K and the embedding, and loads the same network; dueling is refused", () => {
  const agent = new DQNAgent(spec, { ...small, noisy: true });
  const names = [...agent.online.stateDict().keys()];
  assert.deepEqual(
    names.filter((k) => k.endsWith("weight") || k.endsWith("weight_mu")),
    ["features.0.weight", "cos_embedding.weight", "head.0.weight_mu", "head.2.weight_mu"],
  );
  const { agent: loaded, info } = modelFromBytes(
    concat(modelFileParts(agent, { env: "x", envOptions: {}, pipeline: null, step: 0, eval: null })),
    "iqn.safetensors",
  );
  assert.deepEqual(info.algorithm, {
    algorithm: "iqn",
    noisy: true,
    noisySigma0: 0.5,
    numTauSamples: 3,
    numTauPrimeSamples: 4,
    numQuantileSamples: 5,
    cosEmbeddingDim: 6,
  });
  const fixed = (_role: ForwardRole, taus: Float32Array) => taus.forEach((_, i, t) => (t[i] = (i % 7) / 7));
  (agent.algorithm as IQN).tauSource = fixed;
  (loaded.algorithm as IQN).tauSource = fixed;
  const obs = smallBatch().obs;
  assert.deepEqual(loaded.qValues(obs, 4), agent.qValues(obs, 4));
  assert.throws(
    () => new DQNAgent(spec, { ...small, network: { kind: "mlp", hidden: [7], dueling: true } }),
    /^Error: DQN config: algorithm "iqn" cannot use network.dueling: [^\n]*$/,
  );
});

test("IQN: image bodies are the CNN's conv stack, flattened, with the kind's fc width in the head (Dopamine's layout)", () => {
  const image = { observationShape: [2, 36, 36], observationType: "uint8" as const, nActions: 3 };
  const agent = new DQNAgent(image, { algorithm: "iqn", network: { kind: "small-cnn" }, seed: 1, batchSize: 2, bufferSize: 2 });
  const shapes = Object.fromEntries([...agent.online.stateDict()].map(([k, v]) => [k, v.shape]));
  // small-cnn on 36×36: conv 16 8×8/4 → 8×8, conv 32 4×4/2 → 3×3: 288 flat features.
  assert.deepEqual(shapes["features.2.weight"], [32, 16, 4, 4]);
  assert.deepEqual(shapes["cos_embedding.weight"], [288, 64]);
  assert.deepEqual(shapes["head.0.weight"], [256, 288]);
  assert.deepEqual(shapes["head.2.weight"], [3, 256]);
  const frames = Uint8Array.from({ length: 2 * 2 * 36 * 36 }, (_, i) => (i * 31) % 256);
  const r = agent.trainStep({
    size: 2,
    obs: frames,
    nextObs: frames.slice().reverse(),
    actions: Int32Array.from([0, 2]),
    rewards: Float32Array.from([1, 0]),
    dones: Float32Array.from([0, 1]),
    discounts: Float32Array.from([0.99, 0.99]),
    weights: Float32Array.from([1, 1]),
  });
  assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.meanQ));
});
