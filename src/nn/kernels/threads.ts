/**
 * Two-thread GEMM: the WebAssembly kernels on a shared `WebAssembly.Memory`, with large GEMMs
 * split between the calling thread and one worker thread (node:worker_threads, or a Worker in a
 * cross-origin-isolated page). Every other kernel runs on the calling thread.
 *
 * A large call is cut into chunks along N (columns of C, multiples of 8) or, when op(A) is the
 * larger operand to re-pack, along M (rows, multiples of 4). Both threads take chunks from an
 * atomic counter until none is left, so a worker that is late (descheduled, still starting)
 * costs nothing but its share: the calling thread simply does more chunks. Each chunk is a plain
 * single-thread GEMM on a sub-matrix with the same k-blocking and the same micro-kernel tiles,
 * so every element of C is summed in the same order: the results are bitwise those of the
 * single-thread kernels.
 *
 * Synchronisation is on Int32 words in the shared memory (Atomics.wait/notify), no message per
 * call. The worker spins a short while after each job (calls of one update follow each other
 * within microseconds), then sleeps in Atomics.wait. It is started lazily by the first call big
 * enough to split, does not keep the process alive (unref), and until it reports ready the
 * calls run on the calling thread alone.
 *
 * Memory layout (see ./index.ts): the calling thread's GEMM scratch at KERNEL_SCRATCH_PTR,
 * then the control block (THREAD_CTRL_BYTES), then the worker's scratch.
 */
import { gemmBatchedByLoop, type Kernels } from "./abi.js";
import { detectWasmVariant, isSharedMemory, loadWasmKernelsSync, WASM_SCRATCH_BYTES, wasmModuleSync } from "./wasm.js";

/** Bytes of the control block between the two scratch areas. */
export const THREAD_CTRL_BYTES = 256;

/**
 * Split only calls of at least this many multiply-adds (m·n·k), ~100 µs of single-thread work:
 * the handoff costs ~1–2 µs while the worker spins and ~50 µs when it has to be woken. It
 * admits the Nature-CNN's per-image conv GEMMs (1.8–3.3 M) and keeps MLP updates (≤ 1.3 M per
 * GEMM at batch 128) on one thread.
 */
export const DEFAULT_SPLIT_MIN_MACS = 1_500_000;
/** Aim for chunks of about this many multiply-adds (at most MAX_CHUNKS chunks per call). */
const CHUNK_MACS = 1 << 19;
const MAX_CHUNKS = 32;
/** Generation numbers fit in the top 26 bits of the NEXT word, chunk indices in the low 6. */
const CHUNK_BITS = 6;
const GEN_MASK = ((1 << (32 - CHUNK_BITS)) - 1) >>> 1;

// Int32 word indices in the control block.
const GEN = 0; // job generation, bumped per posted job (worker waits on it)
const NEXT = 1; // (gen << CHUNK_BITS) | next chunk index
const COMPLETED = 2; // chunks finished in the current job
const READY = 3; // worker: 1 once its instance runs, -1 if it failed
const EXIT = 4; // 1: worker should stop
const SLEEPING = 5; // worker is (about to be) in Atomics.wait
const WORKER_CHUNKS = 6; // chunks the worker has computed (statistics)
const TRAPPED = 7; // 1: a chunk trapped in the worker (the calling thread rethrows)
const ARGS = 8; // transA transB m n k a lda b ldb c ldc nChunks splitN chunk
// i32 ARGS occupy words 8..21 (bytes 32..87); f64 alpha/beta at bytes 96 and 104 (f64 index 12, 13).
const F64_ALPHA = 12;
const F64_BETA = 13;

/** The worker's program, plain JS (not a stringified TS function, so no transpiler helper can leak in). */
const WORKER_SOURCE = `
"use strict";
function gemmWorker(d) {
  const { module, memory, scratchPtr, ctrl, spinMs } = d;
  const i32 = new Int32Array(memory.buffer, ctrl, ${THREAD_CTRL_BYTES / 4});
  const f64 = new Float64Array(memory.buffer, ctrl, ${THREAD_CTRL_BYTES / 8});
  let gemm;
  try {
    const inst = new WebAssembly.Instance(module, { env: { memory } });
    inst.exports.init(scratchPtr);
    gemm = inst.exports.gemm;
  } catch (e) {
    Atomics.store(i32, ${READY}, -1);
    Atomics.notify(i32, ${READY});
    throw e;
  }
  let seen = Atomics.load(i32, ${GEN});
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  const now = () => performance.now();
  for (;;) {
    let g = Atomics.load(i32, ${GEN});
    if (g === seen) {
      const until = now() + spinMs;
      let spins = 0;
      while ((g = Atomics.load(i32, ${GEN})) === seen && Atomics.load(i32, ${EXIT}) === 0) {
        if ((++spins & 255) === 0 && now() > until) {
          Atomics.store(i32, ${SLEEPING}, 1);
          Atomics.wait(i32, ${GEN}, seen);
          Atomics.store(i32, ${SLEEPING}, 0);
        }
      }
    }
    if (Atomics.load(i32, ${EXIT}) !== 0) return;
    seen = g;
    const tA = i32[${ARGS}], tB = i32[${ARGS + 1}], m = i32[${ARGS + 2}], n = i32[${ARGS + 3}], k = i32[${ARGS + 4}];
    const a = i32[${ARGS + 5}] >>> 0, lda = i32[${ARGS + 6}], b = i32[${ARGS + 7}] >>> 0, ldb = i32[${ARGS + 8}];
    const c = i32[${ARGS + 9}] >>> 0, ldc = i32[${ARGS + 10}], nChunks = i32[${ARGS + 11}], splitN = i32[${ARGS + 12}];
    const chunk = i32[${ARGS + 13}];
    const alpha = f64[${F64_ALPHA}], beta = f64[${F64_BETA}];
    const tag = (g & ${GEN_MASK}) << ${CHUNK_BITS};
    for (;;) {
      const v = Atomics.load(i32, ${NEXT});
      const idx = v & ${(1 << CHUNK_BITS) - 1};
      if ((v & ~${(1 << CHUNK_BITS) - 1}) !== tag || idx >= nChunks) break;
      if (Atomics.compareExchange(i32, ${NEXT}, v, v + 1) !== v) continue;
      const lo = idx * chunk;
      const len = idx === nChunks - 1 ? (splitN ? n : m) - lo : chunk;
      try {
        if (splitN) {
          gemm(tA, tB, m, len, k, alpha, a, lda, tB ? b + lo * ldb * 4 : b + lo * 4, ldb, beta, c + lo * 4, ldc);
        } else {
          gemm(tA, tB, len, n, k, alpha, tA ? a + lo * 4 : a + lo * lda * 4, lda, b, ldb, beta, c + lo * ldc * 4, ldc);
        }
      } catch {
        Atomics.store(i32, ${TRAPPED}, 1);
      }
      Atomics.add(i32, ${WORKER_CHUNKS}, 1);
      Atomics.add(i32, ${COMPLETED}, 1);
      Atomics.notify(i32, ${COMPLETED});
    }
  }
}
`;

export interface ThreadedKernelsOptions {
  /** Calling thread's scratch (default: given by the caller). */
  scratchPtr: number;
  /** Control block (THREAD_CTRL_BYTES) followed by the worker's WASM_SCRATCH_BYTES of scratch. */
  ctrlPtr: number;
  /** Split calls with m·n·k ≥ this (default DEFAULT_SPLIT_MIN_MACS). */
  splitMinMacs?: number;
  /**
   * How long the worker spins for the next job before sleeping, ms (default 0.2: the gaps
   * between the GEMMs of one update; spinning longer takes CPU from other work on a busy machine).
   */
  spinMs?: number;
}

/** Kernels with a `threads` count and a way to stop the worker. */
export type ThreadedKernels = Kernels & {
  readonly threads: 2;
  /** Starts the worker now and resolves once it runs (false: it could not start; calls stay single-thread). */
  ready(): Promise<boolean>;
  /** Stops the worker; later calls run on the calling thread only. */
  close(): void;
  /** GEMM calls split so far, and how many of their chunks the worker computed. */
  stats(): { splitCalls: number; workerChunks: number };
};

interface WorkerLike {
  unref?(): void;
  terminate(): unknown;
}

/** True when this runtime can run the threaded kernels (shared memory, Atomics, a worker API). */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown; process?: { getBuiltinModule?: unknown; versions?: { node?: string } } };
  if (g.process?.versions?.node) return typeof g.process.getBuiltinModule === "function";
  return g.crossOriginIsolated === true && typeof g.Worker === "function";
}

function spawnWorker(data: Record<string, unknown>): WorkerLike {
  const g = globalThis as unknown as {
    process?: { getBuiltinModule?(id: string): unknown; versions?: { node?: string } };
    Worker?: new (url: string) => WorkerLike & { postMessage(d: unknown): void };
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  if (g.process?.versions?.node) {
    const wt = g.process.getBuiltinModule!("node:worker_threads") as {
      Worker: new (src: string, opts: Record<string, unknown>) => WorkerLike & { on(ev: string, f: (e: unknown) => void): void };
    };
    // execArgv []: the worker needs no loader (tsx) or CLI options; V8 flags are process-wide anyway.
    const w = new wt.Worker(`${WORKER_SOURCE}\ngemmWorker(require("node:worker_threads").workerData);`, {
      eval: true,
      workerData: data,
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    w.on("error", () => {});
    w.unref?.();
    return w;
  }
  const url = g.URL!.createObjectURL(new g.Blob!([`${WORKER_SOURCE}\nonmessage = (e) => gemmWorker(e.data);`], { type: "text/javascript" }));
  const w = new g.Worker!(url);
  w.postMessage(data);
  return w;
}

/**
 * The WebAssembly kernels on a shared memory with the two-thread GEMM, or null when the platform
 * lacks shared memory, workers or WebAssembly SIMD (or DEEPQ_KERNELS=js).
 */
export function createThreadedKernels(memory: WebAssembly.Memory, opts: ThreadedKernelsOptions): ThreadedKernels | null {
  if (!threadsSupported() || !isSharedMemory(memory)) return null;
  const variant = detectWasmVariant();
  if (variant === null) return null;
  const { scratchPtr, ctrlPtr } = opts;
  if (ctrlPtr % 16 !== 0 || ctrlPtr + THREAD_CTRL_BYTES + WASM_SCRATCH_BYTES > memory.buffer.byteLength) {
    throw new RangeError(`ctrlPtr ${ctrlPtr} must be 16-byte aligned with ${THREAD_CTRL_BYTES + WASM_SCRATCH_BYTES} bytes inside the memory`);
  }
  const base = loadWasmKernelsSync(memory, scratchPtr, variant);
  if (!base) return null;
  const local = base.gemm;
  const splitMin = opts.splitMinMacs ?? DEFAULT_SPLIT_MIN_MACS;
  const spinMs = opts.spinMs ?? 0.2;
  // Old views of a shared memory stay valid after growth (they just do not see the new pages).
  const i32 = new Int32Array(memory.buffer, ctrlPtr, THREAD_CTRL_BYTES / 4);
  const f64 = new Float64Array(memory.buffer, ctrlPtr, THREAD_CTRL_BYTES / 8);
  i32.fill(0);
  let worker: WorkerLike | null = null;
  let failed = false;
  let gen = 0;
  let canBlock = true;
  let splitCalls = 0;

  const start = (): void => {
    if (worker || failed) return;
    try {
      Atomics.store(i32, READY, 0);
      Atomics.store(i32, EXIT, 0);
      worker = spawnWorker({ module: wasmModuleSync(variant, true), memory, scratchPtr: ctrlPtr + THREAD_CTRL_BYTES, ctrl: ctrlPtr, spinMs });
    } catch {
      failed = true;
    }
  };

  const waitCompleted = (nChunks: number): void => {
    let spins = 0;
    for (;;) {
      const done = Atomics.load(i32, COMPLETED);
      if (done >= nChunks) return;
      if (++spins < 2000 || !canBlock) continue;
      try {
        Atomics.wait(i32, COMPLETED, done, 1);
      } catch {
        canBlock = false; // a browser's main thread may not block: keep spinning
      }
    }
  };

  const gemm = (
    transA: 0 | 1,
    transB: 0 | 1,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: splits a GEMM over workers by shape; each branch is one partitioning case
  ): void => {
    if (m * n * k < splitMin || k <= 0 || alpha === 0 || failed || m < 8) {
      local(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    if (Atomics.load(i32, READY) !== 1) {
      if (!worker) start();
      else if (Atomics.load(i32, READY) < 0) failed = true;
      local(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    // Split N unless op(A) is the bigger operand (each thread re-packs all of the unsplit one).
    const splitN = n >= m || n < 16 ? 1 : 0;
    const total = splitN ? n : m;
    const unit = splitN ? 8 : 4;
    let nChunks = Math.min(MAX_CHUNKS, Math.max(2, Math.floor((m * n * k) / CHUNK_MACS)), Math.floor(total / unit));
    if (nChunks < 2) {
      local(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const chunk = Math.ceil(total / nChunks / unit) * unit;
    nChunks = Math.ceil(total / chunk);
    // A last M-chunk of < 4 rows would take the kernel's small-m path (another summation order): merge it.
    if (!splitN && total - (nChunks - 1) * chunk < 4) nChunks--;

    gen = (gen + 1) & GEN_MASK || 1;
    splitCalls++;
    let trapped: unknown;
    i32[ARGS] = transA;
    i32[ARGS + 1] = transB;
    i32[ARGS + 2] = m;
    i32[ARGS + 3] = n;
    i32[ARGS + 4] = k;
    i32[ARGS + 5] = a;
    i32[ARGS + 6] = lda;
    i32[ARGS + 7] = b;
    i32[ARGS + 8] = ldb;
    i32[ARGS + 9] = c;
    i32[ARGS + 10] = ldc;
    i32[ARGS + 11] = nChunks;
    i32[ARGS + 12] = splitN;
    i32[ARGS + 13] = chunk;
    f64[F64_ALPHA] = alpha;
    f64[F64_BETA] = beta;
    Atomics.store(i32, COMPLETED, 0);
    const tag = gen << CHUNK_BITS;
    Atomics.store(i32, NEXT, tag);
    Atomics.store(i32, GEN, gen);
    if (Atomics.load(i32, SLEEPING) !== 0) Atomics.notify(i32, GEN);
    for (;;) {
      const v = Atomics.load(i32, NEXT);
      const idx = v & ((1 << CHUNK_BITS) - 1);
      if (idx >= nChunks) break;
      if (Atomics.compareExchange(i32, NEXT, v, v + 1) !== v) continue;
      const lo = idx * chunk;
      const len = idx === nChunks - 1 ? total - lo : chunk;
      try {
        if (splitN) local(transA, transB, m, len, k, alpha, a, lda, transB ? b + lo * ldb * 4 : b + lo * 4, ldb, beta, c + lo * 4, ldc);
        else local(transA, transB, len, n, k, alpha, transA ? a + lo * 4 : a + lo * lda * 4, lda, b, ldb, beta, c + lo * ldc * 4, ldc);
      } catch (e) {
        // Finish the job (the worker may still be writing C) before rethrowing.
        trapped ??= e;
      }
      Atomics.add(i32, COMPLETED, 1);
    }
    waitCompleted(nChunks);
    if (Atomics.load(i32, TRAPPED) !== 0) {
      Atomics.store(i32, TRAPPED, 0);
      trapped ??= new WebAssembly.RuntimeError("gemm: memory access out of bounds (in the worker thread's part)");
    }
    if (trapped !== undefined) throw trapped;
  };

  const kernels = { ...base, gemm, gemmBatched: gemmBatchedByLoop(gemm), threads: 2 as const } as {
    -readonly [K in keyof ThreadedKernels]: ThreadedKernels[K];
  };
  kernels.stats = () => ({ splitCalls, workerChunks: Atomics.load(i32, WORKER_CHUNKS) });
  kernels.ready = async () => {
    start();
    while (!failed && Atomics.load(i32, READY) === 0) await new Promise((r) => setTimeout(r, 5));
    if (Atomics.load(i32, READY) < 0) failed = true;
    return !failed;
  };
  kernels.close = () => {
    failed = true;
    Atomics.store(i32, EXIT, 1);
    Atomics.notify(i32, GEN);
    void worker?.terminate();
    worker = null;
  };
  return kernels;
}
