/**
 * What bundlers load instead of ./native.ts for a browser (package.json "browser" field): the
 * same exports, reporting the native kernels as unavailable, so a web bundle holds nothing of
 * the Node-API loader.
 */
import type { NativeInfo, NativeKernels } from "./native.js";

export type { NativeCpuPath, NativeInfo, NativeKernels, NativeKernelsOptions } from "./native.js";

const REASON = "native kernels run in Node only";

export function nativeDefaultThreads(): number {
  return 1;
}

export function nativeInfo(): NativeInfo {
  return { available: false, error: REASON, file: "", cpuPaths: [], cpuFeatures: [], cpus: 1 };
}

export function createNativeKernels(): NativeKernels {
  throw new Error(`native kernels unavailable: ${REASON}`);
}
