/**
 * Kernel backend selection: the one place that decides which implementation of the `Kernels`
 * ABI runs. In Node the default order is native (./native.ts: C with AVX-512/AVX2/portable paths
 * and a thread pool, when built at install and loadable) → WebAssembly relaxed SIMD → WebAssembly
 * SIMD → TypeScript; in a browser it starts at WebAssembly.
 *
 * DEEPQ_KERNELS forces one: `native` (an error naming the reason when it cannot load), `wasm`
 * (`simd` for plain SIMD without relaxed FMA) or `js`. DEEPQ_THREADS sets the thread count: any
 * positive integer for native (default: every online CPU), 1 or 2 for WebAssembly (default 1).
 * DEEPQ_CPU=avx512|avx2|generic forces a lower native CPU path (tests, comparisons).
 */
import type { KernelBackend, Kernels } from "./abi.js";
import { createJsKernels } from "./js.js";
import { createNativeKernels, type NativeCpuPath, nativeDefaultThreads, nativeInfo } from "./native.js";
import { THREAD_CTRL_BYTES, threadsSupported } from "./threads.js";
import { detectWasmVariant, loadWasmKernelsSync, WASM_SCRATCH_BYTES } from "./wasm.js";

export type { KernelBackend, Kernels } from "./abi.js";
export { createJsKernels } from "./js.js";
export {
  createNativeKernels,
  type NativeCpuPath,
  type NativeInfo,
  type NativeKernels,
  type NativeKernelsOptions,
  nativeDefaultThreads,
  nativeInfo,
} from "./native.js";

/** Builds kernels on `memory`, or returns null when this backend cannot run here. */
export type KernelsFactory = (memory: WebAssembly.Memory) => Kernels | null;

/** The kinds of backend DEEPQ_KERNELS and `ArenaOptions.backend` name. */
export type BackendKind = "native" | "wasm" | "js";

/**
 * Layout of the start of every kernel memory: the first 64 KiB belong to the kernel
 * module's static data, the GEMM packing scratch follows, tensors start after it.
 * (The native kernels keep their packing scratch outside the memory; they delegate tiny calls to
 * the WebAssembly kernels, which use this area.)
 */
export const KERNEL_SCRATCH_PTR = 65536;
export const KERNEL_RESERVED_BYTES = KERNEL_SCRATCH_PTR + WASM_SCRATCH_BYTES;
/** Two-thread layout: the single-thread one, then the thread control block and the worker's GEMM scratch. */
export const KERNEL_THREAD_CTRL_PTR = KERNEL_RESERVED_BYTES;
export const KERNEL_RESERVED_BYTES_THREADED = KERNEL_THREAD_CTRL_PTR + THREAD_CTRL_BYTES + WASM_SCRATCH_BYTES;
/** Maximum pages of the shared memories the threaded kernels use (4 GiB: the wasm32 limit, address space only). */
export const SHARED_MEMORY_MAX_PAGES = 65536;

export { createThreadedKernels, type ThreadedKernels, threadsSupported } from "./threads.js";

function envVar(name: string): string | undefined {
  const v = typeof process === "undefined" ? undefined : process.env?.[name];
  return v === "" ? undefined : v;
}

/** DEEPQ_KERNELS as a backend kind (`simd` is WebAssembly), undefined when unset. */
export function requestedBackend(): BackendKind | undefined {
  const v = envVar("DEEPQ_KERNELS");
  if (v === undefined) return undefined;
  if (v === "native" || v === "wasm" || v === "js") return v;
  if (v === "simd") return "wasm";
  throw new Error(`DEEPQ_KERNELS=${v}: expected native, wasm, simd or js`);
}

/**
 * Threads the WebAssembly GEMM may use by default: DEEPQ_THREADS=1|2 if set, else DEFAULT_THREADS.
 * Two threads need shared memory and a worker API (Node ≥ 20.16, or a cross-origin-isolated page)
 * and the WebAssembly kernels; otherwise this is 1.
 */
export function defaultThreads(): 1 | 2 {
  const env = envVar("DEEPQ_THREADS");
  const want = env === "1" ? 1 : env === "2" ? 2 : DEFAULT_THREADS;
  return want === 2 && threadsAvailable() ? 2 : 1;
}

/**
 * The WebAssembly default is one thread, by measurement: on the 2-core development machine (shared
 * with training runs, load average 3–5) the Nature-CNN update ran 0.5–0.9× as fast with two threads
 * as with one, side by side in one process (bench/nn.ts), because a second thread there gets no
 * second core's worth of time. The split itself is cheap (the calling thread never waits for the
 * worker to start, only for chunks it has taken), so on an idle multi-core machine try
 * DEEPQ_THREADS=2 and compare with `npm run bench:nn`.
 */
export const DEFAULT_THREADS: 1 | 2 = 1;

/** True when the two-thread WebAssembly kernels can run here (and DEEPQ_KERNELS does not force the TypeScript ones). */
export function threadsAvailable(): boolean {
  return requestedBackend() !== "js" && preferred === builtinKernels && threadsSupported() && detectWasmVariant() !== null;
}

/** The WebAssembly SIMD kernels (relaxed SIMD when available), loaded synchronously. */
const wasmKernels: KernelsFactory = (memory) => loadWasmKernelsSync(memory, KERNEL_SCRATCH_PTR);

/** Native kernels with the default threads, tiny calls delegated to WebAssembly when the memory has its scratch area. */
function nativeKernels(memory: WebAssembly.Memory, threads?: number): Kernels {
  const roomForWasm = memory.buffer.byteLength >= KERNEL_RESERVED_BYTES && detectWasmVariant() !== null;
  return createNativeKernels(memory, { threads, wasmScratchPtr: roomForWasm ? KERNEL_SCRATCH_PTR : undefined });
}

/** The built-in order: native unless DEEPQ_KERNELS says otherwise, then WebAssembly. */
const builtinKernels: KernelsFactory = (memory) => (defaultBackend() === "native" ? nativeKernels(memory) : wasmKernels(memory));

let preferred: KernelsFactory | null = builtinKernels;

/** Registers the accelerated backend tried before the TypeScript fallback (null: none). */
export function setPreferredKernels(factory: KernelsFactory | null): void {
  preferred = factory;
}

/** False once `setPreferredKernels` replaced the built-in order (native → WebAssembly). */
export function usingBuiltinKernels(): boolean {
  return preferred === builtinKernels;
}

/**
 * The backend kind new kernels get: DEEPQ_KERNELS if set (native: throws with the reason when the
 * library is unavailable), else native if it loads, else WebAssembly if it runs, else TypeScript.
 */
export function defaultBackend(): BackendKind {
  const req = requestedBackend();
  if (req === "native") {
    const info = nativeInfo();
    if (!info.available) throw new Error(`DEEPQ_KERNELS=native: native kernels unavailable (${info.error})`);
    return "native";
  }
  if (req !== undefined) return req;
  if (nativeInfo().available) return "native";
  return detectWasmVariant() !== null ? "wasm" : "js";
}

/** The kernels for `memory`: the preferred backend if registered, supported and not overridden, else TypeScript. */
export function createKernels(memory: WebAssembly.Memory): Kernels {
  if (requestedBackend() !== "js" && preferred) {
    const k = preferred(memory);
    if (k) return k;
  }
  return createJsKernels(memory);
}

/** Kernels of a given kind on `memory` (`threads` applies to native; WebAssembly's two-thread GEMM needs a shared memory: see the Arena). */
export function createKernelsOf(kind: BackendKind, memory: WebAssembly.Memory, threads?: number): Kernels {
  if (kind === "native") return nativeKernels(memory, threads);
  if (kind === "wasm") {
    const k = wasmKernels(memory);
    if (!k) throw new Error("WebAssembly SIMD kernels unavailable on this runtime");
    return k;
  }
  return createJsKernels(memory);
}

/** What `deepq info` reports about the kernels a new Arena gets. */
export interface KernelBackendInfo {
  backend: KernelBackend;
  threads: number;
  /** CPU features the native kernels detected (empty without the native library). */
  cpuFeatures: string[];
  /** Why the native kernels are not in use, when they are not. */
  nativeError?: string | undefined;
}

export function kernelBackendInfo(): KernelBackendInfo {
  const native = nativeInfo();
  const kind = defaultBackend();
  const base = { cpuFeatures: native.cpuFeatures };
  if (kind === "native") {
    const env = envVar("DEEPQ_CPU");
    if (env !== undefined && !native.cpuPaths.includes(env as NativeCpuPath)) {
      // createNativeKernels refuses this path; say so rather than name a backend that will not load.
      return {
        ...base,
        backend: `native-${native.cpuPaths[0]!}` as KernelBackend,
        threads: nativeDefaultThreads(),
        nativeError: `DEEPQ_CPU=${env}: this CPU runs ${native.cpuPaths.join(", ")}`,
      };
    }
    return { ...base, backend: `native-${env ?? native.cpuPaths[0]!}` as KernelBackend, threads: nativeDefaultThreads() };
  }
  const nativeError = native.available ? `not in use: DEEPQ_KERNELS=${envVar("DEEPQ_KERNELS")} selects another backend` : native.error;
  if (kind === "wasm") return { ...base, backend: detectWasmVariant() ?? "js", threads: defaultThreads(), nativeError };
  return { ...base, backend: "js", threads: 1, nativeError };
}
