/**
 * `npm run bench:augment`: what DrQ's random shift costs. One training batch of images (32 stacks
 * of 4 84×84 frames, the DQN pipeline's) converted to float by `u8ToF32` (no augmentation) and by
 * `u8ToF32Shift` (fused shift, fresh random offsets in [0, 8]²), on every kernel backend available
 * (native on one thread and on every core, WebAssembly, TypeScript), repeats alternating between
 * the two kernels so a change in the machine's load hits both alike; the ratio shift / plain is
 * the figure that holds. "cpu" is the process's CPU time per call (all its threads).
 *
 * Writes bench/results/augment.json: `{ "<backend>": { "plain_us", "shift_us", "plain_cpu_us", "shift_cpu_us", "ratio" } }`.
 *
 *   node --import tsx bench/augment.ts [--repeats 9]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Kernels } from "../src/nn/kernels/abi.js";
import { type BackendKind, createKernelsOf, KERNEL_RESERVED_BYTES, nativeDefaultThreads, nativeInfo } from "../src/nn/kernels/index.js";
import { detectWasmVariant } from "../src/nn/kernels/wasm.js";
import { Rng } from "../src/nn/rng.js";

const { values } = parseArgs({ options: { repeats: { type: "string", default: "9" } } });
const repeats = Number(values.repeats);
const [N, C, H, W, PAD] = [32, 4, 84, 84, 4];
const LEN = N * C * H * W;

const configs: { label: string; kind: BackendKind; threads?: number }[] = [];
if (nativeInfo().available) {
  configs.push({ label: "native-1", kind: "native", threads: 1 });
  if (nativeDefaultThreads() > 1) configs.push({ label: `native-${nativeDefaultThreads()}`, kind: "native", threads: nativeDefaultThreads() });
}
if (detectWasmVariant() !== null) configs.push({ label: "wasm", kind: "wasm" });
configs.push({ label: "js", kind: "js" });

/** Per-call wall and CPU seconds (medians over repeats, each ≥ 100 ms) of each function, repeats alternating. */
function timeAll(fns: Array<() => void>): Array<{ wall: number; cpu: number }> {
  const iters = fns.map((fn) => {
    const t0 = performance.now();
    let calls = 0;
    do {
      fn();
      calls++;
    } while (performance.now() - t0 < 200 || calls < 3);
    return Math.max(1, Math.ceil(100 / ((performance.now() - t0) / calls)));
  });
  const wall: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) {
    fns.forEach((fn, f) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < iters[f]!; i++) fn();
      wall[f]!.push((performance.now() - t0) / 1000 / iters[f]!);
      const c = process.cpuUsage(c0);
      cpu[f]!.push((c.user + c.system) / 1e6 / iters[f]!);
    });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  return fns.map((_, f) => ({ wall: median(wall[f]!), cpu: median(cpu[f]!) }));
}

/** Operands above the kernels' reserved area (WebAssembly scratch), in a memory made to fit them. */
const SRC = KERNEL_RESERVED_BYTES;
const SHIFTS = (SRC + LEN + 15) & ~15;
const DST = SHIFTS + 8 * N;
const PAGES = Math.ceil((DST + 4 * LEN) / 65536);

function setup(k: Kernels): { plain: () => void; shift: () => void } {
  const [src, shifts, dst] = [SRC, SHIFTS, DST];
  const rng = new Rng(1);
  const bytes = new Uint8Array(k.memory.buffer, src, LEN);
  for (let i = 0; i < LEN; i++) bytes[i] = rng.nextUint32() & 255;
  const view = new Int32Array(k.memory.buffer, shifts, 2 * N);
  return {
    plain: () => k.u8ToF32(src, dst, LEN, 1 / 255),
    shift: () => {
      // Fresh offsets every call, as training draws them (their cost is part of the figure).
      for (let i = 0; i < 2 * N; i++) view[i] = Math.floor(rng.random() * (2 * PAD + 1));
      k.u8ToF32Shift(src, dst, N, C, H, W, PAD, shifts, 1 / 255);
    },
  };
}

console.log(
  `batch [${N}, ${C}, ${H}, ${W}] uint8 → float, pad ${PAD}; median of ${repeats} alternating repeats; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
);
const results: Record<string, Record<string, number>> = {};
const r1 = (v: number) => Number(v.toFixed(1));
for (const cfg of configs) {
  const k = createKernelsOf(cfg.kind, new WebAssembly.Memory({ initial: PAGES }), cfg.threads);
  const { plain, shift } = setup(k);
  const [p, s] = timeAll([plain, shift]) as [{ wall: number; cpu: number }, { wall: number; cpu: number }];
  results[cfg.label] = {
    plain_us: r1(p.wall * 1e6),
    shift_us: r1(s.wall * 1e6),
    plain_cpu_us: r1(p.cpu * 1e6),
    shift_cpu_us: r1(s.cpu * 1e6),
    ratio: Number((s.wall / p.wall).toFixed(2)),
  };
  console.log(
    `${cfg.label.padEnd(9)} (${k.backend}): u8ToF32 ${r1(p.wall * 1e6)} µs (cpu ${r1(p.cpu * 1e6)}), u8ToF32Shift ${r1(s.wall * 1e6)} µs (cpu ${r1(s.cpu * 1e6)}): ${(s.wall / p.wall).toFixed(2)}×`,
  );
}
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "augment.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ batch: [N, C, H, W], pad: PAD, load_average: r1(loadavg()[0]!), date: new Date().toISOString().slice(0, 10), backends: results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
