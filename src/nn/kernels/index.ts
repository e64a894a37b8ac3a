/**
 * Kernel backend selection. The one place that decides which implementation of the
 * `Kernels` ABI runs: the WebAssembly SIMD kernels when a loader is registered and
 * the platform supports them, else plain TypeScript. `DEEPQ_KERNELS=js` forces the
 * TypeScript path (to compare backends or rule one out when debugging).
 */
import type { Kernels } from "./abi.js";
import { createJsKernels } from "./js.js";
import { loadWasmKernelsSync, WASM_SCRATCH_BYTES } from "./wasm.js";

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
