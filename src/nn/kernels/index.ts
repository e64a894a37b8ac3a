/**
 * Kernel backend selection. The one place that decides which implementation of the
 * `Kernels` ABI runs: the WebAssembly SIMD kernels when a loader is registered and
 * the platform supports them, else plain TypeScript. `DEEPQ_KERNELS=js` forces the
 * TypeScript path (to compare backends or rule one out when debugging).
 */
import type { Kernels } from "./abi.js";
import { createJsKernels } from "./js.js";
import { THREAD_CTRL_BYTES, threadsSupported } from "./threads.js";
import { detectWasmVariant, loadWasmKernelsSync, WASM_SCRATCH_BYTES } from "./wasm.js";

export type { KernelBackend, Kernels } from "./abi.js";
export { createJsKernels } from "./js.js";

/** Builds kernels on `memory`, or returns null when this backend cannot run here. */
export type KernelsFactory = (memory: WebAssembly.Memory) => Kernels | null;

/**
 * Layout of the start of every kernel memory: the first 64 KiB belong to the kernel
 * module's static data, the GEMM packing scratch follows, tensors start after it.
 */
export const KERNEL_SCRATCH_PTR = 65536;
export const KERNEL_RESERVED_BYTES = KERNEL_SCRATCH_PTR + WASM_SCRATCH_BYTES;
/** Two-thread layout: the single-thread one, then the thread control block and the worker's GEMM scratch. */
export const KERNEL_THREAD_CTRL_PTR = KERNEL_RESERVED_BYTES;
export const KERNEL_RESERVED_BYTES_THREADED = KERNEL_THREAD_CTRL_PTR + THREAD_CTRL_BYTES + WASM_SCRATCH_BYTES;
/** Maximum pages of the shared memories the threaded kernels use (4 GiB: the wasm32 limit, address space only). */
export const SHARED_MEMORY_MAX_PAGES = 65536;

export { createThreadedKernels, threadsSupported, type ThreadedKernels } from "./threads.js";

/**
 * Threads the GEMM may use by default: DEEPQ_THREADS=1|2 if set, else DEFAULT_THREADS. Two threads
 * need shared memory and a worker API (Node ≥ 20.16, or a cross-origin-isolated page) and the
 * WebAssembly kernels; otherwise this is 1.
 */
export function defaultThreads(): 1 | 2 {
  const env = typeof process === "undefined" ? undefined : process.env?.DEEPQ_THREADS;
  const want = env === "1" ? 1 : env === "2" ? 2 : DEFAULT_THREADS;
  return want === 2 && threadsAvailable() ? 2 : 1;
}

/**
 * The default is one thread, by measurement: on the 2-core development machine (shared with
 * training runs, load average 3–5) the Nature-CNN update ran 0.5–0.9× as fast with two threads as
 * with one, side by side in one process (bench/nn.ts), because a second thread there gets no
 * second core's worth of time. The split itself is cheap (the calling thread never waits for the
 * worker to start, only for chunks it has taken), so on an idle multi-core machine try
 * DEEPQ_THREADS=2 and compare with `npm run bench:nn`.
 */
export const DEFAULT_THREADS: 1 | 2 = 1;

/** True when the two-thread kernels can run here (and DEEPQ_KERNELS does not force the TypeScript ones). */
export function threadsAvailable(): boolean {
  return !forcedJs() && preferred === wasmKernels && threadsSupported() && detectWasmVariant() !== null;
}

/** The WebAssembly SIMD kernels (relaxed SIMD when available), loaded synchronously. */
const wasmKernels: KernelsFactory = (memory) => loadWasmKernelsSync(memory, KERNEL_SCRATCH_PTR);

let preferred: KernelsFactory | null = wasmKernels;

/** Registers the accelerated backend tried before the TypeScript fallback (null: none). */
export function setPreferredKernels(factory: KernelsFactory | null): void {
  preferred = factory;
}

function forcedJs(): boolean {
  return typeof process !== "undefined" && process.env?.DEEPQ_KERNELS === "js";
}

/** The kernels for `memory`: the preferred backend if registered, supported and not overridden, else TypeScript. */
export function createKernels(memory: WebAssembly.Memory): Kernels {
  if (!forcedJs() && preferred) {
    const k = preferred(memory);
    if (k) return k;
  }
  return createJsKernels(memory);
}
