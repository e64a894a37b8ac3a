/**
 * Dropout and LayerNorm with PyTorch semantics: inverted-dropout scaling, seeded masks, identity
 * in eval; LayerNorm over the last dimension against a float64 reference; central
 * finite-difference checks of both; the CNN dropout option and its state-dict names.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Dropout } from "../../src/nn/dropout.js";
import type { Module } from "../../src/nn/module.js";
import { duelingSmallCnn, natureCnn, smallCnn } from "../../src/nn/nets.js";
import { LayerNorm } from "../../src/nn/norm.js";
import { Rng } from "../../src/nn/rng.js";
import { Arena, type Tensor } from "../../src/nn/tensor.js";

function random(arena: Arena, shape: number[], rng: Rng): Tensor {
  return arena.tensor(
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-2, 2)),
  );
}

/**
 * Central differences of L = Σ c·m(x) against backward(c), for the input and every parameter;
 * `before` runs ahead of every forward (to replay a dropout mask).
 */
function finiteDifferences(m: Module, x: Tensor, h: number, tol: number, before: () => void = () => {}): void {
  const rng = new Rng(99);
  before();
  const y0 = m.forward(x);
  const c = Float32Array.from({ length: y0.size }, () => rng.uniform(-1, 1));
  const shape = [...y0.shape];
  const objective = (): number => {
    before();
    const y = m.forward(x).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i]! * y[i]!;
    return s;
  };
  m.zeroGrad();
  before();
  m.forward(x);
  const dx = m.backward(m.arena.tensor(shape, c))!.data.slice();
  const targets: Array<[string, Tensor, Float32Array]> = [["input", x, dx]];
  for (const [k, p] of m.namedParameters()) targets.push([k, p, p.grad.data.slice()]);
  for (const [name, t, grad] of targets) {
    for (let i = 0; i < grad.length; i++) {
      const keep = t.data[i]!;
      t.data[i] = keep + h;
      const up = objective();
      t.data[i] = keep - h;
      const down = objective();
      t.data[i] = keep;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - grad[i]!) <= tol * Math.max(1, Math.abs(fd)), `${m.describe()} ${name}[${i}]: ${grad[i]} vs ${fd}`);
    }
  }
}

test("Dropout: inverted scaling 1/(1 − p), a seeded mask, identity in eval and at p = 0", () => {
  const arena = new Arena();
  const x = arena.tensor([50, 40], new Float32Array(2000).fill(1.5));
  const drop = new Dropout(0.25, { rng: new Rng(5), arena });
  const y = drop.forward(x).data.slice();
  const scale = Math.fround(1 / 0.75);
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(
    y.every((v) => v === 0 || v === Math.fround(1.5 * scale)),
    "survivors are x·fl(1/(1 − p))",
  );
  // 2000 Bernoulli(0.25) draws: standard deviation √(2000·0.25·0.75) ≈ 19.
  assert.ok(Math.abs(zeros - 500) < 60, `${zeros} of 2000 dropped`);
  assert.deepEqual(new Dropout(0.25, { rng: new Rng(5), arena }).forward(x).data.slice(), y, "same seed, same mask");
  assert.notDeepEqual(drop.forward(x).data.slice(), y, "a new mask per forward");
  drop.eval();
  assert.equal(drop.forward(x), x, "eval: identity");
  assert.equal(drop.backward(x), x);
  assert.equal(new Dropout(0, { arena }).forward(x), x, "p = 0: identity");
  assert.throws(() => new Dropout(1), /p must be in \[0, 1\), got 1/);
});

test("Dropout: backward is the mask, checked by finite differences with the mask replayed", () => {
  const arena = new Arena();
  const stream = new Rng(11);
  const drop = new Dropout(0.5, { rng: stream, arena });
  const start = stream.state();
  // Dropout is linear in x for a fixed mask: exact differences up to float32 rounding.
  finiteDifferences(drop, random(arena, [3, 7], new Rng(1)), 0.5, 1e-6, () => stream.setState(start));
});

test("LayerNorm: PyTorch's normalisation over the last dimension (float64 reference), and finite differences", () => {
  const arena = new Arena();
  const ln = new LayerNorm(6, { arena });
  const rng = new Rng(3);
  ln.weight.data.forEach((_, i, d) => (d[i] = rng.uniform(0.5, 1.5)));
  ln.bias.data.forEach((_, i, d) => (d[i] = rng.uniform(-0.5, 0.5)));
  const x = random(arena, [2, 3, 6], rng);
  const y = ln.forward(x).data;
  for (let r = 0; r < 6; r++) {
    const row = Array.from(x.data.subarray(r * 6, r * 6 + 6));
    const mean = row.reduce((a, b) => a + b, 0) / 6;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    for (let j = 0; j < 6; j++) {
      const ref = ((row[j]! - mean) / Math.sqrt(variance + 1e-5)) * ln.weight.data[j]! + ln.bias.data[j]!;
      assert.ok(Math.abs(y[r * 6 + j]! - ref) < 1e-6, `y[${r}, ${j}] ${y[r * 6 + j]} vs ${ref}`);
    }
  }
  assert.deepEqual([...ln.stateDict().keys()], ["weight", "bias"]);
  // Smooth but not linear in x: truncation h²/6·|L'''| ~ 2e-5 at h = 1e-2, rounding of the
  // float32 outputs ≈ 6·6e-8/0.02 ≈ 2e-5; tolerance 5e-4. Weight and bias are linear (exact).
  finiteDifferences(ln, x, 1e-2, 5e-4);
});

test("nets: dropout after the second conv layer; without it the state-dict names are unchanged", () => {
  const arena = new Arena();
  const opts = { arena, seed: 1, height: 36, width: 36 };
  const names = (m: Module) => [...m.stateDict().keys()];
  assert.deepEqual(names(natureCnn(4, 3, opts)), names(natureCnn(4, 3, { ...opts, dropout: 0 })));
  assert.deepEqual(
    names(natureCnn(4, 3, opts)).filter((k) => k.endsWith("weight")),
    ["0.weight", "2.weight", "4.weight", "7.weight", "9.weight"],
  );
  // conv, ReLU, conv, ReLU, Dropout, conv, …: PyTorch's nn.Sequential indices shift by one after it.
  const withDropout = natureCnn(4, 3, { ...opts, dropout: 0.1 });
  assert.deepEqual(
    names(withDropout).filter((k) => k.endsWith("weight")),
    ["0.weight", "2.weight", "5.weight", "8.weight", "10.weight"],
  );
  assert.ok(withDropout.layers[4] instanceof Dropout);
  assert.ok(smallCnn(4, 3, { ...opts, dropout: 0.1 }).layers[4] instanceof Dropout);
  assert.ok(names(duelingSmallCnn(4, 3, { ...opts, dropout: 0.1 })).includes("features.6.weight"));
  // Same init stream with and without dropout: the weights are identical.
  assert.deepEqual(withDropout.stateDict().get("8.weight")!.data, natureCnn(4, 3, opts).stateDict().get("7.weight")!.data);
});
