/**
 * `npm run bench:nn`: the cost of one DQN update and of one greedy action for the nets
 * deepq ships, on one core. Writes bench/results/nn.json as
 * `{ "<case>": { "update_ms": n, "act_us": n, "backend": "<kernels>", "update_ms_min": n, "act_us_min": n } }`
 * (medians, plus the fastest repeat).
 *
 *   node --import tsx bench/nn.ts [--repeats 9] [--only nature]   # --only keeps the other cases' figures in nn.json
 *   node --experimental-wasm-relaxed-simd --import tsx bench/nn.ts   # relaxed-SIMD kernels on Node 20
 *   DEEPQ_KERNELS=js node --import tsx bench/nn.ts                   # the TypeScript kernels
 *
 * One update = online forward on the batch, target forward on the next states, max over
 * actions (tdTargets), gather + loss (QLoss), backward, optimizer step (with zeroGrad).
 * One action = forward on a batch of 1 and argmax. Each figure is the median of several
 * timed repeats after a warm-up; a repeat runs enough iterations to last ≥ 100 ms.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { argmaxRow, QLoss, tdTargets, type QLossKind } from "../src/nn/loss.js";
import type { Module } from "../src/nn/module.js";
import { mlp, natureCnn, smallCnn } from "../src/nn/nets.js";
import { Adam, RMSprop, type Optimizer } from "../src/nn/optim.js";
import { Rng } from "../src/nn/rng.js";
import { defaultArena, type Tensor } from "../src/nn/tensor.js";

interface Case {
  name: string;
  build(): Module;
  /** Per-sample input shape. */
  input: number[];
  actions: number;
  batch: number;
  optimizer(params: Module): Optimizer;
  loss: QLossKind;
  /** deepq targets and the PyTorch reference figures (issue), update in ms and act in µs. */
  target: { update_ms: number; act_us?: number };
  torch: { update_ms: number; act_us?: number };
}

const CNN_INPUT = [4, 84, 84];

const CASES: Case[] = [
  {
    name: "mlp-8-64-64-4-b128-adam", build: () => mlp([8, 64, 64, 4]), input: [8], actions: 4, batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 1e-3 }), loss: "huber",
    target: { update_ms: 0.1, act_us: 10 }, torch: { update_ms: 1.25, act_us: 43 },
  },
  {
    name: "mlp-4-120-84-2-b128-adam", build: () => mlp([4, 120, 84, 2]), input: [4], actions: 2, batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 2.5e-4 }), loss: "mse",
    target: { update_ms: 0.1, act_us: 10 }, torch: { update_ms: 1.25, act_us: 43 },
  },
  {
    name: "small-cnn-b32-rmsprop", build: () => smallCnn(4, 5), input: CNN_INPUT, actions: 5, batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }), loss: "huber",
    target: { update_ms: 10 }, torch: { update_ms: 22 },
  },
  {
    name: "nature-cnn-b32-rmsprop", build: () => natureCnn(4, 5), input: CNN_INPUT, actions: 5, batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }), loss: "huber",
    target: { update_ms: 30, act_us: 1000 }, torch: { update_ms: 48, act_us: 1000 },
  },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function randomTensor(shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.random();
  return defaultArena().tensor(shape, d);
}

/**
 * Seconds per call of `fn`: median and minimum over `repeats` timed repeats, each ≥ `minMs`,
 * after a warm-up of ~`warmMs`. The median is the figure reported; the minimum shows what
 * the code costs when nothing else competes for the core.
 */
function timeIt(fn: () => void, repeats: number, minMs = 100, warmMs = 300): { median: number; min: number } {
  const warmEnd = performance.now() + warmMs;
  let calls = 0;
  const t0 = performance.now();
  do {
    fn();
    calls++;
  } while (performance.now() < warmEnd || calls < 3);
  const perCall = (performance.now() - t0) / calls;
  const iters = Math.max(1, Math.ceil(minMs / Math.max(perCall, 1e-4)));
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const s = performance.now();
    for (let i = 0; i < iters; i++) fn();
    samples.push((performance.now() - s) / iters);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]! / 1000, min: samples[0]! / 1000 };
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

function main(): void {
  const repeats = Number(arg("--repeats") ?? 9);
  const only = arg("--only");
  const backend = defaultArena().kernels.backend;
  const rng = new Rng(0);
  const results: Record<string, { update_ms: number; act_us: number; backend: string; update_ms_min: number; act_us_min: number }> = {};
  const rows: string[][] = [];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const online = c.build();
    const target = c.build();
    target.copyFrom(online);
    target.eval();
    const opt = c.optimizer(online);
    const loss = new QLoss(c.loss);
    const x = randomTensor([c.batch, ...c.input], rng);
    const xNext = randomTensor([c.batch, ...c.input], rng);
    const actions = Int32Array.from({ length: c.batch }, () => Math.floor(rng.random() * c.actions));
    const rewards = Float32Array.from({ length: c.batch }, () => rng.random());
    const dones = Float32Array.from({ length: c.batch }, () => (rng.random() < 0.1 ? 1 : 0));
    const y = new Float32Array(c.batch);
    const obs = randomTensor([1, ...c.input], rng);
    let sink = 0;

    const update = (): void => {
      tdTargets(target.forward(xNext), rewards, dones, 0.99, y);
      opt.zeroGrad();
      sink += loss.compute(online.forward(x), actions, y);
      online.backward(loss.dQ);
      opt.step();
    };
    const act = (): void => {
      sink += argmaxRow(online.forward(obs));
    };

    const u = timeIt(update, repeats);
    const a = timeIt(act, repeats);
    const updateMs = u.median * 1e3;
    const actUs = a.median * 1e6;
    if (!Number.isFinite(sink)) console.log("non-finite loss", sink);
    results[c.name] = {
      update_ms: +updateMs.toPrecision(4), act_us: +actUs.toPrecision(4), backend,
      update_ms_min: +(u.min * 1e3).toPrecision(4), act_us_min: +(a.min * 1e6).toPrecision(4),
    };
    rows.push([
      c.name,
      fmt(updateMs, updateMs < 1 ? 3 : 1), fmt(u.min * 1e3, updateMs < 1 ? 3 : 1), String(c.target.update_ms), `${(updateMs / c.target.update_ms).toFixed(2)}×`,
      `${(c.torch.update_ms / updateMs).toFixed(1)}×`,
      fmt(actUs, actUs < 100 ? 1 : 0), fmt(a.min * 1e6, actUs < 100 ? 1 : 0),
      c.target.act_us === undefined ? "—" : String(c.target.act_us),
      c.target.act_us === undefined ? "—" : `${(actUs / c.target.act_us).toFixed(2)}×`,
      c.torch.act_us === undefined ? "—" : `${(c.torch.act_us / actUs).toFixed(1)}×`,
    ]);
  }
  const header = ["case", "update ms", "(min)", "target", "of target", "vs torch", "act µs", "(min)", "target", "of target", "vs torch"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  const load = loadavg()[0]!;
  console.log(`kernels: ${backend}; median (and min) of ${repeats} repeats; "of target" < 1 meets the target, "vs torch" > 1 is faster than PyTorch`);
  if (load > 1.5) console.log(`note: 1-min load average ${load.toFixed(1)} on ${availableParallelism()} cores — other processes compete, figures are inflated`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log("PyTorch reference (issue): Nature-CNN update 48 ms, small CNN 22 ms, MLP 1.25 ms, Nature-CNN act 1.0 ms, MLP act 43 µs");

  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "nn.json");
  mkdirSync(dirname(out), { recursive: true });
  // With --only, the other cases' last figures are kept.
  const previous = only && existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(out, JSON.stringify({ ...previous, ...results }, null, 2) + "\n");
  console.log(`wrote ${out}`);
}

main();
