/**
 * `npm run bench:nn`: the cost of one DQN update and of one greedy action for the nets deepq
 * ships, on every kernel backend side by side in this process — native on one thread, native on
 * every core, WebAssembly on one thread — with repeats alternating between them, so a change in
 * the machine's load hits all alike and their ratios hold. With PyTorch importable (python3, or
 * Debian's /usr/bin/python3) the same updates run in PyTorch too (bench/torch_nn.py, 1 thread
 * and every core) for the ratio.
 *
 * Writes bench/results/nn.json as
 * `{ "<case>": { "update_ms", "act_us", "update_ms_min", "act_us_min", "backend", "threads", "gflops",
 *    "by_backend": { "native-1": {…}, "native-2": {…}, "wasm": {…} }, "torch"?: { "1": {…}, "2": {…} } } }`
 * (medians, plus the fastest repeat; the top-level figures are the default backend's).
 *
 *   node --import tsx bench/nn.ts [--repeats 9] [--only nature] [--profile] [--no-torch]
 *   node --import tsx bench/nn.ts --gemm [--only direct]  # GFLOP/s of single GEMMs (and direct convolutions) of the conv/fc/MLP shapes only
 *   DEEPQ_KERNELS=js node --import tsx bench/nn.ts   # adds the TypeScript kernels
 *
 * One update = online forward on the batch, target forward on the next states, max over
 * actions (tdTargets), gather + loss (QLoss), backward, optimizer step (with zeroGrad).
 * One action = forward on a batch of 1 and argmax. A repeat runs enough iterations to last
 * ≥ 100 ms. GFLOP/s counts the GEMMs' 2·m·n·k of one update; "of peak" divides it by the same
 * backend's rate on a 1024³ GEMM measured at the start. "cpu ms" is the process's CPU time per
 * update (all its threads): with other processes on the cores, wall time includes waiting for a
 * core, CPU time does not, so a one-thread configuration's CPU time estimates its idle-machine time.
 * --profile prints, per backend, where an update's time goes by kernel.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { QLoss, type QLossKind, tdTargets } from "../src/agents/td.js";
import type { Kernels } from "../src/nn/kernels/abi.js";
import { type BackendKind, createKernelsOf, defaultBackend, nativeDefaultThreads, nativeInfo } from "../src/nn/kernels/index.js";
import { detectWasmVariant } from "../src/nn/kernels/wasm.js";
import type { Module } from "../src/nn/module.js";
import { mlp, natureCnn, smallCnn } from "../src/nn/nets.js";
import { argmaxAt } from "../src/nn/ops.js";
import { Adam, type Optimizer, RMSprop } from "../src/nn/optim.js";
import { Rng } from "../src/nn/rng.js";
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
  /** deepq's targets (issue "Engine 2"), update in ms and act in µs. */
  target: { update_ms: number; act_us?: number };
}

const CNN_INPUT = [4, 84, 84];

const CASES: Case[] = [
  {
    name: "mlp-8-64-64-4-b128-adam",
    build: (arena) => mlp([8, 64, 64, 4], { arena }),
    input: [8],
    actions: 4,
    batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 1e-3 }),
    loss: "huber",
    target: { update_ms: 0.07, act_us: 10 },
  },
  {
    name: "mlp-4-120-84-2-b128-adam",
    build: (arena) => mlp([4, 120, 84, 2], { arena }),
    input: [4],
    actions: 2,
    batch: 128,
    optimizer: (m) => new Adam(m.parameters(), { lr: 2.5e-4 }),
    loss: "mse",
    target: { update_ms: 0.1, act_us: 10 },
  },
  {
    name: "small-cnn-b32-rmsprop",
    build: (arena) => smallCnn(4, 5, { arena }),
    input: CNN_INPUT,
    actions: 5,
    batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }),
    loss: "huber",
    target: { update_ms: 6.5 },
  },
  {
    name: "nature-cnn-b32-rmsprop",
    build: (arena) => natureCnn(4, 5, { arena }),
    input: CNN_INPUT,
    actions: 5,
    batch: 32,
    optimizer: (m) => new RMSprop(m.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 }),
    loss: "huber",
    target: { update_ms: 17, act_us: 1000 },
  },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** A backend configuration of the comparison. */
interface Config {
  label: string;
  kind: BackendKind;
  threads: number;
}

function configs(): Config[] {
  const out: Config[] = [];
  if (nativeInfo().available) {
    out.push({ label: "native-1", kind: "native", threads: 1 });
    const n = nativeDefaultThreads();
    if (n > 1) out.push({ label: `native-${n}`, kind: "native", threads: n });
  }
  if (detectWasmVariant() !== null) out.push({ label: "wasm", kind: "wasm", threads: 1 });
  if (process.env.DEEPQ_KERNELS === "js" || out.length === 0) out.push({ label: "js", kind: "js", threads: 1 });
  return out;
}

function randomTensor(arena: Arena, shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.random();
  return arena.tensor(shape, d);
}

/**
 * Seconds per call of each of `fns`: median and minimum over `repeats` timed repeats, each ≥ `minMs`,
 * after a warm-up of ~`warmMs`. The repeats of the functions alternate.
 */
function timeAll(fns: Array<() => void>, repeats: number, minMs = 100, warmMs = 300): Array<{ median: number; min: number; cpu: number }> {
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
  const cpu: number[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) {
    fns.forEach((fn, f) => {
      const c0 = process.cpuUsage();
      const s = performance.now();
      for (let i = 0; i < iters[f]!; i++) fn();
      samples[f]!.push((performance.now() - s) / iters[f]!);
      const c = process.cpuUsage(c0);
      cpu[f]!.push((c.user + c.system) / 1000 / iters[f]!);
    });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return samples.map((sm, f) => ({ median: median(sm) / 1000, min: Math.min(...sm) / 1000, cpu: median(cpu[f]!) / 1000 }));
}

type KernelName = Exclude<keyof Kernels, "backend" | "memory">;

/** Per kernel: calls, seconds in it, and the multiply-add FLOPs it did (GEMMs and convolutions). */
interface KernelTally {
  calls: number;
  s: number;
  flops: number;
}

/**
 * Kernels that forward to `inner` and tally per kernel name: calls, seconds (when `clock`), and the
 * GEMMs' 2·m·n·k (times the batch for gemmBatched; the direct convolutions as the GEMMs they replace). Used for the FLOP count of an update and for --profile.
 */
function instrumented(inner: Kernels, clock: boolean): { kernels: Kernels; stats: Map<string, KernelTally>; flops: { n: number } } {
  const stats = new Map<string, KernelTally>();
  const flops = { n: 0 };
  const out: Record<string, unknown> = { backend: inner.backend, memory: inner.memory };
  for (const key of Object.keys(inner) as Array<keyof Kernels>) {
    if (key === "backend" || key === "memory" || typeof inner[key] !== "function") continue;
    const name = key as KernelName;
    const fn = (inner[name] as (...a: number[]) => number | void).bind(inner);
    const st: KernelTally = { calls: 0, s: 0, flops: 0 };
    stats.set(name, st);
    out[name] = (...a: number[]) => {
      st.calls++;
      let f = 0;
      if (name === "gemm") f = 2 * a[2]! * a[3]! * a[4]!;
      if (name === "gemmBatched") f = 2 * a[2]! * a[3]! * a[4]! * a[16]!;
      // The direct convolutions are GEMMs too: 2 · images · positions · c·kh·kw · out channels.
      if (name === "conv2d") f = 2 * a[1]! * a[10]! * a[11]! * a[2]! * a[6]! * a[7]! * a[5]!;
      if (name === "conv2dWeightGrad") f = 2 * a[2]! * a[11]! * a[12]! * a[3]! * a[7]! * a[8]! * a[6]!;
      st.flops += f;
      flops.n += f;
      if (!clock) return fn(...a);
      const t = performance.now();
      const r = fn(...a);
      st.s += (performance.now() - t) / 1000;
      return r;
    };
  }
  Object.defineProperty(out, "threads", { get: () => (inner as { threads?: number }).threads ?? 1 });
  return { kernels: out as unknown as Kernels, stats, flops };
}

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

/** GFLOP/s of a 1024³ GEMM on a configuration: the peak the cases are compared with. */
function peakGflops(cfg: Config): number {
  const arena = new Arena({ backend: cfg.kind, threads: cfg.threads });
  const n = cfg.kind === "js" ? 256 : 1024;
  const a = arena.alloc(n * n * 4),
    b = arena.alloc(n * n * 4),
    c = arena.alloc(n * n * 4);
  arena.f32().fill(0.5, a / 4, c / 4 + n * n);
  const k = arena.kernels;
  const [t] = timeAll([() => k.gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n)], 5, 200, 200);
  return (2 * n ** 3) / t!.min / 1e9;
}

interface TorchFigures {
  update_ms: number;
  update_ms_min: number;
  update_cpu_ms: number;
  act_us: number;
  act_us_min: number;
}

/** PyTorch's figures from bench/torch_nn.py, or null (with the reason printed) when torch is not importable. */
function torchFigures(only: string | undefined, repeats: number): Record<string, { threads: Record<string, TorchFigures> }> | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), "torch_nn.py");
  for (const python of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const r = spawnSync(python, [script, "--repeats", String(repeats), ...(only ? ["--only", only] : [])], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`PyTorch comparison failed (${python} bench/torch_nn.py): ${r.stderr.trim().split("\n").at(-1)}`);
      return null;
    }
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    console.log(`PyTorch ${out.torch as string} (${python}): the same cases on 1 thread and ${availableParallelism()}`);
    return out as Record<string, { threads: Record<string, TorchFigures> }>;
  }
  console.log("PyTorch comparison skipped: no python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread)");
  return null;
}

interface Figures {
  update_ms: number;
  act_us: number;
  update_ms_min: number;
  act_us_min: number;
  gflops: number;
  of_peak: number;
  /** CPU time of one update (all threads): on a machine shared with other work, the one-thread figure is what an idle core would take. */
  update_cpu_ms: number;
}

const r4 = (v: number) => +v.toPrecision(4);

/**
 * The issue's GEMM shapes as single calls, M×N×K: the Nature CNN's layers over a batch of 32 as one
 * GEMM each (forward, then the weight gradient with transposed A and the input gradient with
 * transposed B), MLP-sized ones, and the conv layers as Conv2d issues them (one gemmBatched over 32
 * images). Prints GFLOP/s per backend (fastest of the alternating repeats, and per CPU second).
 */
function gemmShapes(cfgs: Config[], repeats: number, only: string | undefined): void {
  const shapes: Array<[string, 0 | 1, 0 | 1, number, number, number]> = [];
  for (const [name, m, n, k] of [
    ["conv1", 12800, 32, 256],
    ["conv2", 2592, 64, 512],
    ["conv3", 1568, 64, 576],
  ] as const) {
    shapes.push([`${name} fwd`, 0, 0, m, n, k], [`${name} dW (Aᵀ)`, 1, 0, n, k, m], [`${name} dX (Bᵀ)`, 0, 1, m, k, n]);
  }
  shapes.push(["fc1 fwd (Bᵀ)", 0, 1, 32, 512, 3136], ["fc1 dW (Aᵀ)", 1, 0, 512, 3136, 32], ["fc1 dX", 0, 0, 32, 3136, 512]);
  shapes.push(["mlp 128×64×8 (Bᵀ)", 0, 1, 128, 64, 8], ["mlp 128×64×64 (Bᵀ)", 0, 1, 128, 64, 64], ["mlp dW 64×64×128 (Aᵀ)", 1, 0, 64, 64, 128]);
  // And as Conv2d issues them: one gemmBatched per layer over the 32 images (weights shared, or one accumulated dW).
  const batched: Array<[string, 0 | 1, 0 | 1, number, number, number, "a" | "c" | "none"]> = [];
  for (const [name, o, p, ck] of [
    ["conv1", 32, 400, 256],
    ["conv2", 64, 81, 512],
    ["conv3", 64, 49, 576],
  ] as const) {
    batched.push([`${name} fwd ×32`, 0, 0, o, p, ck, "a"], [`${name} dW ×32`, 0, 1, o, ck, p, "c"], [`${name} dX ×32`, 1, 0, ck, p, o, "a"]);
  }
  const arenas = cfgs.map((c) => new Arena({ backend: c.kind, threads: c.threads }));
  const rows: string[][] = [];
  // `make` returns null on a backend without the kernel: its columns show "—".
  const run = (name: string, dims: string, flops: number, make: (arena: Arena) => (() => void) | null) => {
    if (only && !name.includes(only)) return;
    const made = arenas.map(make);
    const t = timeAll(
      made.map((f) => f ?? (() => {})),
      repeats,
      50,
      100,
    );
    const rate = (i: number, s: number) => (made[i] ? (flops / s / 1e9).toFixed(0) : "—");
    rows.push([name, dims, ...t.map((x, i) => rate(i, x.min)), ...cfgs.flatMap((c, i) => (c.threads === 1 ? [rate(i, t[i]!.cpu)] : []))]);
  };
  const buffers = (arena: Arena, floats: number[]): number[] => {
    const ptrs = floats.map((f) => arena.alloc(f * 4));
    arena.f32().fill(0.25, ptrs[0]! / 4, ptrs.at(-1)! / 4 + floats.at(-1)!);
    return ptrs;
  };
  for (const [name, ta, tb, m, n, k] of shapes) {
    run(name, `${m}×${n}×${k}`, 2 * m * n * k, (arena) => {
      const [a, b, c] = buffers(arena, [m * k, k * n, m * n]);
      const kern = arena.kernels;
      return () => kern.gemm(ta, tb, m, n, k, 1, a!, ta ? m : k, b!, tb ? k : n, 0, c!, n);
    });
  }
  for (const [name, ta, tb, m, n, k, shared] of batched) {
    const B = 32;
    run(name, `${B}×(${m}×${n}×${k})`, 2 * B * m * n * k, (arena) => {
      const sa = shared === "a" ? 0 : m * k,
        sc = shared === "c" ? 0 : m * n;
      const [a, b, c] = buffers(arena, [sa * B || m * k, k * n * B, sc * B || m * n]);
      const kern = arena.kernels;
      return () => kern.gemmBatched(ta, tb, m, n, k, 1, a!, ta ? m : k, sa, b!, tb ? k : n, k * n, shared === "c" ? 1 : 0, c!, n, sc, B);
    });
  }
  // The direct convolutions (backends that have them) on the same layers, small CNN's first layer too.
  for (const [name, c, hw, o, kk, st] of [
    ["conv1", 4, 84, 32, 8, 4],
    ["conv2", 32, 20, 64, 4, 2],
    ["conv3", 64, 9, 64, 3, 1],
    ["small conv1", 4, 84, 16, 8, 4],
    ["small conv2", 16, 20, 32, 4, 2],
  ] as const) {
    const B = 32,
      oh = Math.floor((hw - kk) / st) + 1,
      p = oh * oh,
      ck = c * kk * kk;
    for (const grad of [false, true]) {
      const label = `${name} direct ${grad ? "dW" : "fwd"} ×32`;
      run(label, `${B}×(${o}×${p}×${ck})`, 2 * B * o * p * ck, (arena) => {
        const [x, w, y] = buffers(arena, [B * c * hw * hw, o * ck, B * o * p]);
        const kern = arena.kernels;
        if (!kern.conv2d || !kern.conv2dWeightGrad) return null;
        return grad
          ? () => kern.conv2dWeightGrad!(x!, y!, B, c, hw, hw, o, kk, kk, st, st, oh, oh, w!)
          : () => kern.conv2d!(x!, B, c, hw, hw, o, kk, kk, st, st, oh, oh, w!, y!);
      });
    }
  }
  // Per CPU second too (one-thread backends): what an idle core would do, whatever else runs on the machine.
  const header = ["GEMM", "M×N×K", ...cfgs.map((c) => `${c.label} GFLOP/s`), ...cfgs.filter((c) => c.threads === 1).map((c) => `${c.label} per CPU s`)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(header.map((h, i) => h.padStart(widths[i]!)).join("  "));
  for (const r of rows) console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  "));
}

async function main(): Promise<void> {
  const repeats = Number(arg("--repeats") ?? 9);
  if (process.argv.includes("--gemm")) {
    gemmShapes(configs(), repeats, arg("--only"));
    return;
  }
  const only = arg("--only");
  const profile = process.argv.includes("--profile");
  const cfgs = configs();
  const defaultKind = defaultBackend();
  const defaultCfg = cfgs.find((c) => c.kind === defaultKind && (c.kind !== "native" || c.threads === nativeDefaultThreads())) ?? cfgs[0]!;
  const arenas = new Map(cfgs.map((c) => [c.label, new Arena({ backend: c.kind, threads: c.threads })]));
  const peaks = new Map(cfgs.map((c) => [c.label, peakGflops(c)]));
  const load = loadavg()[0]!;
  console.log(
    `backends: ${cfgs.map((c) => `${c.label} (${arenas.get(c.label)!.kernels.backend}, ${c.threads} thread${c.threads > 1 ? "s" : ""}; 1024³ GEMM ${peaks.get(c.label)!.toFixed(0)} GFLOP/s)`).join(", ")}`,
  );
  console.log(
    `default: ${defaultCfg.label}; median (and min) of ${repeats} alternating repeats; load average ${load.toFixed(1)} on ${availableParallelism()} cores`,
  );
  if (load > 1.5) console.log("note: other processes compete for the cores — figures are inflated, and extra threads may find no free core");

  const results: Record<string, Figures & { backend: string; threads: number; by_backend: Record<string, Figures>; torch?: Record<string, TorchFigures> }> = {};
  const rows: string[][] = [];
  const profiles: string[] = [];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    // GEMM FLOPs of one update, counted once on the first backend.
    const countMemory = new WebAssembly.Memory({ initial: 64 });
    const counter = instrumented(createKernelsOf(cfgs[0]!.kind, countMemory, cfgs[0]!.threads), false);
    const countArena = new Arena({ memory: countMemory, kernels: counter.kernels });
    const countRun = setup(c, countArena);
    countRun.update();
    counter.flops.n = 0;
    countRun.update();
    const flops = counter.flops.n;

    const runs = cfgs.map((cfg) => setup(c, arenas.get(cfg.label)!));
    const u = timeAll(
      runs.map((r) => r.update),
      repeats,
    );
    const a = timeAll(
      runs.map((r) => r.act),
      repeats,
    );
    const byBackend: Record<string, Figures> = {};
    cfgs.forEach((cfg, i) => {
      if (!Number.isFinite(runs[i]!.sink())) console.log("non-finite loss", runs[i]!.sink());
      const updateMs = u[i]!.median * 1e3,
        actUs = a[i]!.median * 1e6;
      const gflops = flops / u[i]!.median / 1e9;
      byBackend[cfg.label] = {
        update_ms: r4(updateMs),
        act_us: r4(actUs),
        update_ms_min: r4(u[i]!.min * 1e3),
        act_us_min: r4(a[i]!.min * 1e6),
        gflops: r4(gflops),
        of_peak: r4(gflops / peaks.get(cfg.label)!),
        update_cpu_ms: r4(u[i]!.cpu * 1e3),
      };
      const dp = updateMs < 1 ? 3 : 1;
      rows.push([
        c.name,
        cfg.label,
        updateMs.toFixed(dp),
        (u[i]!.min * 1e3).toFixed(dp),
        String(c.target.update_ms),
        `${(updateMs / c.target.update_ms).toFixed(2)}×`,
        gflops.toFixed(1),
        `${((100 * gflops) / peaks.get(cfg.label)!).toFixed(0)}%`,
        (u[i]!.cpu * 1e3).toFixed(dp),
        i === 0 ? "" : `${(u[0]!.median / u[i]!.median).toFixed(2)}×`,
        actUs.toFixed(actUs < 100 ? 1 : 0),
        (a[i]!.min * 1e6).toFixed(actUs < 100 ? 1 : 0),
      ]);
    });
    const top = byBackend[defaultCfg.label]!;
    results[c.name] = { ...top, backend: arenas.get(defaultCfg.label)!.kernels.backend, threads: defaultCfg.threads, by_backend: byBackend };

    if (profile) {
      for (const cfg of cfgs) {
        const memory = new WebAssembly.Memory({ initial: 64 });
        const inst = instrumented(createKernelsOf(cfg.kind, memory, cfg.threads), true);
        const run = setup(c, new Arena({ memory, kernels: inst.kernels }));
        for (let i = 0; i < 3; i++) run.update();
        for (const st of inst.stats.values()) st.calls = st.s = st.flops = 0;
        const reps = Math.max(3, Math.ceil(0.5 / u[cfgs.indexOf(cfg)]!.median));
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) run.update();
        const total = (performance.now() - t0) / 1000 / reps;
        const parts = [...inst.stats.entries()].filter(([, s]) => s.calls > 0).sort((x, y) => y[1].s - x[1].s);
        const inKernels = parts.reduce((s, [, st]) => s + st.s, 0) / reps;
        const inGemm = parts.reduce((sum, [, st]) => sum + (st.flops > 0 ? st.s : 0), 0) / reps;
        profiles.push(
          `${c.name} on ${cfg.label}: ${(total * 1e3).toFixed(2)} ms per update (instrumented), kernels ${(inKernels * 1e3).toFixed(2)} ms, JS and calls ${((total - inKernels) * 1e3).toFixed(2)} ms; ` +
            `GEMMs at ${(flops / inGemm / 1e9).toFixed(0)} GFLOP/s; ` +
            parts
              .map(
                ([name, st]) =>
                  `${name} ${((st.s / reps) * 1e3).toFixed(2)} ms/${st.calls / reps}${st.flops > 0 ? ` (${(st.flops / st.s / 1e9).toFixed(0)} GFLOP/s)` : ""}`,
              )
              .join(", "),
        );
      }
    }
  }
  const header = ["case", "backend", "update ms", "(min)", "target", "of target", "GFLOP/s", "of peak", "cpu ms", `vs ${cfgs[0]!.label}`, "act µs", "(min)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i <= 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  for (const p of profiles) console.log(p);

  if (!process.argv.includes("--no-torch")) {
    const torch = torchFigures(only, Math.min(repeats, 7));
    if (torch) {
      for (const [name, res] of Object.entries(results)) {
        const t = torch[name]?.threads;
        if (!t) continue;
        res.torch = Object.fromEntries(
          Object.entries(t).map(([k, v]) => [
            k,
            {
              update_ms: r4(v.update_ms),
              update_ms_min: r4(v.update_ms_min),
              update_cpu_ms: r4(v.update_cpu_ms),
              act_us: r4(v.act_us),
              act_us_min: r4(v.act_us_min),
            },
          ]),
        );
        const cells = Object.entries(t).map(
          ([threads, v]) =>
            `torch ${threads} thread${threads === "1" ? "" : "s"} ${v.update_ms.toFixed(v.update_ms < 1 ? 3 : 1)} ms (${(v.update_ms / res.update_ms).toFixed(2)}× ${defaultCfg.label}'s time), act ${v.act_us.toFixed(0)} µs`,
        );
        // One thread each, CPU time: the comparison that holds when other processes load the machine.
        const one = res.by_backend["native-1"];
        const cpuRatio =
          one && t["1"]
            ? `; CPU time, 1 thread: torch ${t["1"].update_cpu_ms.toFixed(3)} ms, native ${one.update_cpu_ms} ms (torch ${(t["1"].update_cpu_ms / one.update_cpu_ms).toFixed(2)}×)`
            : "";
        console.log(`${name}: ${cells.join("; ")}${cpuRatio}`);
      }
    }
  }

  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "nn.json");
  mkdirSync(dirname(out), { recursive: true });
  // With --only, the other cases' last figures are kept.
  const previous = only && existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(out, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
