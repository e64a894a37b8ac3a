// The two-thread GEMM (src/nn/kernels/threads.ts): every split keeps each output element's
// summation order, so the results must equal the single-thread kernels' bit for bit — on all
// four transpose variants, edge sizes, both split directions, and a whole Nature-CNN update.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { QLoss, tdTargets } from "../../src/agents/td.js";
import {
  createThreadedKernels,
  KERNEL_RESERVED_BYTES_THREADED,
  KERNEL_SCRATCH_PTR,
  KERNEL_THREAD_CTRL_PTR,
  SHARED_MEMORY_MAX_PAGES,
  type ThreadedKernels,
  threadsAvailable,
} from "../../src/nn/kernels/index.js";
import { loadWasmKernelsSync } from "../../src/nn/kernels/wasm.js";
import { natureCnn } from "../../src/nn/nets.js";
import { RMSprop } from "../../src/nn/optim.js";
import { Rng } from "../../src/nn/rng.js";
import { Arena } from "../../src/nn/tensor.js";

const skip = threadsAvailable() ? false : "two-thread kernels unavailable here (DEEPQ_KERNELS=js, no SharedArrayBuffer or no worker API)";

function bitsEqual(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}[${i}]: threaded ${a[i]} ≠ single-thread ${b[i]}`);
  }
}

describe("two-thread GEMM", { skip }, () => {
  let memory: WebAssembly.Memory;
  let tk: ThreadedKernels;
  before(async () => {
    memory = new WebAssembly.Memory({ initial: Math.ceil(KERNEL_RESERVED_BYTES_THREADED / 65536) + 1, maximum: SHARED_MEMORY_MAX_PAGES, shared: true });
    // Split everything (threshold 0) so that small and edge shapes are split too.
    tk = createThreadedKernels(memory, { scratchPtr: KERNEL_SCRATCH_PTR, ctrlPtr: KERNEL_THREAD_CTRL_PTR, splitMinMacs: 0, spinMs: 50 })!;
    assert.ok(tk);
    assert.equal(await tk.ready(), true, "worker started");
  });
  after(() => tk?.close());

  it("equals the single-thread GEMM bitwise on every transpose variant and both split directions", () => {
    // The same module variant on the same memory, its own scratch (the worker's area is idle between calls).
    const single = loadWasmKernelsSync(memory, KERNEL_SCRATCH_PTR, tk.backend as "wasm-simd" | "wasm-relaxed-simd")!;
    assert.notEqual(single, null);
    let top = KERNEL_RESERVED_BYTES_THREADED;
    const alloc = (floats: number): number => {
      const p = top;
      top = (top + floats * 4 + 15) & ~15;
      if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
      return p;
    };
    const rng = new Rng(7);
    // [m, n, k]: n ≥ m splits N, n < m splits M; odd sizes give edge tiles, k > 256 gives several k-blocks,
    // m = 9 leaves a 1-row remainder the split must merge.
    const shapes: Array<[number, number, number]> = [
      [32, 400, 256],
      [64, 81, 512],
      [512, 49, 64],
      [37, 133, 300],
      [301, 77, 129],
      [9, 530, 17],
      [1030, 21, 70],
      [64, 576, 49],
    ];
    let cases = 0;
    for (const [m, n, k] of shapes) {
      for (const tA of [0, 1] as const) {
        for (const tB of [0, 1] as const) {
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-1.25, 0.75],
          ] as const) {
            top = KERNEL_RESERVED_BYTES_THREADED;
            const lda = (tA ? m : k) + 3,
              ldb = (tB ? k : n) + 1,
              ldc = n + 2; // padded strides
            const a = alloc((tA ? k : m) * lda),
              b = alloc((tB ? n : k) * ldb);
            const c1 = alloc(m * ldc),
              c2 = alloc(m * ldc);
            const f = new Float32Array(memory.buffer);
            for (let i = 0; i < (tA ? k : m) * lda; i++) f[a / 4 + i] = rng.uniform(-1, 1);
            for (let i = 0; i < (tB ? n : k) * ldb; i++) f[b / 4 + i] = rng.uniform(-1, 1);
            for (let i = 0; i < m * ldc; i++) f[c1 / 4 + i] = f[c2 / 4 + i] = rng.uniform(-1, 1);
            tk.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc);
            single.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
            const g = new Float32Array(memory.buffer);
            bitsEqual(g.subarray(c1 / 4, c1 / 4 + m * ldc), g.subarray(c2 / 4, c2 / 4 + m * ldc), `gemm(${tA},${tB}) ${m}×${n}×${k} α=${alpha} β=${beta}`);
            cases++;
          }
        }
      }
    }
    assert.equal(cases, shapes.length * 12);
    assert.ok(tk.stats().splitCalls >= cases, "every call was split");
  });

  it("the worker takes part", async () => {
    // On a busy machine the worker may be descheduled for a while; give it a few seconds of large calls.
    const a = KERNEL_RESERVED_BYTES_THREADED;
    const n = 2048,
      k = 256,
      m = 64;
    const need = a + 4 * (m * k + k * n + m * n) + 16;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const b = a + 4 * m * k,
      c = b + 4 * k * n;
    const before = tk.stats().workerChunks;
    const end = Date.now() + 5000;
    while (tk.stats().workerChunks === before && Date.now() < end) {
      tk.gemm(0, 0, m, n, k, 1, a, k, b, n, 0, c, n);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(tk.stats().workerChunks > before, "the worker computed no chunk in 5 s");
  });

  it("reports a trap in either thread's part and stays usable", () => {
    const end = memory.buffer.byteLength;
    // C runs past the end of the memory: some chunk (whichever thread takes it) traps.
    assert.throws(
      () => tk.gemm(0, 0, 64, 512, 64, 1, KERNEL_RESERVED_BYTES_THREADED, 64, KERNEL_RESERVED_BYTES_THREADED, 512, 0, end - 4 * 64 * 100, 512),
      WebAssembly.RuntimeError,
    );
    const a = KERNEL_RESERVED_BYTES_THREADED,
      b = a + 4 * 64 * 64,
      c = b + 4 * 64 * 512;
    new Float32Array(memory.buffer).fill(1, a / 4, a / 4 + 64 * 64 + 64 * 512);
    tk.gemm(0, 0, 64, 512, 64, 1, a, 64, b, 512, 0, c, 512);
    assert.ok(new Float32Array(memory.buffer, c, 64 * 512).every((v) => v === 64));
  });

  it("keeps working after the shared memory grows", () => {
    const pages = memory.buffer.byteLength / 65536;
    memory.grow(5);
    const a = pages * 65536,
      b = a + 4 * 64 * 64,
      c = b + 4 * 64 * 512;
    const f = new Float32Array(memory.buffer);
    f.fill(1, a / 4, a / 4 + 64 * 64 + 64 * 512);
    tk.gemm(0, 0, 64, 512, 64, 1, a, 64, b, 512, 0, c, 512);
    const out = new Float32Array(memory.buffer, c, 64 * 512);
    assert.ok(out.every((v) => v === 64));
  });
});

describe("two-thread Arena (WebAssembly)", { skip }, () => {
  it("runs a Nature-CNN update bit-identical to one thread", async () => {
    const arenas = [new Arena({ backend: "wasm", threads: 1 }), new Arena({ backend: "wasm", threads: 2 })];
    assert.equal(arenas[0]!.threads, 1);
    assert.equal(arenas[1]!.threads, 2);
    assert.ok(arenas[1]!.memory.buffer instanceof SharedArrayBuffer);
    const tk = arenas[1]!.kernels as ThreadedKernels;
    assert.equal(await tk.ready(), true);
    const params: Float32Array[][] = [];
    const losses: number[][] = [];
    for (const arena of arenas) {
      const rng = new Rng(3);
      const online = natureCnn(4, 5, { arena, seed: 11 });
      const target = natureCnn(4, 5, { arena, seed: 12 });
      const opt = new RMSprop(online.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 });
      const loss = new QLoss("huber", { arena });
      const batch = 8;
      const x = arena.tensor(
        [batch, 4, 84, 84],
        Float32Array.from({ length: batch * 4 * 84 * 84 }, () => rng.random()),
      );
      const xNext = arena.tensor(
        [batch, 4, 84, 84],
        Float32Array.from({ length: batch * 4 * 84 * 84 }, () => rng.random()),
      );
      const actions = Int32Array.from({ length: batch }, (_, i) => i % 5);
      const rewards = Float32Array.from({ length: batch }, () => rng.random());
      const dones = new Float32Array(batch);
      const y = new Float32Array(batch);
      const ls: number[] = [];
      for (let step = 0; step < 3; step++) {
        tdTargets(target.forward(xNext), rewards, dones, 0.99, y);
        opt.zeroGrad();
        ls.push(loss.compute(online.forward(x), actions, y));
        online.backward(loss.dQ);
        opt.step();
      }
      losses.push(ls);
      params.push(online.parameters().map((p) => p.toArray()));
    }
    assert.ok(tk.stats().splitCalls > 0, "the update split GEMMs");
    assert.deepEqual(losses[1], losses[0]);
    params[0]!.forEach((p, i) => bitsEqual(params[1]![i]!, p, `parameter ${i} after 3 updates`));
    tk.close();
  });

  it("keeps MLP-sized GEMMs on one thread", () => {
    const arena = new Arena({ backend: "wasm", threads: 2 });
    const tk = arena.kernels as ThreadedKernels;
    const x = arena.tensor([128, 120]),
      w = arena.tensor([84, 120]),
      y = arena.tensor([128, 84]);
    tk.gemm(0, 1, 128, 84, 120, 1, x.ptr, 120, w.ptr, 120, 0, y.ptr, 84);
    assert.equal(tk.stats().splitCalls, 0);
    tk.close();
  });

  it("falls back to one thread where it must", () => {
    assert.equal(new Arena({ backend: "wasm", threads: 1 }).threads, 1);
    // Given memory or kernels, the Arena does not make its own shared memory.
    assert.equal(new Arena({ backend: "wasm", threads: 2, memory: new WebAssembly.Memory({ initial: 16 }) }).threads, 1);
  });
});
