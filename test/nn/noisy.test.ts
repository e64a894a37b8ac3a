/**
 * NoisyLinear against PyTorch (`torch-dqn-family/torch-noisy-linear*`: the paper's init and a
 * random-σ variant that shows a transposed or mis-broadcast σ): factorised noise from the raw
 * N(0, 1) draws, the noisy and the eval output, every gradient of sum(output²); a central
 * finite-difference check; the paper's initialisation; and the noisy options of the nets.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { duelingMlp, mlp, natureCnn } from "../../src/nn/nets.js";
import { NoisyLinear } from "../../src/nn/noisy.js";
import { Rng } from "../../src/nn/rng.js";
import { Arena } from "../../src/nn/tensor.js";
import { closeRel, f32 } from "../agents/torch-util.js";
import { fixtureMeta, loadFixture } from "../helpers/fixtures.js";

const FIXTURES = ["torch-noisy-linear", "torch-noisy-linear-random-sigma"];
const STATE = ["weight_mu", "weight_sigma", "bias_mu", "bias_sigma", "weight_epsilon", "bias_epsilon"];

for (const name of FIXTURES) {
  test(`NoisyLinear matches PyTorch: ${name}`, () => {
    const f = loadFixture(`torch-dqn-family/${name}.safetensors`);
    const meta = fixtureMeta<{ loss_value: number }>(f);
    const arena = new Arena();
    const layer = new NoisyLinear(64, 12, { arena });
    // The factorised noise from the raw draws: f(x) = sign(x)·√|x|, ε_w = outer(ε_out, ε_in).
    layer.setFactorisedNoise(f32(f, "epsilon_in_raw"), f32(f, "epsilon_out_raw"));
    closeRel(layer.weightEpsilon.data, f32(f, "weight_epsilon"), 1e-6, "weight_epsilon");
    closeRel(layer.biasEpsilon.data, f32(f, "epsilon_out"), 1e-6, "bias_epsilon");
    layer.loadStateDict(new Map(STATE.map((k) => [k, f.tensors.get(k)!])));
    assert.deepEqual([...layer.stateDict().keys()], STATE, "CleanRL's names and PyTorch's order (parameters, then buffers)");

    const x = arena.tensor([32, 64], f32(f, "input"));
    const y = layer.forward(x);
    closeRel(y.data, f32(f, "output"), 1e-5, "output");
    let loss = 0;
    const dy = arena.tensor(
      [32, 12],
      y.data.map((v) => 2 * v),
    );
    for (const v of y.data) loss += v * v;
    assert.ok(Math.abs(loss - meta.loss_value) <= 1e-5 * meta.loss_value, `sum(output²) ${loss} vs ${meta.loss_value}`);
    layer.zeroGrad();
    const dx = layer.backward(dy)!;
    for (const [k, p] of layer.namedParameters()) closeRel(p.grad.data, f32(f, `grad/${k}`), 1e-4, `grad/${k}`);
    closeRel(dx.data, f32(f, "grad/input"), 1e-4, "grad/input");

    layer.eval();
    closeRel(layer.forward(x).data, f32(f, "output_eval"), 1e-5, "output_eval");
    layer.zeroGrad();
    layer.backward(arena.tensor([32, 12], new Float32Array(32 * 12).fill(1)));
    assert.ok(
      layer.weightSigma.grad.data.every((v) => v === 0),
      "eval mode: σ gets no gradient (μ only)",
    );
  });
}

test("NoisyLinear: every gradient matches central finite differences", () => {
  const arena = new Arena();
  const layer = new NoisyLinear(5, 3, { arena, rng: new Rng(1), noise: new Rng(2), sigma0: 0.5 });
  const rng = new Rng(3);
  // A non-trivial σ, so the σ and μ gradients differ in more than a scale.
  for (const p of [layer.weightSigma, layer.biasSigma]) p.data.forEach((_, i, d) => (d[i] = rng.uniform(0, 0.4)));
  const x = arena.tensor(
    [4, 5],
    Float32Array.from({ length: 20 }, () => rng.uniform(-1, 1)),
  );
  const c = Float32Array.from({ length: 12 }, () => rng.uniform(-1, 1));
  const objective = (): number => {
    const y = layer.forward(x).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i]! * y[i]!;
    return s;
  };
  layer.zeroGrad();
  layer.forward(x);
  const dx = layer.backward(arena.tensor([4, 3], c))!.data.slice();
  const analytic = new Map(layer.namedParameters().map(([k, p]) => [k, p.grad.data.slice()] as const));
  // y is linear in each single entry of x, μ and σ, so a central difference is exact up to the
  // float32 rounding of the ≤ 6 terms of each output (≈ 1e-7 over a step of 0.5).
  const h = 0.25;
  const check = (what: string, data: () => Float32Array, grad: Float32Array) => {
    for (let i = 0; i < grad.length; i++) {
      const keep = data()[i]!;
      data()[i] = keep + h;
      const up = objective();
      data()[i] = keep - h;
      const down = objective();
      data()[i] = keep;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - grad[i]!) <= 1e-5 * Math.max(1, Math.abs(fd)), `${what}[${i}]: ${grad[i]} vs ${fd}`);
    }
  };
  check("input", () => x.data, dx);
  for (const [k, p] of layer.namedParameters()) check(k, () => p.data, analytic.get(k)!);
});

test("NoisyLinear: the paper's init and a seeded, reproducible noise stream", () => {
  const make = () => new NoisyLinear(64, 12, { rng: new Rng(7), noise: new Rng(8), sigma0: 0.5, arena: new Arena() });
  const a = make();
  const bound = 1 / 8;
  assert.ok(a.weightMu.data.every((v) => Math.abs(v) <= bound) && a.biasMu.data.every((v) => Math.abs(v) <= bound));
  assert.ok(a.weightSigma.data.every((v) => v === 0.0625) && a.biasSigma.data.every((v) => v === 0.0625), "σ = σ0/√p");
  const b = make();
  assert.deepEqual(a.weightEpsilon.data, b.weightEpsilon.data, "same stream, same noise");
  const before = a.biasEpsilon.data.slice();
  a.resetNoise();
  assert.notDeepEqual(a.biasEpsilon.data, before, "resetNoise draws new noise");
  // ε_w is the outer product of the bias noise f(ε_out) and f(ε_in): rank 1.
  const we = a.weightEpsilon.data;
  const be = a.biasEpsilon.data;
  for (let o = 1; o < 12; o++) {
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(we[o * 64 + i]! * be[0]! - we[i]! * be[o]!) < 1e-5);
  }
  // f(ε) of N(0, 1) draws: E f(ε)² = E|ε| = √(2/π).
  // Over 4008 draws the mean of |ε| has a standard deviation of √((1 − 2/π)/4008) ≈ 0.0095.
  let sq = 0;
  const rounds = 334;
  for (let k = 0; k < rounds; k++) {
    a.resetNoise();
    for (const v of a.biasEpsilon.data) sq += v * v;
  }
  const mean = sq / (rounds * 12);
  assert.ok(Math.abs(mean - Math.sqrt(2 / Math.PI)) < 0.03, `E f(ε)² = ${mean}`);
});

test("nets: noisy options turn the fully connected layers into NoisyLinear, and nothing else changes", () => {
  const arena = new Arena();
  const plain = [...mlp([4, 8, 2], { arena, seed: 1 }).stateDict().keys()];
  const noisy = [
    ...mlp([4, 8, 2], { arena, seed: 1, noisy: { sigma0: 0.5 } })
      .stateDict()
      .keys(),
  ];
  assert.deepEqual(plain, ["0.weight", "0.bias", "2.weight", "2.bias"]);
  assert.deepEqual(noisy, STATE.map((k) => `0.${k}`).concat(STATE.map((k) => `2.${k}`)));
  const dueling = [
    ...duelingMlp([4, 8], 2, { arena, seed: 1, noisy: { sigma0: 0.5 }, atoms: 3 })
      .stateDict()
      .keys(),
  ];
  assert.ok(dueling.includes("value.weight_mu") && dueling.includes("advantage.bias_sigma") && dueling.includes("features.0.weight_mu"));
  // CNNs: the conv stack stays plain, the fc layers (CleanRL's rainbow_atari.py) become noisy.
  const cnn = [
    ...natureCnn(4, 3, { arena, seed: 1, height: 36, width: 36, noisy: { sigma0: 0.5 } })
      .stateDict()
      .keys(),
  ];
  assert.deepEqual(
    cnn.filter((k) => k.endsWith("weight") || k.endsWith("weight_mu")),
    ["0.weight", "2.weight", "4.weight", "7.weight_mu", "9.weight_mu"],
  );
});

test("NoisyLinear: noise loaded from a state dict or copied from another layer gives the drawing layer's output and gradients", () => {
  const arena = new Arena();
  const drawn = new NoisyLinear(24, 10, { rng: new Rng(1), noise: new Rng(2), arena });
  const loaded = new NoisyLinear(24, 10, { rng: new Rng(3), noise: new Rng(4), arena });
  const copied = new NoisyLinear(24, 10, { rng: new Rng(5), noise: new Rng(6), arena });
  drawn.resetNoise();
  loaded.loadStateDict(drawn.stateDict());
  copied.copyFrom(drawn);
  const x = arena.tensor([3, 24]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(1.7 * i);
  const dy = arena.tensor([3, 10]);
  for (let i = 0; i < dy.data.length; i++) dy.data[i] = Math.cos(0.9 * i);
  const run = (l: NoisyLinear) => {
    l.training = true;
    const y = l.forward(x).data.slice();
    for (const p of l.parameters()) p.grad.data.fill(0);
    const dx = l.backward(dy)!.data.slice();
    return { y, dx, dSigma: l.weightSigma.grad.data.slice() };
  };
  const want = run(drawn);
  for (const [name, l] of [
    ["loaded", loaded],
    ["copied", copied],
  ] as const) {
    const got = run(l);
    closeRel(got.y, want.y, 1e-6, `${name} output`);
    closeRel(got.dx, want.dx, 1e-6, `${name} input gradient`);
    closeRel(got.dSigma, want.dSigma, 1e-6, `${name} σ_w gradient`);
  }
});
