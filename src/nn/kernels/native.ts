/**
 * The native kernels (C through Node-API, sources in native/, built at install by
 * scripts/build-native.mjs into build/deepq_native.node). Node only: package.json's "browser"
 * field swaps this file for ./native-browser.ts in bundles, so nothing of it reaches a web page,
 * and it loads the library with `process.getBuiltinModule` rather than a static `node:` import.
 *
 * The library computes directly on the WebAssembly.Memory's bytes: it is bound to the memory's
 * current buffer (a Uint8Array view, which works for plain and shared memories) and rebound only
 * when `memory.buffer` changed — growth detaches the old buffer, and the native side never keeps a
 * pointer across that — or when another memory, thread count or CPU path is wanted. Calls then
 * pass the ABI's byte offsets unchanged; the C side bounds-checks every range it will touch.
 *
 * CPU path: the best the CPU supports (avx512 → avx2 → generic), or DEEPQ_CPU=avx512|avx2|generic
 * to force one (a path the CPU lacks is an error). Threads: DEEPQ_THREADS=n, else every online CPU.
 */
import { gemmBatchedByLoop, type KernelBackend, type Kernels } from "./abi.js";
import { loadWasmKernelsSync } from "./wasm.js";

export type NativeCpuPath = "avx512" | "avx2" | "generic";
const PATH_INDEX: Record<NativeCpuPath, number> = { avx512: 0, avx2: 1, generic: 2 };

/** What the native library reports about this machine. */
export interface NativeInfo {
  /** True when the library is built and loads. */
  available: boolean;
  /** Why it is unavailable (absent when available). */
  error?: string;
  /** The library's file. */
  file: string;
  /** CPU paths this CPU runs, best first (empty when unavailable). */
  cpuPaths: NativeCpuPath[];
  /** CPU features the kernels use that this CPU and OS support (CPUID + XGETBV). */
  cpuFeatures: string[];
  /** Online CPUs. */
  cpus: number;
}

export interface NativeKernelsOptions {
  /** Threads per call (default `nativeDefaultThreads()`); calls below a size threshold use one. */
  threads?: number | undefined;
  /** CPU path (default: DEEPQ_CPU, else the best this CPU supports). */
  cpu?: NativeCpuPath | undefined;
  /**
   * Byte offset of a WebAssembly kernel scratch area (WASM_SCRATCH_BYTES) in the memory. When given,
   * the calls that are faster in WebAssembly (tiny ones, where the Node-API call costs more than
   * the work) run on the WebAssembly kernels on the same memory; without it every call is native.
   */
  wasmScratchPtr?: number | undefined;
}

/** Native kernels with their thread count and CPU path. */
export type NativeKernels = Kernels & { readonly threads: number; readonly cpu: NativeCpuPath };

type Fn = (...args: number[]) => void;
interface Addon {
  bind(view: Uint8Array, threads: number, path: number): number;
  cpuInfo(): { paths: NativeCpuPath[]; features: string[]; cpus: number };
  sumSquares(x: number, len: number): number;
  [kernel: string]: unknown;
}

interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
}

function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

let addon: Addon | null | undefined;
let loadError = "";
let libraryFile = "build/deepq_native.node";

/** Loads the library once; null (with `loadError` set) when it is not built or does not load. */
function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const proc = nodeProcess();
  if (!proc?.versions?.node) {
    loadError = "not running in Node";
    return null;
  }
  if (typeof proc.getBuiltinModule !== "function") {
    loadError = `Node ${proc.versions.node} lacks process.getBuiltinModule (Node ≥ 20.16 loads native kernels)`;
    return null;
  }
  const { createRequire } = proc.getBuiltinModule("node:module") as { createRequire(from: string | URL): (id: string) => unknown };
  const { existsSync, readFileSync } = proc.getBuiltinModule("node:fs") as {
    existsSync(p: string | URL): boolean;
    readFileSync(p: string | URL, enc: "utf8"): string;
  };
  const { fileURLToPath } = proc.getBuiltinModule("node:url") as { fileURLToPath(u: URL): string };
  // This file is src/nn/kernels/native.ts (tsx) or dist/nn/kernels/native.js: the root is three up.
  const url = new URL("../../../build/deepq_native.node", import.meta.url);
  libraryFile = fileURLToPath(url);
  if (!existsSync(url)) {
    const status = new URL("../../../build/native-status.json", import.meta.url);
    let why = "not built: run `node scripts/build-native.mjs` (needs a C compiler)";
    try {
      if (existsSync(status)) why = `not built: ${(JSON.parse(readFileSync(status, "utf8")) as { reason?: string }).reason ?? "unknown reason"}`;
    } catch {
      // An unreadable status file leaves the generic reason.
    }
    loadError = why;
    return null;
  }
  try {
    const lib = createRequire(import.meta.url)(libraryFile) as Addon;
    if (lib.cpuInfo().paths.length === 0) throw new Error("no CPU path runs here");
    addon = lib;
  } catch (e) {
    loadError = `${libraryFile} does not load: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`;
  }
  return addon;
}

/** Threads the native kernels use by default: DEEPQ_THREADS if a positive integer, else every online CPU. */
export function nativeDefaultThreads(): number {
  const env = nodeProcess()?.env?.DEEPQ_THREADS;
  const n = env === undefined ? NaN : Number(env);
  if (Number.isInteger(n) && n >= 1) return n;
  return loadAddon()?.cpuInfo().cpus ?? 1;
}

/** The library's status and this machine's CPU paths and features. */
export function nativeInfo(): NativeInfo {
  const lib = loadAddon();
  if (!lib) return { available: false, error: loadError, file: libraryFile, cpuPaths: [], cpuFeatures: [], cpus: 1 };
  const info = lib.cpuInfo();
  return { available: true, file: libraryFile, cpuPaths: info.paths, cpuFeatures: info.features, cpus: info.cpus };
}

/** The CPU path to use: `wanted`, else DEEPQ_CPU, else the best supported. Throws for a path this CPU lacks. */
function choosePath(lib: Addon, wanted: NativeCpuPath | undefined): NativeCpuPath {
  const supported = lib.cpuInfo().paths;
  const env = nodeProcess()?.env?.DEEPQ_CPU;
  const pick = wanted ?? (env === undefined || env === "" ? supported[0]! : (env as NativeCpuPath));
  if (!(pick in PATH_INDEX)) throw new Error(`DEEPQ_CPU=${pick}: expected avx512, avx2 or generic`);
  if (!supported.includes(pick)) throw new Error(`native kernels: this CPU cannot run the ${pick} path (it runs ${supported.join(", ")})`);
  return pick;
}

/*
 * Small calls run faster on the WebAssembly kernels: a Node-API call costs ~120-150 ns before any
 * work, a call into WebAssembly ~20 ns. Measured side by side (alternating, best of 21) on the
 * 2-vCPU AMD EPYC (Zen 5, AVX-512) development machine, Node 20, ns per call, wasm / native:
 *   relu         len 512: 88 / 142     len 1024: 153 / 174    len 2048: 312 / 227
 *   biasGradRows 16×64: 133 / 180      32×64: 256 / 209
 *   adamStep     len 64: 169 / 305     len 256: 549 / 411     len 1024: 1929 / 828
 *   gemm (0,1)   1×4×64: 38 / 235      1×64×64: 440 / 710     8×64×8: 1740 / 460    32×32×16: 1378 / 718
 * Hence: a GEMM runs in WebAssembly below GEMM_WASM_MACS multiply-adds, or for a single row
 * (one action) below GEMM_ROW_WASM_MACS; the elementwise, bias and conv kernels below
 * EW_WASM_LEN elements; the optimizer steps below OPT_WASM_LEN.
 */
const GEMM_WASM_MACS = 4_096;
const GEMM_ROW_WASM_MACS = 16_384;
const EW_WASM_LEN = 1_536;
const OPT_WASM_LEN = 160;

/** The binding the library currently holds (one per JS thread: the addon keeps per-environment state). */
const bound: { buffer: ArrayBufferLike | null; owner: object | null } = { buffer: null, owner: null };

/**
 * Native kernels on `memory`. Throws with the reason when the library is unavailable or the CPU
 * path is not supported; use `nativeInfo()` to check first.
 */
export function createNativeKernels(memory: WebAssembly.Memory, opts: NativeKernelsOptions = {}): NativeKernels {
  const lib = loadAddon();
  if (!lib) throw new Error(`native kernels unavailable: ${loadError}`);
  const cpu = choosePath(lib, opts.cpu);
  const path = PATH_INDEX[cpu];
  const requested = opts.threads ?? nativeDefaultThreads();
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`native kernels: threads must be a positive integer, got ${requested}`);
  const owner = {};
  let threads = requested;
  const ensure = (): void => {
    const buf = memory.buffer;
    if (buf !== bound.buffer || bound.owner !== owner) {
      threads = lib.bind(new Uint8Array(buf), requested, path);
      bound.buffer = buf;
      bound.owner = owner;
    }
  };
  ensure();
  const small = opts.wasmScratchPtr === undefined ? null : loadWasmKernelsSync(memory, opts.wasmScratchPtr);
  const n = (name: string): Fn => lib[name] as Fn;
  const gemm = n("gemm"),
    gemmBatched = n("gemmBatched"),
    im2col = n("im2col"),
    col2im = n("col2im"),
    addBiasRows = n("addBiasRows");
  const addBiasChannels = n("addBiasChannels"),
    biasGradRows = n("biasGradRows"),
    biasGradChannels = n("biasGradChannels");
  const relu = n("relu"),
    reluBackward = n("reluBackward"),
    leakyRelu = n("leakyRelu"),
    leakyReluBackward = n("leakyReluBackward");
  const scale = n("scale"),
    u8ToF32 = n("u8ToF32"),
    adamStep = n("adamStep"),
    rmspropStep = n("rmspropStep"),
    sgdStep = n("sgdStep");
  const u8ToF32Shift = n("u8ToF32Shift"),
    conv2d = n("conv2d"),
    conv2dWeightGrad = n("conv2dWeightGrad"),
    conv2dInputGrad = n("conv2dInputGrad");
  const backend = `native-${cpu}` as KernelBackend;
  const smallBatched = small ? gemmBatchedByLoop(small.gemm) : null;

  const kernels: NativeKernels = {
    backend,
    memory,
    cpu,
    get threads() {
      return threads;
    },
    gemm(transA, transB, m, nn, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      if (small && (m * nn * k < GEMM_WASM_MACS || (m === 1 && nn * k < GEMM_ROW_WASM_MACS)))
        return small.gemm(transA, transB, m, nn, k, alpha, a, lda, b, ldb, beta, c, ldc);
      ensure();
      gemm(transA, transB, m, nn, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    gemmBatched(transA, transB, m, nn, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch) {
      if (smallBatched && (m * nn * k < GEMM_WASM_MACS || (m === 1 && nn * k < GEMM_ROW_WASM_MACS))) {
        return smallBatched(transA, transB, m, nn, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
      }
      ensure();
      gemmBatched(transA, transB, m, nn, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    },
    im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, col, ldcol) {
      if (small && c * kh * kw * outH * outW < EW_WASM_LEN) return small.im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, col, ldcol);
      ensure();
      im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, col, ldcol);
    },
    col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, dx) {
      if (small && c * kh * kw * outH * outW < EW_WASM_LEN) return small.col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, dx);
      ensure();
      col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, dx);
    },
    addBiasRows(y, bias, rows, cols) {
      if (small && rows * cols < EW_WASM_LEN) return small.addBiasRows(y, bias, rows, cols);
      ensure();
      addBiasRows(y, bias, rows, cols);
    },
    addBiasChannels(y, bias, nn, channels, hw) {
      if (small && nn * channels * hw < EW_WASM_LEN) return small.addBiasChannels(y, bias, nn, channels, hw);
      ensure();
      addBiasChannels(y, bias, nn, channels, hw);
    },
    biasGradRows(dy, db, rows, cols) {
      if (small && rows * cols < EW_WASM_LEN) return small.biasGradRows(dy, db, rows, cols);
      ensure();
      biasGradRows(dy, db, rows, cols);
    },
    biasGradChannels(dy, db, nn, channels, hw) {
      if (small && nn * channels * hw < EW_WASM_LEN) return small.biasGradChannels(dy, db, nn, channels, hw);
      ensure();
      biasGradChannels(dy, db, nn, channels, hw);
    },
    relu(x, y, len) {
      if (small && len < EW_WASM_LEN) return small.relu(x, y, len);
      ensure();
      relu(x, y, len);
    },
    reluBackward(y, dy, dx, len) {
      if (small && len < EW_WASM_LEN) return small.reluBackward(y, dy, dx, len);
      ensure();
      reluBackward(y, dy, dx, len);
    },
    leakyRelu(x, y, len, slope) {
      if (small && len < EW_WASM_LEN) return small.leakyRelu(x, y, len, slope);
      ensure();
      leakyRelu(x, y, len, slope);
    },
    leakyReluBackward(x, dy, dx, len, slope) {
      if (small && len < EW_WASM_LEN) return small.leakyReluBackward(x, dy, dx, len, slope);
      ensure();
      leakyReluBackward(x, dy, dx, len, slope);
    },
    scale(x, len, s) {
      if (small && len < EW_WASM_LEN) return small.scale(x, len, s);
      ensure();
      scale(x, len, s);
    },
    sumSquares(x, len) {
      if (small && len < EW_WASM_LEN) return small.sumSquares(x, len);
      ensure();
      return lib.sumSquares(x, len);
    },
    u8ToF32(src, dst, len, s) {
      if (small && len < EW_WASM_LEN) return small.u8ToF32(src, dst, len, s);
      ensure();
      u8ToF32(src, dst, len, s);
    },
    u8ToF32Shift(src, dst, nn, c, h, w, pad, shifts, s) {
      if (small && nn * c * h * w < EW_WASM_LEN) return small.u8ToF32Shift(src, dst, nn, c, h, w, pad, shifts, s);
      ensure();
      u8ToF32Shift(src, dst, nn, c, h, w, pad, shifts, s);
    },
    conv2d(x, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, weight, y) {
      ensure();
      conv2d(x, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, weight, y);
    },
    conv2dWeightGrad(x, dy, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, dw) {
      ensure();
      conv2dWeightGrad(x, dy, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, dw);
    },
    conv2dInputGrad(dy, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, weight, dx) {
      ensure();
      conv2dInputGrad(dy, nn, c, h, w, o, kh, kw, sh, sw, outH, outW, weight, dx);
    },
    adamStep(p, g, m, v, len, lr, beta1, beta2, eps, weightDecay, bc1, bc2) {
      if (small && len < OPT_WASM_LEN) return small.adamStep(p, g, m, v, len, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
      ensure();
      adamStep(p, g, m, v, len, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    },
    rmspropStep(p, g, sq, buf, len, lr, alpha, eps, weightDecay, momentum) {
      if (small && len < OPT_WASM_LEN) return small.rmspropStep(p, g, sq, buf, len, lr, alpha, eps, weightDecay, momentum);
      ensure();
      rmspropStep(p, g, sq, buf, len, lr, alpha, eps, weightDecay, momentum);
    },
    sgdStep(p, g, buf, len, lr, momentum, dampening, weightDecay, nesterov, first) {
      if (small && len < OPT_WASM_LEN) return small.sgdStep(p, g, buf, len, lr, momentum, dampening, weightDecay, nesterov, first);
      ensure();
      sgdStep(p, g, buf, len, lr, momentum, dampening, weightDecay, nesterov, first);
    },
  };
  return kernels;
}
