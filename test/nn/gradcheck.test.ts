/**
 * Finite-difference gradient checks for every module, the Q losses and whole nets, on
 * every kernel backend available (native when built, WebAssembly; only the one DEEPQ_KERNELS
 * names when set) and on the TypeScript kernels (an Arena built with `createJsKernels`).
 *
 * Method. Each module's output y is reduced to L = Σ cᵢ·yᵢ in float64 with fixed random
 * coefficients c (float32 values, so dOut = c exactly); backward(c) gives the analytic
 * gradients, and a central difference of L perturbing one float32 entry at a time gives
 * the numeric ones. The perturbation actually applied is fl(v ± h) − v, computed exactly
 * in float64, so rounding of the perturbed value costs nothing.
 *
 * Why float32 finite differences are accurate enough here:
 * - Linear, Conv2d, Flatten, eval-mode BatchNorm, Dueling's combination and every layer's
 *   parameters other than BatchNorm's input path are *linear* in each single entry, and
 *   ReLU/LeakyReLU are piecewise linear. For a linear function the central difference is
 *   exact for any step, so a large step (h = 0.5) is used and the only error is float32
 *   rounding of the outputs that depend on the entry: ≈ k·u·Σ|terms| per output
 *   (u = 2⁻²⁴, k ≤ 50 terms of size ≲ 1, ≲ 50 dependent outputs) ≈ 1e-4 absolute at
 *   worst in L, over a step of 1 → ≲ 1e-4 of a gradient of size ~1; tolerance 1e-3
 *   relative (floor 1% of the tensor's largest gradient). Outputs that do not depend on
 *   the entry are recomputed bit-identically (the kernels are deterministic), so they
 *   cancel exactly in the difference.
 * - Modules with ReLU/LeakyReLU inside (Sequential, Dueling, the nets) are piecewise
 *   linear. The sign pattern of every activation's input is recorded at v, v + h and
 *   v − h; when all three agree, both half-steps lie in one linear piece and the central
 *   difference is again exact. Steps are tried from 0.1 down (PIECEWISE_STEPS) and the
 *   first kink-free one is used; entries with none are skipped (a bounded fraction). The
 *   error is rounding / 2h, larger for small steps and deep stacks (whose L has more
 *   terms): tolerance 1e-2 (3e-2 for the Nature CNN), and the median error must be 10×
 *   below the bound, since rounding is random and a wrong gradient systematic. Observed
 *   errors are mostly 1e-6..1e-4.
 * - Train-mode BatchNorm is smooth but not linear in its input: truncation error is
 *   h²/6·|L'''| and L''' ~ 1/σ³ ~ 1, so h = 1e-2 gives ~2e-5; rounding: its outputs are
 *   computed in double and stored in float32 (error u·|y| ≈ 1.2e-7 each, ≲ 120 outputs
 *   depend on any input through the batch statistics) → ≲ 1.5e-5 / 0.02 ≈ 7e-4 at worst.
 *   Tolerance 5e-3. A float64 reference of the forward pass (written here) is checked
 *   separately at 1e-6, so the gradient is checked against PyTorch's definition too.
 * - QLoss computes in double from float32 Q values: MSE is quadratic and Huber piecewise
 *   quadratic/linear in Q, so central differences are exact up to double rounding when
 *   no |δ| crosses β (targets are chosen so none does); the only error is the float32
 *   storage of dQ, hence tolerance 1e-6.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QLoss } from "../../src/agents/td.js";
import { createJsKernels } from "../../src/nn/kernels/index.js";
import { BatchNorm2d, Conv2d, type Conv2dOptions, Dueling, Linear } from "../../src/nn/layers.js";
import { Flatten, LeakyReLU, type Module, ReLU, Sequential } from "../../src/nn/module.js";
import { duelingMlp, mlp, natureCnn, smallCnn } from "../../src/nn/nets.js";
import { Rng } from "../../src/nn/rng.js";
import { Arena, type Tensor } from "../../src/nn/tensor.js";
import { testBackends } from "./util.js";

const DEBUG = process.env.DEEPQ_GRADCHECK_DEBUG === "1";

interface CheckOptions {
  /** Step for the input entries. */
  h: number;
  /** Step for parameter entries (default h). */
  hParam?: number;
  /** Allowed |numeric − analytic| / (|analytic| + floorFrac·max|analytic|). */
  tol: number;
  floorFrac?: number;
  /**
   * The module is piecewise linear through ReLU/LeakyReLU: `h` is ignored, the largest of
   * PIECEWISE_STEPS that leaves every activation's sign pattern unchanged is used (the
   * difference is then exact), and entries with no such step are skipped.
   */
  piecewiseLinear?: boolean;
  /** Check at most this many entries per tensor (random sample), default all up to 400. */
  maxPerTensor?: number;
  /** Smallest step tried for piecewise-linear modules (default 1e-4). */
  minStep?: number;
  /** Largest fraction of entries that may be skipped for want of a kink-free step (default 5%). */
  maxSkipped?: number;
  /** Whether the input gradient is checked (default true). */
  input?: boolean;
  seed?: number;
}

function randomTensor(arena: Arena, shape: number[], rng: Rng, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return arena.tensor(shape, d);
}

/** Values in [−hi, −lo] ∪ [lo, hi]: at least `lo` away from the ReLU kink. */
function awayFromZero(arena: Arena, shape: number[], rng: Rng, lo: number, hi: number): Tensor {
  const t = randomTensor(arena, shape, rng, lo, hi);
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (rng.random() < 0.5) d[i] = -d[i]!;
  return t;
}

function sample(n: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng.random() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, max).sort((a, b) => a - b);
}

interface Report {
  checked: number;
  skipped: number;
  maxErr: number;
  medianErr: number;
}

/**
 * Records which inputs of every ReLU/LeakyReLU inside `m` are positive on each forward pass
 * (by wrapping the instances' `forward`), so a finite difference can tell whether its step
 * stayed inside one linear piece. `restore` removes the wrappers.
 */
function activationPattern(m: Module): { snapshot(): Uint8Array; restore(): void } {
  const acts: Module[] = [];
  const walk = (mod: Module): void => {
    if (mod instanceof ReLU || mod instanceof LeakyReLU) acts.push(mod);
    for (const [, c] of mod.children()) walk(c);
  };
  walk(m);
  const patterns = acts.map(() => new Uint8Array(0));
  acts.forEach((a, i) => {
    const inner = a.forward.bind(a);
    (a as { forward: (x: Tensor) => Tensor }).forward = (x: Tensor): Tensor => {
      const d = x.data;
      const p = patterns[i]!.length === d.length ? patterns[i]! : (patterns[i] = new Uint8Array(d.length));
      for (let j = 0; j < d.length; j++) p[j] = d[j]! > 0 ? 1 : 0;
      return inner(x);
    };
  });
  return {
    snapshot: () => {
      const out = new Uint8Array(patterns.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of patterns) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
    restore: () => acts.forEach((a) => delete (a as { forward?: unknown }).forward),
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Steps tried, largest first, for piecewise-linear modules until one stays inside a linear piece. */
const PIECEWISE_STEPS = [0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4, 1e-4];

/**
 * Checks dL/dx (returned by backward) and dL/dp (accumulated in p.grad) of L = Σ c·module(x)
 * against central differences. Returns per-tensor reports.
 */
function gradcheck(m: Module, x: Tensor, opts: CheckOptions): Map<string, Report> {
  // A seed no test uses for its inputs: coefficients drawn from the inputs' own stream would be
  // an affine function of them, which BatchNorm's input gradient projects out (dx ≈ 0).
  const rng = new Rng(opts.seed ?? 0x5eed);
  const floorFrac = opts.floorFrac ?? 1e-2;
  const y0 = m.forward(x);
  const outShape = [...y0.shape];
  const c = new Float64Array(y0.size);
  for (let i = 0; i < c.length; i++) c[i] = Math.fround(rng.uniform(-1, 1));
  const dOut = m.arena.tensor(outShape, c);
  const objective = (): number => {
    const y = m.forward(x);
    assert.deepEqual([...y.shape], outShape);
    const d = y.data;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += c[i]! * d[i]!;
    return s;
  };

  m.zeroGrad();
  m.forward(x);
  const dx = m.backward(dOut);
  const targets: Array<{ name: string; t: Tensor; analytic: Float32Array; h: number }> = [];
  if (opts.input ?? true) {
    assert.ok(dx, `${m.describe()}: backward returned no input gradient`);
    assert.deepEqual([...dx.shape], [...x.shape], "input gradient shape");
    targets.push({ name: "input", t: x, analytic: dx.toArray(), h: opts.h });
  }
  for (const [name, p] of m.namedParameters()) targets.push({ name, t: p, analytic: p.grad.toArray(), h: opts.hParam ?? opts.h });

  const probe = opts.piecewiseLinear ? activationPattern(m) : null;
  const f0 = objective();
  const pattern0 = probe?.snapshot();
  const reports = new Map<string, Report>();
  try {
    for (const { name, t, analytic, h } of targets) {
      let maxAbs = 0;
      for (const v of analytic) maxAbs = Math.max(maxAbs, Math.abs(v));
      const floor = Math.max(floorFrac * maxAbs, 1e-12);
      const rep: Report = { checked: 0, skipped: 0, maxErr: 0, medianErr: 0 };
      const errs: number[] = [];
      for (const j of sample(t.size, opts.maxPerTensor ?? 400, rng)) {
        let numeric = NaN;
        for (const step of probe ? PIECEWISE_STEPS.filter((st) => st >= (opts.minStep ?? 1e-4)) : [h]) {
          const v = t.data[j]!;
          t.data[j] = v + step;
          const dp = t.data[j]! - v;
          const fp = objective();
          const okP = !probe || equalBytes(probe.snapshot(), pattern0!);
          t.data[j] = v - step;
          const dm = v - t.data[j]!;
          const fm = objective();
          const okM = !probe || equalBytes(probe.snapshot(), pattern0!);
          t.data[j] = v;
          if (okP && okM) {
            numeric = (fp - fm) / (dp + dm);
            break;
          }
        }
        if (Number.isNaN(numeric)) {
          rep.skipped++;
          continue;
        }
        const a = analytic[j]!;
        const err = Math.abs(numeric - a) / (Math.abs(a) + floor);
        rep.checked++;
        rep.maxErr = Math.max(rep.maxErr, err);
        errs.push(err);
        assert.ok(
          err <= opts.tol,
          `${m.describe()} d/d${name}[${j}]: analytic ${a}, numeric ${numeric} (relative error ${err.toExponential(2)} > ${opts.tol})`,
        );
      }
      assert.ok(rep.checked > 0, `${name}: nothing checked`);
      // Rounding noise is random, a wrong gradient is systematic: most entries must do far better than the bound.
      errs.sort((a, b) => a - b);
      rep.medianErr = errs[Math.floor(errs.length / 2)]!;
      assert.ok(rep.medianErr <= opts.tol / 10, `${name}: median relative error ${rep.medianErr.toExponential(2)} > ${opts.tol / 10}`);
      const maxSkipped = opts.maxSkipped ?? 0.05;
      assert.ok(
        rep.skipped <= Math.max(1, maxSkipped * (rep.checked + rep.skipped)),
        `${name}: ${rep.skipped} of ${rep.checked + rep.skipped} entries have no kink-free step, more than ${maxSkipped * 100}%`,
      );
      reports.set(name, rep);
    }
    // The objective at the unperturbed point is unchanged: every entry was restored exactly.
    assert.equal(objective(), f0);
  } finally {
    probe?.restore();
  }
  if (DEBUG) {
    const parts = [...reports].map(
      ([n, r]) => `${n}: ${r.maxErr.toExponential(1)}/${r.medianErr.toExponential(1)} (${r.checked}${r.skipped ? `, ${r.skipped} skipped` : ""})`,
    );
    console.log(`${m.describe()} [${m.arena.kernels.backend}] ${parts.join("; ")}`);
  }
  return reports;
}

/** Linear-in-each-entry modules: big step, tight tolerance (see the header). */
const LINEAR: CheckOptions = { h: 0.5, tol: 1e-3 };
/** Piecewise-linear networks: the largest step that stays inside one linear piece. */
const PIECEWISE: CheckOptions = { h: NaN, tol: 1e-2, piecewiseLinear: true };

// ---- float64 references --------------------------------------------------------------------

function bnReference(
  x: Float32Array,
  shape: readonly number[],
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  stats: { mean: Float64Array; varBiased: Float64Array; varUnbiased: Float64Array } | { runMean: Float32Array; runVar: Float32Array },
): Float64Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const hw = h * w;
  const y = new Float64Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    let mean: number;
    let v: number;
    if ("runMean" in stats) {
      mean = stats.runMean[ch]!;
      v = stats.runVar[ch]!;
    } else {
      let s = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) s += x[(b * c + ch) * hw + i]!;
      mean = s / (n * hw);
      let ss = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) ss += (x[(b * c + ch) * hw + i]! - mean) ** 2;
      v = ss / (n * hw);
      stats.mean[ch] = mean;
      stats.varBiased[ch] = v;
      stats.varUnbiased[ch] = ss / (n * hw - 1);
    }
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < hw; i++) {
        const k = (b * c + ch) * hw + i;
        y[k] = ((x[k]! - mean) / Math.sqrt(v + eps)) * gamma[ch]! + beta[ch]!;
      }
    }
  }
  return y;
}

function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    assert.ok(e <= tol * (Math.abs(want[i]!) + 1e-2 * maxAbs), `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

// ---- the suite, once per backend -----------------------------------------------------------

interface Backend {
  label: string;
  make(): Arena;
}

// Every backend available here (native, WebAssembly, TypeScript; DEEPQ_KERNELS narrows it), and always
// the TypeScript kernels built directly with createJsKernels.
const backends: Backend[] = [
  ...testBackends()
    .filter((kind) => kind !== "js")
    .map((kind) => {
      const backend = new Arena({ backend: kind }).kernels.backend;
      return { label: `${backend} (${kind} backend)`, make: () => new Arena({ backend: kind }) };
    }),
  { label: "js (createJsKernels)", make: () => new Arena({ kernels: createJsKernels }) },
];

for (const backend of backends) {
  describe(`gradcheck on ${backend.label} kernels`, () => {
    it("runs on the backend it names", () => {
      const arena = backend.make();
      assert.ok(backend.label.startsWith(arena.kernels.backend), `${backend.label}: runs ${arena.kernels.backend}`);
    });

    it("Linear (with and without bias, batch 1 and 5)", () => {
      const arena = backend.make();
      const rng = new Rng(1);
      for (const [fi, fo, n, bias] of [
        [7, 5, 5, true],
        [3, 9, 1, true],
        [16, 4, 3, false],
      ] as const) {
        const lin = new Linear(fi, fo, { arena, rng, bias });
        const reps = gradcheck(lin, randomTensor(arena, [n, fi], rng), LINEAR);
        assert.deepEqual([...reps.keys()], bias ? ["input", "weight", "bias"] : ["input", "weight"]);
      }
    });

    it("Conv2d: kernel/stride/padding variants, non-square inputs", () => {
      const arena = backend.make();
      const rng = new Rng(2);
      const cases: Array<{ c: number; o: number; k: number | [number, number]; opts: Conv2dOptions; hw: [number, number]; n: number }> = [
        { c: 3, o: 4, k: 3, opts: { stride: 1, padding: 1 }, hw: [7, 9], n: 2 },
        { c: 2, o: 3, k: [3, 2], opts: { stride: [2, 1], padding: [1, 0] }, hw: [8, 6], n: 2 },
        { c: 2, o: 3, k: 8, opts: { stride: 4 }, hw: [20, 24], n: 1 },
        { c: 3, o: 2, k: 4, opts: { stride: 2, padding: 2 }, hw: [9, 7], n: 2 },
        { c: 1, o: 2, k: 5, opts: { stride: 3, padding: 2, bias: false }, hw: [11, 10], n: 3 },
        // Stride that leaves the last row unread (k 3, s 2 on height 8 reads rows 0..6).
        { c: 2, o: 2, k: 3, opts: { stride: 2 }, hw: [8, 9], n: 2 },
        { c: 4, o: 3, k: 1, opts: {}, hw: [5, 3], n: 2 },
      ];
      for (const cs of cases) {
        const conv = new Conv2d(cs.c, cs.o, cs.k, { ...cs.opts, arena, rng });
        const x = randomTensor(arena, [cs.n, cs.c, ...cs.hw], rng);
        gradcheck(conv, x, LINEAR);
      }
      // Unread pixels get exactly zero gradient: k 3, s 2 on 8×9 gives 3×4 outputs reading rows 0..6 and all columns.
      const conv = new Conv2d(1, 1, 3, { stride: 2, arena, rng });
      const x = randomTensor(arena, [1, 1, 8, 9], rng);
      assert.deepEqual([...conv.forward(x).shape], [1, 1, 3, 4]);
      const d = conv.backward(arena.tensor([1, 1, 3, 4], new Float32Array(12).fill(1)))!.data;
      for (let j = 0; j < 9; j++) assert.equal(d[7 * 9 + j], 0, `row 7 col ${j} is never read`);
      for (let j = 0; j < 9; j++) assert.notEqual(d[6 * 9 + j], 0, `row 6 col ${j} is read`);
      // A batch whose columns exceed one im2col run (8×8/4 on 4×84×84: runs of 5 images, here 5 + 2)
      // gives every image exactly what it gives alone.
      const big = new Conv2d(4, 3, 8, { stride: 4, arena, rng });
      const xs = randomTensor(arena, [7, 4, 84, 84], rng);
      const ys = Float32Array.from(big.forward(xs).data);
      const per = 3 * 20 * 20;
      for (let i = 0; i < 7; i++) {
        const xi = arena.tensor([1, 4, 84, 84], xs.data.slice(i * 4 * 84 * 84, (i + 1) * 4 * 84 * 84));
        assert.deepEqual([...big.forward(xi).data], [...ys.subarray(i * per, (i + 1) * per)], `image ${i} of 7`);
      }
    });

    it("ReLU and LeakyReLU (inputs away from the kink)", () => {
      const arena = backend.make();
      const rng = new Rng(3);
      const x = awayFromZero(arena, [4, 3, 5], rng, 0.2, 2);
      // h = 0.1 < 0.2: no kink is crossed, so the difference is exact.
      gradcheck(new ReLU(arena), x, { h: 0.1, tol: 1e-5 });
      gradcheck(new LeakyReLU(0.01, arena), x, { h: 0.1, tol: 1e-5 });
      gradcheck(new LeakyReLU(0.2, arena), x, { h: 0.1, tol: 1e-5 });
      // The gradient at exactly 0 follows PyTorch: ReLU passes nothing, LeakyReLU the slope.
      const z = arena.tensor([1, 2], [0, -0]);
      const relu = new ReLU(arena);
      relu.forward(z);
      assert.deepEqual([...relu.backward(arena.tensor([1, 2], [1, 1]))!.data], [0, 0]);
      const leaky = new LeakyReLU(0.25, arena);
      leaky.forward(z);
      assert.deepEqual([...leaky.backward(arena.tensor([1, 2], [1, 1]))!.data], [0.25, 0.25]);
    });

    it("Flatten: a view forward and backward", () => {
      const arena = backend.make();
      const rng = new Rng(4);
      const x = randomTensor(arena, [3, 2, 4, 5], rng);
      const fl = new Flatten(arena);
      const y = fl.forward(x);
      assert.deepEqual([...y.shape], [3, 40]);
      assert.equal(y.ptr, x.ptr);
      gradcheck(fl, x, LINEAR);
    });

    it("Sequential of conv, activations, flatten and linear layers", () => {
      const arena = backend.make();
      const rng = new Rng(5);
      const net = new Sequential([
        new Conv2d(2, 4, 3, { stride: 2, padding: 1, arena, rng }),
        new ReLU(arena),
        new Conv2d(4, 3, [2, 3], { stride: 1, arena, rng }),
        new LeakyReLU(0.1, arena),
        new Flatten(arena),
        new Linear(3 * 4 * 4, 6, { arena, rng }),
        new ReLU(arena),
        new Linear(6, 3, { arena, rng }),
      ]);
      const x = randomTensor(arena, [2, 2, 10, 11], rng);
      const reps = gradcheck(net, x, { ...PIECEWISE, maxPerTensor: 150 });
      assert.deepEqual([...reps.keys()], ["input", "0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias", "7.weight", "7.bias"]);
      // With input gradients off the first layer returns null but parameters still get gradients.
      net.setInputGrad(false);
      net.zeroGrad();
      const y = net.forward(x);
      assert.equal(net.backward(arena.tensor([...y.shape], new Float32Array(y.size).fill(1))), null);
      assert.ok(net.parameters()[0]!.grad.data.some((v) => v !== 0));
    });

    it("parameter gradients accumulate across backward calls (as PyTorch)", () => {
      const arena = backend.make();
      const rng = new Rng(6);
      const lin = new Linear(5, 3, { arena, rng });
      const x = randomTensor(arena, [4, 5], rng);
      const dOut = randomTensor(arena, [4, 3], rng);
      lin.zeroGrad();
      lin.forward(x);
      lin.backward(dOut);
      const once = lin.weight.grad.toArray();
      lin.forward(x);
      lin.backward(dOut);
      const twice = lin.weight.grad.toArray();
      for (let i = 0; i < once.length; i++) assert.ok(Math.abs(twice[i]! - 2 * once[i]!) <= 1e-6 * (1 + Math.abs(once[i]!)));
    });

    it("BatchNorm2d train mode (batch statistics): forward against float64, gradients", () => {
      const arena = backend.make();
      const rng = new Rng(7);
      const bn = new BatchNorm2d(3, { arena });
      bn.weight.data.set([1.5, -0.7, 0.9]);
      bn.bias.data.set([0.1, 0.4, -0.3]);
      const x = randomTensor(arena, [3, 3, 4, 5], rng, -1, 2);
      const stats = { mean: new Float64Array(3), varBiased: new Float64Array(3), varUnbiased: new Float64Array(3) };
      const ref = bnReference(x.toArray(), x.shape, bn.weight.toArray(), bn.bias.toArray(), bn.eps, stats);
      assertNear(bn.forward(x).data, ref, 1e-6, "train forward");
      // Smooth in x (h = 1e-2, see header); linear in γ and β (h = 0.5).
      gradcheck(bn, x, { h: 1e-2, hParam: 0.5, tol: 5e-3 });
      // Batch of 1 with spatial extent is fine; one value per channel is an error, as in PyTorch.
      assert.throws(() => bn.forward(arena.tensor([1, 3, 1, 1])), /more than 1 value per channel/);
    });

    it("BatchNorm2d running statistics follow PyTorch (momentum 0.1, unbiased variance)", () => {
      const arena = backend.make();
      const rng = new Rng(8);
      for (const momentum of [undefined, 0.3]) {
        const bn = new BatchNorm2d(2, { arena, momentum });
        const m = momentum ?? 0.1;
        assert.equal(bn.momentum, m);
        assert.deepEqual([...bn.runningMean.data], [0, 0]);
        assert.deepEqual([...bn.runningVar.data], [1, 1]);
        const rm = new Float64Array(2);
        const rv = new Float64Array([1, 1]);
        for (let step = 1; step <= 3; step++) {
          const x = randomTensor(arena, [4, 2, 3, 2], rng, -2 + step, 1 + 2 * step);
          const stats = { mean: new Float64Array(2), varBiased: new Float64Array(2), varUnbiased: new Float64Array(2) };
          bnReference(x.toArray(), x.shape, bn.weight.toArray(), bn.bias.toArray(), bn.eps, stats);
          for (let ch = 0; ch < 2; ch++) {
            rm[ch] = (1 - m) * rm[ch]! + m * stats.mean[ch]!;
            rv[ch] = (1 - m) * rv[ch]! + m * stats.varUnbiased[ch]!;
          }
          bn.forward(x);
          assertNear(bn.runningMean.data, rm, 1e-6, `running_mean after ${step} steps (momentum ${m})`);
          assertNear(bn.runningVar.data, rv, 1e-6, `running_var after ${step} steps (momentum ${m})`);
          assert.equal(bn.numBatchesTracked.value, step);
        }
        // Eval mode reads the running stats and leaves them (and the counter) alone.
        bn.eval();
        const before = [bn.runningMean.toArray(), bn.runningVar.toArray()];
        bn.forward(randomTensor(arena, [2, 2, 3, 2], rng));
        assert.deepEqual(bn.runningMean.toArray(), before[0]);
        assert.deepEqual(bn.runningVar.toArray(), before[1]);
        assert.equal(bn.numBatchesTracked.value, 3);
        const sd = bn.stateDict();
        assert.deepEqual([...sd.keys()], ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
        assert.equal(sd.get("num_batches_tracked")!.dtype, "I64");
        assert.equal((sd.get("num_batches_tracked")!.data as BigInt64Array)[0], 3n);
      }
    });

    it("BatchNorm2d eval mode (running statistics): forward against float64, gradients", () => {
      const arena = backend.make();
      const rng = new Rng(9);
      const bn = new BatchNorm2d(3, { arena });
      bn.weight.data.set([0.8, 1.3, -1.1]);
      bn.bias.data.set([-0.2, 0.0, 0.5]);
      bn.runningMean.data.set([0.3, -0.4, 1.2]);
      bn.runningVar.data.set([0.5, 2.0, 0.05]);
      bn.eval();
      const x = randomTensor(arena, [2, 3, 3, 4], rng, -1, 2);
      const ref = bnReference(x.toArray(), x.shape, bn.weight.toArray(), bn.bias.toArray(), bn.eps, {
        runMean: bn.runningMean.toArray(),
        runVar: bn.runningVar.toArray(),
      });
      assertNear(bn.forward(x).data, ref, 1e-6, "eval forward");
      gradcheck(bn, x, LINEAR);
      assert.equal(bn.numBatchesTracked.value, 0);
    });

    it("Dueling head: Q = V + A − mean A, gradients into heads and features", () => {
      const arena = backend.make();
      const rng = new Rng(10);
      const features = new Sequential([new Linear(6, 10, { arena, rng }), new ReLU(arena)]);
      const head = new Dueling(features, 10, 4, { arena, rng });
      const x = randomTensor(arena, [5, 6], rng);
      // Forward against the definition.
      const q = head.forward(x).toArray();
      const h = features.forward(x).toArray();
      const v = head.value.forward(features.forward(x)).toArray();
      const a = head.advantage.forward(features.forward(x)).toArray();
      for (let b = 0; b < 5; b++) {
        let mean = 0;
        for (let j = 0; j < 4; j++) mean += a[b * 4 + j]! / 4;
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(q[b * 4 + j]! - (v[b]! + a[b * 4 + j]! - mean)) < 1e-6);
      }
      assert.equal(h.length, 50);
      const reps = gradcheck(head, x, PIECEWISE);
      assert.deepEqual([...reps.keys()], ["input", "features.0.weight", "features.0.bias", "value.weight", "value.bias", "advantage.weight", "advantage.bias"]);
    });

    for (const layout of ["action-major", "atom-major"] as const) {
      it(`distributional Dueling head (${layout}): per atom Q = V + A − mean_a A, gradients`, () => {
        const arena = backend.make();
        const rng = new Rng(12);
        const features = new Sequential([new Linear(6, 10, { arena, rng }), new ReLU(arena)]);
        const na = 3;
        const atoms = 5;
        const head = new Dueling(features, 10, na, { arena, rng, atoms, layout });
        const x = randomTensor(arena, [4, 6], rng);
        const q = head.forward(x).toArray();
        const v = head.value.forward(features.forward(x)).toArray();
        const a = head.advantage.forward(features.forward(x)).toArray();
        const at = (b: number, k: number, j: number) => b * na * atoms + (layout === "action-major" ? k * atoms + j : j * na + k);
        for (let b = 0; b < 4; b++) {
          for (let j = 0; j < atoms; j++) {
            let mean = 0;
            for (let k = 0; k < na; k++) mean += a[at(b, k, j)]! / na;
            for (let k = 0; k < na; k++) assert.ok(Math.abs(q[at(b, k, j)]! - (v[b * atoms + j]! + a[at(b, k, j)]! - mean)) < 1e-6);
          }
        }
        gradcheck(head, x, PIECEWISE);
      });
    }

    it("Dueling backward survives the memory growing under it", () => {
      // The first backward for a batch size allocates its buffers; if that grows the memory,
      // views taken before the allocation are detached and must not be read.
      const arena = backend.make();
      const rng = new Rng(11);
      const head = duelingMlp([3, 8], 2, { arena, rng }).setInputGrad(true);
      const x = randomTensor(arena, [2, 3], rng);
      head.forward(x);
      const dOut = arena.tensor([2, 2], [1, -1, 0.5, 2]);
      // Fill the memory up to its end so the next allocation must grow it.
      arena.alloc(arena.memory.buffer.byteLength - arena.usedBytes);
      const dx = head.backward(dOut)!;
      for (const v of dx.data) assert.ok(Number.isFinite(v), "input gradient has NaN after memory growth");
      for (const p of head.parameters()) for (const v of p.grad.data) assert.ok(Number.isFinite(v));
      // Same gradients as a run without growth.
      const head2 = duelingMlp([3, 8], 2, { arena, rng: new Rng(11) }).setInputGrad(true);
      head2.loadStateDict(head.stateDict());
      head2.forward(x);
      const dx2 = head2.backward(dOut)!;
      assert.deepEqual(dx.toArray(), dx2.toArray());
    });

    it("whole nets: mlp, duelingMlp, smallCnn and (wasm) natureCnn (input and parameter gradients)", () => {
      const arena = backend.make();
      const rng = new Rng(12);
      // Deeper stacks put a ReLU kink within 1e-3 of many entries; smaller steps would drown the
      // difference in float32 noise (u·|L|/h ≈ 6e-8·0.1/1e-4 ≈ 6e-5, the size of small
      // gradients here), so steps stop at 1e-3 and up to 25% of entries may go unchecked.
      // Bound 1e-2 and median 1e-3 on the rest (3e-2 for the Nature CNN, whose 3 convs and
      // fc 512 add noise). These nets' gradients are also checked against PyTorch at 1e-4 in
      // torch-fixtures.test.ts.
      // A first-conv bias moves every unit of its channel, so up to half of those may be skipped there.
      const nets: Array<[Module, number[], number?]> = [
        [mlp([8, 16, 16, 4], { arena, seed: 1 }), [3, 8]],
        [mlp([5, 12, 3], { arena, seed: 2, activation: "leaky_relu" }), [4, 5]],
        [duelingMlp([8, 16, 16], 4, { arena, seed: 3 }), [2, 8]],
        [smallCnn(2, 3, { arena, seed: 4, height: 20, width: 24 }), [2, 2, 20, 24]],
        // On the TypeScript kernels the Nature CNN's forward takes ~4 ms, too slow for hundreds of
        // differences; its layers are the same modules smallCnn exercises there.
        ...(arena.kernels.backend === "js"
          ? []
          : [[natureCnn(2, 3, { arena, seed: 5, height: 36, width: 40 }), [1, 2, 36, 40], 3e-2] as [Module, number[], number]]),
      ];
      for (const [net, shape, tol] of nets) {
        net.setInputGrad(true);
        gradcheck(
          net,
          randomTensor(arena, shape, rng, 0, 1),
          // Fewer samples on the (slower) TypeScript kernels keep the file well under 20 s.
          { ...PIECEWISE, tol: tol ?? PIECEWISE.tol, minStep: 1e-3, maxSkipped: tol ? 0.5 : 0.25, maxPerTensor: arena.kernels.backend === "js" ? 16 : 40 },
        );
      }
    });

    describe("QLoss", () => {
      /** Q [n, na], actions, and targets placed so that |δ| avoids β by at least 0.2β (no Huber kink in the step). */
      function problem(arena: Arena, rng: Rng, n: number, na: number, beta: number) {
        const q = randomTensor(arena, [n, na], rng, -2, 2);
        const actions = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % na);
        const targets = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const mag = i % 2 === 0 ? rng.uniform(0, 0.8) * beta : rng.uniform(1.2, 3) * beta;
          targets[i] = Math.fround(q.data[i * na + actions[i]!]! + (rng.random() < 0.5 ? -mag : mag));
        }
        const weights = Float32Array.from({ length: n }, () => rng.uniform(0.1, 1));
        return { q, actions, targets, weights };
      }

      function elementLoss(kind: "mse" | "huber", d: number, beta: number): number {
        if (kind === "mse") return d * d;
        return Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta;
      }

      for (const kind of ["mse", "huber"] as const) {
        for (const beta of kind === "mse" ? [1] : [0.5, 1, 2]) {
          for (const weighted of [false, true]) {
            it(`${kind}${kind === "huber" ? ` β=${beta}` : ""}${weighted ? " with per-sample weights" : ""}: value, dQ, TD errors`, () => {
              const arena = backend.make();
              const rng = new Rng(13 + beta * 10 + (weighted ? 1 : 0));
              const n = 9;
              const na = 3;
              const { q, actions, targets, weights } = problem(arena, rng, n, na, beta);
              const loss = new QLoss(kind, { beta, arena });
              const w = weighted ? weights : undefined;
              const value = loss.compute(q, actions, targets, w);
              // The value against the definition (torch MSELoss / SmoothL1Loss(beta), mean of w·ℓ).
              let ref = 0;
              for (let i = 0; i < n; i++) ref += (w ? w[i]! : 1) * elementLoss(kind, q.data[i * na + actions[i]!]! - targets[i]!, beta);
              ref /= n;
              assert.ok(Math.abs(value - ref) <= 1e-12 * Math.abs(ref), `loss ${value} vs ${ref}`);
              // TD errors δ = target − Q(s, a), one per sample.
              const td = loss.tdErrors;
              assert.equal(td.length, n);
              for (let i = 0; i < n; i++) assert.equal(td[i], Math.fround(targets[i]! - q.data[i * na + actions[i]!]!));
              // dQ: zero off the taken actions, central differences on the taken ones.
              const dq = loss.dQ.toArray();
              assert.deepEqual([...loss.dQ.shape], [n, na]);
              const h = 0.01 * beta;
              for (let i = 0; i < n; i++) {
                for (let j = 0; j < na; j++) {
                  const k = i * na + j;
                  const v = q.data[k]!;
                  q.data[k] = v + h;
                  const dp = q.data[k]! - v;
                  const fp = loss.compute(q, actions, targets, w);
                  q.data[k] = v - h;
                  const dm = v - q.data[k]!;
                  const fm = loss.compute(q, actions, targets, w);
                  q.data[k] = v;
                  const numeric = (fp - fm) / (dp + dm);
                  if (j !== actions[i]) {
                    assert.equal(dq[k], 0);
                    assert.equal(numeric, 0);
                  } else {
                    assert.ok(Math.abs(numeric - dq[k]!) <= 1e-6 * (Math.abs(numeric) + 1e-3), `${kind} dQ[${i}, ${j}]: analytic ${dq[k]}, numeric ${numeric}`);
                  }
                }
              }
              // Unit weights are the same as no weights.
              if (weighted) {
                const a = loss.compute(q, actions, targets, new Float32Array(n).fill(1));
                const b = loss.compute(q, actions, targets);
                assert.equal(a, b);
              }
            });
          }
        }
      }

      it("huber: |δ| ≥ β has gradient ±w/N, and the β transition is continuous", () => {
        const arena = backend.make();
        const q = arena.tensor([4, 2], [0, 0, 0, 0, 0, 0, 0, 0]);
        const loss = new QLoss("huber", { beta: 0.5, arena });
        const w = [1, 2, 0.5, 1];
        loss.compute(q, [0, 1, 0, 1], [3, -3, 0.5, -0.5], w);
        assert.deepEqual([...loss.dQ.data], [-1 / 4, 0, 0, 2 / 4, -0.5 / 4, 0, 0, 1 / 4]);
        const below = loss.compute(q, [0, 0, 0, 0], [0.5 - 1e-9, 0, 0, 0]);
        const above = loss.compute(q, [0, 0, 0, 0], [0.5 + 1e-9, 0, 0, 0]);
        assert.ok(Math.abs(below - above) < 1e-9);
      });

      it("rejects bad actions and short inputs", () => {
        const arena = backend.make();
        const q = arena.tensor([2, 3]);
        const loss = new QLoss("mse", { arena });
        assert.throws(() => loss.compute(q, [0, 3], [0, 0]), /outside \[0, 3\)/);
        assert.throws(() => loss.compute(q, [0], [0, 0]), /actions has 1 entries/);
        assert.throws(() => loss.compute(q, [0, 1], [0, 0], [1]), /weights has 1 entries/);
        assert.throws(() => new QLoss("huber", { beta: 0 }), /beta must be > 0/);
      });
    });
  });
}
