/** Shared helpers for the nn tests. */
import assert from "node:assert/strict";
import { type BackendKind, nativeInfo, requestedBackend } from "../../src/nn/kernels/index.js";
import { detectWasmVariant } from "../../src/nn/kernels/wasm.js";
import type { SafeTensor } from "../../src/nn/safetensors.js";
import { toFloat32 } from "../../src/nn/safetensors.js";
import { defaultArena, type Tensor } from "../../src/nn/tensor.js";

/**
 * The kernel backends the nn tests run on: the one DEEPQ_KERNELS names if set (npm test runs the
 * nn tests a second time with DEEPQ_KERNELS=wasm), else every one available here — native when it
 * is built, WebAssembly, TypeScript.
 */
export function testBackends(): BackendKind[] {
  const forced = requestedBackend();
  if (forced !== undefined) return [forced];
  const out: BackendKind[] = [];
  if (nativeInfo().available) out.push("native");
  if (detectWasmVariant() !== null) out.push("wasm");
  out.push("js");
  return out;
}

/** Why the native kernels are not among `testBackends()`, for skip messages (undefined when they are available). */
export function nativeSkipReason(): string | undefined {
  const info = nativeInfo();
  return info.available ? undefined : `native kernels unavailable (${info.error}); native-specific tests skipped`;
}

/** The tensors under `prefix/` with the prefix removed (fixture groups such as `init/`). */
export function group(tensors: ReadonlyMap<string, SafeTensor>, prefix: string): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const [k, v] of tensors) if (k.startsWith(`${prefix}/`)) out.set(k.slice(prefix.length + 1), v);
  return out;
}

export function get(tensors: ReadonlyMap<string, SafeTensor>, name: string): SafeTensor {
  const t = tensors.get(name);
  assert.ok(t, `fixture tensor "${name}" missing`);
  return t;
}

export function f32(tensors: ReadonlyMap<string, SafeTensor>, name: string): Float32Array {
  return toFloat32(get(tensors, name));
}

export function tensorFrom(t: SafeTensor): Tensor {
  return defaultArena().tensor(t.shape, toFloat32(t));
}

/**
 * Largest error relative to the reference, elementwise |a − b| / (|b| + floor) where the
 * floor is `floorFrac` (default 1%) of the reference's largest magnitude. Entries far
 * below the tensor's scale are sums that cancel; float32 rounding of the large terms
 * (which depends on summation order, i.e. on the GEMM) dominates them, so they are
 * judged against the tensor's scale rather than their own.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floorFrac = 1e-2, mask?: ArrayLike<boolean>): { err: number; at: number } {
  assert.equal(a.length, b.length, "length mismatch");
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i]!));
  const floor = Math.max(maxAbs * floorFrac, 1e-30);
  let err = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    const e = Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor);
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string, mask?: ArrayLike<boolean>, floorFrac = 1e-2): number {
  const { err, at } = relErr(a, b, floorFrac, mask);
  assert.ok(err <= tol, `${what}: relative error ${err.toExponential(2)} > ${tol} at index ${at} (got ${a[at]}, expected ${b[at]})`);
  return err;
}
