/**
 * Loader for the WebAssembly SIMD kernels (sources in ./assembly, compiled by
 * scripts/build-kernels.mjs into ./generated). Works in Node and browsers: the modules are
 * embedded as base64 and decoded with `atob`, no `fs` and no Node `Buffer`.
 *
 * Variant choice: relaxed SIMD (FMA) if the engine validates it, else plain SIMD, else `null`
 * (the caller falls back to the TypeScript kernels). `DEEPQ_KERNELS=simd` forces plain SIMD,
 * `DEEPQ_KERNELS=js` makes the loaders return `null`.
 *
 * Scratch memory: GEMM packs panels of A and B into a buffer of `WASM_SCRATCH_BYTES` bytes that
 * the caller reserves in its own memory (16-byte aligned) and passes as `scratchPtr`; nothing
 * else may live there, and two Kernels objects must not share one scratch area while both run.
 * The memory may be plain or shared (`new WebAssembly.Memory({ initial, maximum, shared: true })`);
 * a shared memory gets the build of the same variant that imports a shared memory (maximum ≤ 65536
 * pages), which is what the two-thread GEMM (./threads.ts) runs on.
 */
import { gemmBatchedByLoop, type Kernels } from "./abi.js";
import { RELAXED_SIMD_WASM_BASE64 } from "./generated/kernels-relaxed-simd.js";
import { RELAXED_SIMD_SHARED_WASM_BASE64 } from "./generated/kernels-relaxed-simd-shared.js";
import { SIMD_WASM_BASE64 } from "./generated/kernels-simd.js";
import { SIMD_SHARED_WASM_BASE64 } from "./generated/kernels-simd-shared.js";

export type WasmVariant = "wasm-relaxed-simd" | "wasm-simd";

/** Scratch bytes the kernels need: packed A block (256×256 f32) + packed B panel (256×8) + one 4×8 edge tile. */
export const WASM_SCRATCH_BYTES = 4 * (256 * 256 + 256 * 8 + 4 * 8);

/** The kernels the modules export (gemmBatched is a loop over their gemm, added by the loader; no direct convolution). */
type KernelFunctions = Omit<Kernels, "backend" | "memory" | "gemmBatched" | "conv2d" | "conv2dWeightGrad" | "conv2dInputGrad">;

interface KernelExports extends KernelFunctions {
  init(scratchPtr: number): void;
  scratchBytes(): number;
}

// A Record over every key makes the compiler reject this list if the ABI gains a kernel.
const KERNEL_NAMES = Object.keys({
  gemm: 1,
  im2col: 1,
  col2im: 1,
  addBiasRows: 1,
  addBiasChannels: 1,
  biasGradRows: 1,
  biasGradChannels: 1,
  relu: 1,
  reluBackward: 1,
  leakyRelu: 1,
  leakyReluBackward: 1,
  scale: 1,
  sumSquares: 1,
  u8ToF32: 1,
  u8ToF32Shift: 1,
  adamStep: 1,
  rmspropStep: 1,
  sgdStep: 1,
} satisfies Record<keyof KernelFunctions, 1>) as (keyof KernelFunctions)[];

// Hand-assembled probes (a function returning v128): i8x16.splat of 0, and three splats fed to
// f32x4.relaxed_madd. Validating them is cheap and does not compile the real modules.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11,
]);

/** The best variant this engine runs, honouring DEEPQ_KERNELS; null means "use the JS kernels". */
export function detectWasmVariant(): WasmVariant | null {
  const forced = typeof process === "undefined" ? undefined : process.env?.DEEPQ_KERNELS;
  if (forced === "js" || typeof WebAssembly === "undefined" || !WebAssembly.validate(SIMD_PROBE)) return null;
  if (forced === "simd") return "wasm-simd";
  return WebAssembly.validate(RELAXED_SIMD_PROBE) || enableRelaxedSimd() ? "wasm-relaxed-simd" : "wasm-simd";
}

let relaxedFlagTried = false;

/**
 * Node 20's V8 (11.3) implements relaxed SIMD in full but behind --experimental-wasm-relaxed-simd;
 * V8 11.4 (Chrome 114, Node 21+) ships it on. The FMA it brings makes the GEMM ~1.3× faster, so on
 * that V8 the flag is set once here, before any module is compiled (it only admits the relaxed
 * opcodes). DEEPQ_KERNELS=simd keeps plain SIMD.
 */
function enableRelaxedSimd(): boolean {
  if (relaxedFlagTried) return false;
  relaxedFlagTried = true;
  const proc = (globalThis as { process?: { versions?: { v8?: string }; getBuiltinModule?(id: string): unknown } }).process;
  if (!proc?.versions?.v8?.startsWith("11.3.") || typeof proc.getBuiltinModule !== "function") return false;
  try {
    (proc.getBuiltinModule("node:v8") as { setFlagsFromString(f: string): void }).setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** True when `memory` is a shared WebAssembly.Memory (its buffer a SharedArrayBuffer). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

function moduleBytes(variant: WasmVariant, shared: boolean): Uint8Array<ArrayBuffer> {
  const text = atob(
    shared
      ? variant === "wasm-relaxed-simd"
        ? RELAXED_SIMD_SHARED_WASM_BASE64
        : SIMD_SHARED_WASM_BASE64
      : variant === "wasm-relaxed-simd"
        ? RELAXED_SIMD_WASM_BASE64
        : SIMD_WASM_BASE64,
  );
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Explicit request, else detection; an explicit relaxed request degrades to plain SIMD if unsupported. */
function resolveVariant(requested: WasmVariant | undefined): WasmVariant | null {
  const detected = detectWasmVariant();
  if (detected === null || requested === undefined) return detected;
  return requested === "wasm-relaxed-simd" ? detected : "wasm-simd";
}

function checkArguments(memory: WebAssembly.Memory, scratchPtr: number): void {
  if (!Number.isInteger(scratchPtr) || scratchPtr < 0 || scratchPtr % 16 !== 0 || scratchPtr + WASM_SCRATCH_BYTES > memory.buffer.byteLength) {
    throw new RangeError(`scratchPtr ${scratchPtr} must be 16-byte aligned with ${WASM_SCRATCH_BYTES} bytes inside the memory`);
  }
}

const modules = new Map<string, WebAssembly.Module>();

/** The compiled module of a variant (plain or shared-memory build), compiled once and cached. */
export function wasmModuleSync(variant: WasmVariant, shared: boolean): WebAssembly.Module {
  const key = `${variant}${shared ? "-shared" : ""}`;
  let module = modules.get(key);
  if (!module) modules.set(key, (module = new WebAssembly.Module(moduleBytes(variant, shared))));
  return module;
}
const instances = new WeakMap<WebAssembly.Memory, Map<string, Kernels>>();

function cached(memory: WebAssembly.Memory, key: string): Kernels | undefined {
  return instances.get(memory)?.get(key);
}

function wrap(instance: WebAssembly.Instance, variant: WasmVariant, memory: WebAssembly.Memory, scratchPtr: number, key: string): Kernels {
  const exports = instance.exports as unknown as KernelExports;
  if (exports.scratchBytes() !== WASM_SCRATCH_BYTES) {
    throw new Error(`kernel module wants ${exports.scratchBytes()} scratch bytes, loader reserves ${WASM_SCRATCH_BYTES}`);
  }
  exports.init(scratchPtr);
  const kernels = { backend: variant, memory } as { -readonly [K in keyof Kernels]: Kernels[K] };
  for (const name of KERNEL_NAMES) {
    if (typeof exports[name] !== "function") throw new Error(`kernel module lacks export ${name}`);
    // Direct references to the wasm exports: no JS wrapper between caller and kernel.
    (kernels as Record<string, unknown>)[name] = exports[name];
  }
  kernels.gemmBatched = gemmBatchedByLoop(exports.gemm);
  let perMemory = instances.get(memory);
  if (!perMemory) instances.set(memory, (perMemory = new Map()));
  perMemory.set(key, kernels);
  return kernels;
}

/**
 * Synchronous loader (Node, workers; browsers forbid synchronous compiles of modules > 4 KB on
 * the main thread, use `loadWasmKernels` there). Returns null when WebAssembly SIMD is missing.
 * Instances are cached per (memory, variant, scratchPtr); modules are compiled once per variant.
 */
export function loadWasmKernelsSync(memory: WebAssembly.Memory, scratchPtr: number, variant?: WasmVariant): Kernels | null {
  const chosen = resolveVariant(variant);
  if (chosen === null) return null;
  checkArguments(memory, scratchPtr);
  const key = `${chosen}@${scratchPtr}`;
  const hit = cached(memory, key);
  if (hit) return hit;
  const module = wasmModuleSync(chosen, isSharedMemory(memory));
  return wrap(new WebAssembly.Instance(module, { env: { memory } }), chosen, memory, scratchPtr, key);
}

/** Asynchronous loader, same contract as `loadWasmKernelsSync`; use it on a browser's main thread. */
export async function loadWasmKernels(memory: WebAssembly.Memory, scratchPtr: number, variant?: WasmVariant): Promise<Kernels | null> {
  const chosen = resolveVariant(variant);
  if (chosen === null) return null;
  checkArguments(memory, scratchPtr);
  const key = `${chosen}@${scratchPtr}`;
  const hit = cached(memory, key);
  if (hit) return hit;
  const shared = isSharedMemory(memory);
  const mkey = `${chosen}${shared ? "-shared" : ""}`;
  let module = modules.get(mkey);
  if (!module) modules.set(mkey, (module = await WebAssembly.compile(moduleBytes(chosen, shared))));
  // Another call may have finished instantiating while this one awaited.
  const raced = cached(memory, key);
  if (raced) return raced;
  return wrap(await WebAssembly.instantiate(module, { env: { memory } }), chosen, memory, scratchPtr, key);
}
