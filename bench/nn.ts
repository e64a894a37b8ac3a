/**
 * `npm run bench:nn`: the cost of one DQN update and of one greedy action for the nets
 * deepq ships, with the GEMM on one thread and (where shared memory and workers exist) on two,
 * timed side by side in this process (repeats alternate between the two). Writes
 * bench/results/nn.json as
 * `{ "<case>": { "update_ms": n, "act_us": n, "backend": "<kernels>", "threads": t, "update_ms_min": n, "act_us_min": n,
 *    "by_threads": { "1": {…}, "2": {…} } } }`
 * (medians, plus the fastest repeat; the top-level figures are those of the default thread count `threads`).
 *
 *   node --import tsx bench/nn.ts [--repeats 9] [--only nature] [--threads 1|2|both]   # --only keeps the other cases' figures
 *   DEEPQ_KERNELS=simd node --import tsx bench/nn.ts                 # plain SIMD (no relaxed-SIMD FMA)
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
import { QLoss, tdTargets, type QLossKind } from "../src/agents/td.js";
import { argmaxAt } from "../src/nn/ops.js";
import type { Module } from "../src/nn/module.js";
import { mlp, natureCnn, smallCnn } from "../src/nn/nets.js";
import { Adam, RMSprop, type Optimizer } from "../src/nn/optim.js";
import { Rng } from "../src/nn/rng.js";
import { defaultThreads, threadsAvailable } from "../src/nn/kernels/index.js";
import { Arena, type Tensor } from "../src/nn/tensor.js";

interface Case {
  name: string;
  build(arena: Arena): Module;
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
    name: "mlp-8-64-64-4-b128-adam", build: (arena) => mlp([8, 64, 64, 4], { arena }), input: [8], actions: 4, batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 1e-3 }), loss: "huber",
    target: { update_ms: 0.1, act_us: 10 }, torch: { update_ms: 1.25, act_us: 43 },
  },
  {
    name: "mlp-4-120-84-2-b128-adam", build: (arena) => mlp([4, 120, 84, 2], { arena }), input: [4], actions: 2, batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 2.5e-4 }), loss: "mse",
    target: { update_ms: 0.1, act_us: 10 }, torch: { update_ms: 1.25, act_us: 43 },
  },
  {
    name: "small-cnn-b32-rmsprop", build: (arena) => smallCnn(4, 5, { arena }), input: CNN_INPUT, actions: 5, batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }), loss: "huber",
    target: { update_ms: 10 }, torch: { update_ms: 22 },
  },
  {
    name: "nature-cnn-b32-rmsprop", build: (arena) => natureCnn(4, 5, { arena }), input: CNN_INPUT, actions: 5, batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }), loss: "huber",
    target: { update_ms: 30, act_us: 1000 }, torch: { update_ms: 48, act_us: 1000 },
  },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function randomTensor(arena: Arena, shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.random();
  return arena.tensor(shape, d);
}

/**
 * Seconds per call of each of `fns`: median and minimum over `repeats` timed repeats, each ≥ `minMs`,
 * after a warm-up of ~`warmMs`. The repeats of the functions alternate, so a change in the
 * machine's load hits them alike and their ratio holds. The median is the figure reported; the
 * minimum shows what the code costs when nothing else competes for the cores.
 */
function timeAll(fns: Array<() => void>, repeats: number, minMs = 100, warmMs = 300): Array<{ median: number; min: number }> {
  const iters = fns.map((fn) => {
    const warmEnd = performance.now() + warmMs;
    let calls = 0;
    const t0 = performance.now();
    do {
      fn();
      calls++;
    } while (performance.now() < warmEnd || calls < 3);
    const perCall = (performance.now() - t0) / calls;
    return Math.max(1, Math.ceil(minMs / Math.max(perCall, 1e-4)));
  });
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) {
    fns.forEach((fn, f) => {
      const s = performance.now();
      for (let i = 0; i < iters[f]!; i++) fn();
      samples[f]!.push((performance.now() - s) / iters[f]!);
    });
  }
  return samples.map((sm) => {
    sm.sort((a, b) => a - b);
    return { median: sm[Math.floor(sm.length / 2)]! / 1000, min: sm[0]! / 1000 };
  });
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

interface Figures { update_ms: number; act_us: number; update_ms_min: number; act_us_min: number }

/** One case on one arena: the update and act closures. */
function setup(c: Case, arena: Arena): { update: () => void; act: () => void; sink: () => number } {
  const rng = new Rng(0);
  const online = c.build(arena);
  const target = c.build(arena);
  target.copyFrom(online);
  target.eval();
  const opt = c.optimizer(online);
  const loss = new QLoss(c.loss, { arena });
  const x = randomTensor(arena, [c.batch, ...c.input], rng);
  const xNext = randomTensor(arena, [c.batch, ...c.input], rng);
  const actions = Int32Array.from({ length: c.batch }, () => Math.floor(rng.random() * c.actions));
  const rewards = Float32Array.from({ length: c.batch }, () => rng.random());
  const dones = Float32Array.from({ length: c.batch }, () => (rng.random() < 0.1 ? 1 : 0));
  const y = new Float32Array(c.batch);
  const obs = randomTensor(arena, [1, ...c.input], rng);
  let sink = 0;
  return {
    update: () => {
      tdTargets(target.forward(xNext), rewards, dones, 0.99, y);
      opt.zeroGrad();
      sink += loss.compute(online.forward(x), actions, y);
      online.backward(loss.dQ);
      opt.step();
    },
    act: () => {
      sink += argmaxAt(online.forward(obs).data, 0, c.actions);
    },
    sink: () => sink,
  };
}

async function main(): Promise<void> {
  const repeats = Number(arg("--repeats") ?? 9);
  const only = arg("--only");
  const threadsArg = arg("--threads") ?? "both";
  const threadCounts: Array<1 | 2> = threadsArg === "1" ? [1] : threadsArg === "2" ? [2] : threadsAvailable() ? [1, 2] : [1];
  const arenas = new Map<number, Arena>();
  for (const t of threadCounts) {
    const arena = new Arena({ threads: t });
    if (arena.threads !== t) throw new Error(`bench: ${t} threads requested, the arena runs ${arena.threads}`);
    // Start the GEMM worker before timing (it would otherwise start on the first large call).
    await (arena.kernels as { ready?(): Promise<boolean> }).ready?.();
    arenas.set(t, arena);
  }
  const defaultT = threadCounts.includes(defaultThreads()) ? defaultThreads() : threadCounts[0]!;
  const backend = arenas.get(threadCounts[0]!)!.kernels.backend;
  const results: Record<string, Figures & { backend: string; threads: number; by_threads: Record<string, Figures> }> = {};
  const rows: string[][] = [];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const runs = threadCounts.map((t) => setup(c, arenas.get(t)!));
    const u = timeAll(runs.map((r) => r.update), repeats);
    const a = timeAll(runs.map((r) => r.act), repeats);
    const byThreads: Record<string, Figures> = {};
    threadCounts.forEach((t, i) => {
      if (!Number.isFinite(runs[i]!.sink())) console.log("non-finite loss", runs[i]!.sink());
      const updateMs = u[i]!.median * 1e3;
      const actUs = a[i]!.median * 1e6;
      byThreads[t] = {
        update_ms: +updateMs.toPrecision(4), act_us: +actUs.toPrecision(4),
        update_ms_min: +(u[i]!.min * 1e3).toPrecision(4), act_us_min: +(a[i]!.min * 1e6).toPrecision(4),
      };
      rows.push([
        c.name, String(t),
        fmt(updateMs, updateMs < 1 ? 3 : 1), fmt(u[i]!.min * 1e3, updateMs < 1 ? 3 : 1), String(c.target.update_ms), `${(updateMs / c.target.update_ms).toFixed(2)}×`,
        `${(c.torch.update_ms / updateMs).toFixed(1)}×`,
        i === 0 ? "" : `${(u[0]!.median / u[i]!.median).toFixed(2)}×`,
        fmt(actUs, actUs < 100 ? 1 : 0), fmt(a[i]!.min * 1e6, actUs < 100 ? 1 : 0),
        c.target.act_us === undefined ? "—" : String(c.target.act_us),
        c.target.act_us === undefined ? "—" : `${(actUs / c.target.act_us).toFixed(2)}×`,
        c.torch.act_us === undefined ? "—" : `${(c.torch.act_us / actUs).toFixed(1)}×`,
      ]);
    });
    results[c.name] = { ...byThreads[defaultT]!, backend, threads: defaultT, by_threads: byThreads };
  }
  const header = ["case", "threads", "update ms", "(min)", "target", "of target", "vs torch", "vs 1 thread", "act µs", "(min)", "target", "of target", "vs torch"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  const load = loadavg()[0]!;
  console.log(`kernels: ${backend}; GEMM threads: ${threadCounts.join(" and ")} (default ${defaultThreads()}); median (and min) of ${repeats} alternating repeats;`
    + ` "of target" < 1 meets the target, "vs torch" > 1 is faster than PyTorch, "vs 1 thread" > 1 is faster than one thread`);
  if (load > 1.5) console.log(`note: 1-min load average ${load.toFixed(1)} on ${availableParallelism()} cores — other processes compete, figures are inflated (and a second thread has no free core)`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log("PyTorch reference (issue): Nature-CNN update 48 ms, small CNN 22 ms, MLP 1.25 ms, Nature-CNN act 1.0 ms, MLP act 43 µs");

  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "nn.json");
  mkdirSync(dirname(out), { recursive: true });
  // With --only, the other cases' last figures are kept.
  const previous = only && existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(out, JSON.stringify({ ...previous, ...results }, null, 2) + "\n");
  console.log(`wrote ${out}`);
  for (const arena of arenas.values()) (arena.kernels as { close?(): void }).close?.();
}

await main();
