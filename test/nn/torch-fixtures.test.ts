/**
 * Every PyTorch fixture: load the initial weights, then check Q values, both TD
 * targets, the loss, the gradients and the weights after 1 (2) and 3 optimizer steps —
 * on every kernel backend available (native, WebAssembly, TypeScript; DEEPQ_KERNELS narrows
 * it to one), with the same tolerances.
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { doubleTdTargets, QLoss, tdTargets } from "../../src/agents/td.js";
import type { Module } from "../../src/nn/module.js";
import { duelingMlp, mlp, natureCnn, smallCnn } from "../../src/nn/nets.js";
import { Adam, type Optimizer, RMSprop } from "../../src/nn/optim.js";
import { Arena, setDefaultArena } from "../../src/nn/tensor.js";
import { droppedTensors, fixtureMeta, fixturesDir, loadFixture } from "../helpers/fixtures.js";
import { assertClose, f32, get, group, tensorFrom, testBackends } from "./util.js";

interface Meta {
  net: "mlp" | "dueling-mlp" | "small-cnn" | "nature-cnn";
  loss: "mse" | "huber";
  gamma: number;
  losses: number[];
  optimizer: "adam" | "rmsprop";
  lr: number;
  beta1?: number;
  beta2?: number;
  alpha?: number;
  eps: number;
}

function build(net: Meta["net"]): Module {
  switch (net) {
    case "mlp":
      return mlp([8, 64, 64, 4]);
    case "dueling-mlp":
      return duelingMlp([8, 64, 64], 4);
    case "small-cnn":
      return smallCnn(4, 5);
    case "nature-cnn":
      return natureCnn(4, 5);
  }
}

function optimizer(m: Meta, net: Module): Optimizer {
  if (m.optimizer === "adam") return new Adam(net.parameters(), { lr: m.lr, betas: [m.beta1!, m.beta2!], eps: m.eps });
  return new RMSprop(net.parameters(), { lr: m.lr, alpha: m.alpha!, eps: m.eps });
}

const files = readdirSync(join(fixturesDir, "torch"))
  .filter((f) => f.endsWith(".safetensors"))
  .sort();

test("torch fixtures are present", () => {
  assert.ok(files.length >= 6, `expected the 6 torch fixtures, found ${files.length}`);
});

/**
 * Adam's and RMSprop's first step moves a weight by u(g) = lr·g/(c·|g| + ε) (c = 1 for Adam,
 * √(1−α) for RMSprop). Its sensitivity du/dg = lr·ε/(c·|g| + ε)² is huge for gradients
 * within a few ε of zero, where the gradient's last bits (which differ between any two
 * float32 GEMMs: such entries are sums that cancel) decide the step. So:
 * - the optimizer equations are checked on every weight by stepping once from the
 *   reference gradients;
 * - end to end, step 1 is checked at 1e-5 on the weights whose observed gradient
 *   discrepancy, propagated through du/dg, stays below a tenth of the tolerance (≥ 95%
 *   of every tensor), and MLP weights likewise after 3 steps;
 * - the conv nets' 3-step weights are chaotic in that sense (each step moves a weight by
 *   ~lr·10 whatever the gradient's size, and ReLU patterns flip), so there ≥ 99% of every
 *   tensor must agree to 1e-5, and every weight must stay within the size of the steps taken.
 */
function conditionedMask(meta: Meta, grad: Float32Array, gradError: Float64Array, w: Float32Array, tol: number, mask: boolean[]): void {
  const c = meta.optimizer === "rmsprop" ? Math.sqrt(1 - meta.alpha!) : 1;
  let maxW = 0;
  for (const v of w) maxW = Math.max(maxW, Math.abs(v));
  for (let i = 0; i < grad.length; i++) {
    const predicted = (meta.lr * meta.eps * gradError[i]!) / (c * Math.abs(grad[i]!) + meta.eps) ** 2;
    if (predicted > 0.1 * tol * (Math.abs(w[i]!) + 1e-2 * maxW)) mask[i] = false;
  }
}

function countWithin(a: Float32Array, b: Float32Array, tol: number, floorFrac: number): number {
  let maxAbs = 0;
  for (const v of b) maxAbs = Math.max(maxAbs, Math.abs(v));
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) <= tol * (Math.abs(b[i]!) + floorFrac * maxAbs)) n++;
  return n;
}

// One arena per backend, made the default arena while its tests run (the nets and losses below use it).
// DEEPQ_THREADS=2 runs the WebAssembly ones on the two-thread GEMM: its worker starts first, so the large GEMMs are split.
const arenas = testBackends().map((kind) => new Arena({ backend: kind }));
before(async () => {
  for (const arena of arenas) await (arena.kernels as { ready?(): Promise<boolean> }).ready?.();
});

for (const arena of arenas)
  for (const file of files) {
    const threads = arena.threads;
    test(`${file} (${arena.kernels.backend} kernels${threads > 1 ? `, ${threads} threads` : ""})`, () => {
      setDefaultArena(arena);
      const fx = loadFixture(join("torch", file));
      const meta = fixtureMeta<Meta>(fx);
      const T = fx.tensors;
      const init = group(T, "init");
      const online = build(meta.net);
      online.loadStateDict(init);

      // test/fixtures keeps a slimmed nature-cnn file (the fc layer's grad0/step1/step3 are
      // dropped for size, see test/fixtures/README.md): a tensor may be absent only if the
      // fixture's metadata lists it as dropped, and then only its own comparisons are skipped.
      const dropped = droppedTensors(fx);
      const present = (prefix: string, name: string): boolean => {
        if (T.has(`${prefix}/${name}`)) return true;
        assert.ok(dropped.has(`${prefix}/${name}`), `${prefix}/${name} is missing and not listed as dropped`);
        return false;
      };
      const x = tensorFrom(get(T, "x"));
      const actions = Int32Array.from(get(T, "actions").data as BigInt64Array, Number);
      const rewards = f32(T, "rewards");
      const dones = f32(T, "dones");
      const n = actions.length;

      // A conv net's Q values are sums of ~10⁵ products that cancel to ~1e-4 of their terms'
      // size; float32 rounding is relative to the terms, so entries are judged against 10%
      // of the tensor's scale (1% for the MLPs).
      const chaotic = meta.net.endsWith("cnn");
      const floor = chaotic ? 0.1 : 0.01;
      assertClose(online.forward(x).data, f32(T, "q0"), 1e-5, "q0", undefined, floor);

      const targetWeights = group(T, "target");
      if (targetWeights.size > 0) {
        const target = build(meta.net);
        target.loadStateDict(targetWeights);
        const xNext = tensorFrom(get(T, "x_next"));
        const qNextTarget = target.forward(xNext);
        assertClose(tdTargets(qNextTarget, rewards, dones, meta.gamma, new Float32Array(n)), f32(T, "target_dqn"), 1e-5, "target_dqn");
        const yDouble = doubleTdTargets(qNextTarget, online.forward(xNext), rewards, dones, meta.gamma, new Float32Array(n));
        assertClose(yDouble, f32(T, "target_double"), 1e-5, "target_double");
      } else {
        // The CNN fixtures do not store their target network, so only the terminal rows (target = r) can be checked.
        const yDqn = f32(T, "target_dqn");
        const yDouble = f32(T, "target_double");
        for (let i = 0; i < n; i++) {
          if (dones[i] === 1) assert.equal(yDqn[i], rewards[i]);
          if (dones[i] === 1) assert.equal(yDouble[i], rewards[i]);
          assert.ok(yDouble[i]! <= yDqn[i]! + 1e-6, `target_double ${yDouble[i]} > target_dqn ${yDqn[i]} at ${i}`);
        }
      }

      const loss = new QLoss(meta.loss, { beta: 1 });
      const yRef = f32(T, "target_dqn");
      const grads = group(T, "grad0");
      const params = online.namedParameters();
      const wellConditioned = new Map(params.map(([name, p]) => [name, new Array<boolean>(p.data.length).fill(true)]));
      const gradError = new Map<string, Float64Array>();

      // The optimizer equations, from the reference gradients: every weight.
      {
        const probe = build(meta.net);
        probe.loadStateDict(init);
        const opt = optimizer(meta, probe);
        // Each weight's update depends on its own gradient only, so weights without a reference gradient are left out.
        for (const [name, p] of probe.namedParameters()) if (present("grad0", name)) p.grad.data.set(f32(grads, name));
        opt.step();
        for (const [name, p] of probe.namedParameters()) {
          if (present("grad0", name) && present("step1", name)) assertClose(p.data, f32(group(T, "step1"), name), 1e-5, `step1 from reference grads, ${name}`);
        }
      }

      const opt = optimizer(meta, online);
      const maxStep = meta.lr * (meta.optimizer === "rmsprop" ? 1 / Math.sqrt(1 - meta.alpha!) : 1) * 1.01;
      for (let step = 1; step <= 3; step++) {
        opt.zeroGrad();
        const l = loss.compute(online.forward(x), actions, yRef);
        const lRef = meta.losses[step - 1]!;
        assert.ok(Math.abs(l - lRef) <= 1e-5 * Math.abs(lRef), `loss at step ${step}: ${l} vs ${lRef}`);
        online.backward(loss.dQ);
        if (step === 1) {
          for (const [name, p] of params) {
            if (!present("grad0", name)) continue;
            const g = f32(grads, name);
            assertClose(p.grad.data, g, 1e-4, `grad0/${name}`);
            gradError.set(
              name,
              Float64Array.from(g, (v, i) => Math.abs(p.grad.data[i]! - v)),
            );
          }
        }
        if (step === 1)
          for (const [name, p] of params)
            if (gradError.has(name)) conditionedMask(meta, p.grad.data, gradError.get(name)!, f32(init, name), 1e-5, wellConditioned.get(name)!);
        opt.step();
        const ref = group(T, `step${step}`);
        if (ref.size === 0) continue;
        for (const [name, p] of params) {
          if (!present(`step${step}`, name)) continue;
          const r = f32(ref, name);
          const d = p.data;
          const mask = wellConditioned.get(name)!;
          const checked = mask.filter(Boolean).length;
          assert.ok(checked >= 0.95 * mask.length, `${name}: only ${checked} of ${mask.length} weights well-conditioned`);
          if (step === 1 || !chaotic) assertClose(d, r, 1e-5, `step${step}/${name}`, mask, floor);
          else {
            const within = countWithin(d, r, 1e-5, floor);
            assert.ok(r.length - within <= Math.max(1, 0.01 * r.length), `step${step}/${name}: ${within} of ${r.length} weights within 1e-5`);
          }
          for (let i = 0; i < r.length; i++) {
            assert.ok(Math.abs(d[i]! - r[i]!) <= 2 * step * maxStep, `step${step}/${name}[${i}]: ${d[i]} vs ${r[i]} differ by more than the steps taken`);
          }
        }
      }
    });
  }
