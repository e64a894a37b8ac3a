/** Loading the PyTorch learning-step fixtures (torch/, torch-dqn-family/) into agents. */
import assert from "node:assert/strict";
import type { Algorithm, BatchInputs } from "../../src/agents/algorithms/index.js";
import type { DQNConfig } from "../../src/agents/config.js";
import { DQNAgent } from "../../src/agents/dqn.js";
import type { TrainingBatch } from "../../src/agents/types.js";
import { type SafeTensor, type SafeTensorsFile, toFloat32 } from "../../src/nn/safetensors.js";
import type { Arena, Tensor } from "../../src/nn/tensor.js";

/** The tensors named `<prefix><name>`, keyed by `<name>` (a state dict stored under a prefix). */
export function prefixed(f: SafeTensorsFile, prefix: string): Map<string, SafeTensor> {
  const m = new Map<string, SafeTensor>();
  for (const [k, v] of f.tensors) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), v);
  return m;
}

/**
 * The agent of a torch-dqn-family fixture: 8 inputs, 4 actions, MLP 64-64, Adam with the
 * fixture's lr, ε and γ, no gradient clipping, a batch of 32; its online and target networks
 * hold the fixture's `init/` and `target/` weights. `settings` adds the algorithm's own.
 */
export function fixtureAgent(f: SafeTensorsFile, meta: { lr: number; eps: number; gamma: number }, settings: Partial<DQNConfig>): DQNAgent {
  const agent = new DQNAgent(
    { observationShape: [8], observationType: "float32", nActions: 4 },
    {
      network: { kind: "mlp", hidden: [64, 64] },
      optimizer: "adam",
      lr: meta.lr,
      adamEps: meta.eps,
      gamma: meta.gamma,
      maxGradNorm: null,
      batchSize: 32,
      bufferSize: 32,
      ...settings,
    },
  );
  agent.online.loadStateDict(prefixed(f, "init/"));
  agent.target.loadStateDict(prefixed(f, "target/"));
  return agent;
}

export function f32(f: SafeTensorsFile, name: string): Float32Array {
  const t = f.tensors.get(name);
  assert.ok(t, `fixture has no tensor "${name}"`);
  return toFloat32(t);
}

/** |actual − expected| ≤ tol·max(1, |expected|) elementwise. */
export function closeRel(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const d = Math.abs(actual[i]! - e);
    assert.ok(d <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

/** The fixture's one-step batch (x, actions, rewards, x_next, dones) with discount γ. */
export function fixtureBatch(f: SafeTensorsFile, gamma: number): TrainingBatch {
  const n = f.tensors.get("actions")!.shape[0]!;
  return {
    size: n,
    obs: f32(f, "x"),
    nextObs: f32(f, "x_next"),
    actions: Int32Array.from(f32(f, "actions")),
    rewards: f32(f, "rewards"),
    dones: f32(f, "dones"),
    discounts: new Float32Array(n).fill(gamma),
    weights: new Float32Array(n).fill(1),
  };
}

/** The parts of a file (`modelFileParts`) as one byte array. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A vector batch's s and s′ as input tensors [n, dim]. */
export function batchInputs(arena: Arena, batch: TrainingBatch, dim: number): BatchInputs {
  return { obs: arena.tensor([batch.size, dim], batch.obs), nextObs: arena.tensor([batch.size, dim], batch.nextObs) };
}

/**
 * Checks `alg`'s dLoss/dout at `out` against central differences with step `h`: each entry
 * within `tol`·max(1, |fd|). The loss is recomputed from `out` with the batch's weights; on
 * return `alg.dOut` holds the gradient at `out`.
 */
export function checkLossGradient(alg: Algorithm, out: Tensor, batch: TrainingBatch, h: number, tol: number, what: string): void {
  alg.loss(out, batch, batch.weights);
  const grad = alg.dOut.data.slice();
  for (let i = 0; i < out.size; i++) {
    const keep = out.data[i]!;
    out.data[i] = keep + h;
    const up = alg.loss(out, batch, batch.weights);
    out.data[i] = keep - h;
    const down = alg.loss(out, batch, batch.weights);
    out.data[i] = keep;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(grad[i]! - fd) <= tol * Math.max(1, Math.abs(fd)), `${what}[${i}] ${grad[i]} vs ${fd}`);
  }
  // Leave dOut as the gradient at `out` itself, for callers that inspect it.
  alg.loss(out, batch, batch.weights);
}
