/**
 * An arena for a browser's main thread, where a synchronous compile of a module over 4 KB
 * is forbidden: the WebAssembly SIMD kernels are compiled asynchronously, and the
 * TypeScript kernels serve where WebAssembly SIMD is missing or fails to compile (with a warning). Node code uses `new Arena()`.
 */
import { createJsKernels, KERNEL_RESERVED_BYTES, KERNEL_SCRATCH_PTR } from "./kernels/index.js";
import { loadWasmKernels } from "./kernels/wasm.js";
import { Arena, setDefaultArena } from "./tensor.js";

const PAGE = 65536;

/** A new arena on the asynchronously compiled kernels, made the default one (`setDefaultArena`). */
export async function createDefaultArenaAsync(): Promise<Arena> {
  const memory = new WebAssembly.Memory({ initial: Math.max(16, Math.ceil(KERNEL_RESERVED_BYTES / PAGE) + 1) });
  let wasm = null;
  try {
    wasm = await loadWasmKernels(memory, KERNEL_SCRATCH_PTR);
  } catch (e) {
    console.warn("WASM kernels unavailable, using the TypeScript kernels:", e);
  }
  const arena = new Arena({ memory, kernels: wasm ?? createJsKernels(memory) });
  setDefaultArena(arena);
  return arena;
}
