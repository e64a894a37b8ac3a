/**
 * The DrQ random-shift kernel `u8ToF32Shift` on every backend (`testBackends()`: the one
 * DEEPQ_KERNELS names, else native on each CPU path with 1 and 2 threads, both WebAssembly
 * variants, TypeScript): exactly PyTorch's ReplicationPad2d(4) + 84×84 crop at the fixture's
 * stored shifts (`torch-dqn-family/torch-drq-shift`), with and without the 1/255 scale; offsets
 * beyond the padding and odd sizes against the clamp formula; the native bounds checks.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Kernels } from "../../src/nn/kernels/abi.js";
import { createJsKernels, createNativeKernels, nativeInfo } from "../../src/nn/kernels/index.js";
import { detectWasmVariant, loadWasmKernelsSync, WASM_SCRATCH_BYTES, type WasmVariant } from "../../src/nn/kernels/wasm.js";
import { loadFixture } from "../helpers/fixtures.js";
import { testBackends } from "./util.js";

/** Named kernel factories for every backend under test, each on a fresh memory with a WebAssembly scratch area at 0. */
function backends(): { name: string; make: (memory: WebAssembly.Memory) => Kernels }[] {
  const out: { name: string; make: (memory: WebAssembly.Memory) => Kernels }[] = [];
  for (const kind of testBackends()) {
    if (kind === "native") {
      for (const cpu of nativeInfo().cpuPaths) {
        for (const threads of [1, 2]) out.push({ name: `native-${cpu} ×${threads}`, make: (m) => createNativeKernels(m, { cpu, threads }) });
      }
    } else if (kind === "wasm") {
      const best = detectWasmVariant();
      const variants: WasmVariant[] = best === "wasm-relaxed-simd" ? ["wasm-simd", "wasm-relaxed-simd"] : best === null ? [] : ["wasm-simd"];
      for (const v of variants) out.push({ name: v, make: (m) => loadWasmKernelsSync(m, 0, v)! });
    } else {
      out.push({ name: "js", make: createJsKernels });
    }
  }
  return out;
}

/** Byte offsets of the kernel's operands in a memory of `pages` pages, above the scratch area; `src` is deliberately odd. */
function layout(memory: WebAssembly.Memory, n: number, len: number): { src: number; shifts: number; dst: number } {
  const src = WASM_SCRATCH_BYTES + 1;
  const shifts = (src + len + 15) & ~15;
  const dst = shifts + 16 * n;
  const need = dst + 4 * len - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
  return { src, shifts, dst };
}

/** The definition: dst[i][ch][y][x] = src[i][ch][clamp(y + dy − pad)][clamp(x + dx − pad)] · fround(s). */
function shifted(src: Uint8Array, shifts: Int32Array, n: number, c: number, h: number, w: number, pad: number, s: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sy = clamp(y + shifts[2 * i]! - pad, h - 1);
          const sx = clamp(x + shifts[2 * i + 1]! - pad, w - 1);
          out[((i * c + ch) * h + y) * w + x] = src[((i * c + ch) * h + sy) * w + sx]! * Math.fround(s);
        }
      }
    }
  }
  return out;
}

function run(k: Kernels, input: Uint8Array, shifts: Int32Array, n: number, c: number, h: number, w: number, pad: number, s: number): Float32Array {
  const p = layout(k.memory, n, input.length);
  new Uint8Array(k.memory.buffer).set(input, p.src);
  new Int32Array(k.memory.buffer, p.shifts, 2 * n).set(shifts);
  // Stale values in dst must not survive.
  new Float32Array(k.memory.buffer, p.dst, input.length).fill(Number.NaN);
  k.u8ToF32Shift(p.src, p.dst, n, c, h, w, pad, p.shifts, s);
  return new Float32Array(k.memory.buffer, p.dst, input.length).slice();
}

function assertSame(got: Float32Array, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

function randomBytes(len: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: len }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

const fixture = loadFixture("torch-dqn-family/torch-drq-shift.safetensors");
const tensor = (name: string) => {
  const t = fixture.tensors.get(name);
  assert.ok(t, `fixture tensor "${name}" missing`);
  return t;
};
const input = tensor("input");
const output = tensor("output");
const shiftTensor = tensor("shifts");
assert.deepEqual(
  [input.shape, output.shape, shiftTensor.shape],
  [
    [8, 4, 84, 84],
    [8, 4, 84, 84],
    [8, 2],
  ],
  "fixture shapes",
);
const fixtureShifts = Int32Array.from(shiftTensor.data as BigInt64Array, (v) => Number(v));
const [N, C, H, W] = input.shape as [number, number, number, number];

for (const backend of backends()) {
  describe(`u8ToF32Shift (${backend.name})`, () => {
    const k = backend.make(new WebAssembly.Memory({ initial: 32 }));

    it("equals PyTorch's ReplicationPad2d(4) + crop at the fixture's shifts, exactly", () => {
      assertSame(run(k, input.data as Uint8Array, fixtureShifts, N, C, H, W, 4, 1), output.data as Uint8Array, "output");
      const scaled = Float32Array.from(output.data as Uint8Array, (v) => v * Math.fround(1 / 255));
      assertSame(run(k, input.data as Uint8Array, fixtureShifts, N, C, H, W, 4, 1 / 255), scaled, "output / 255");
    });

    it("(pad, pad) is the identity, as u8ToF32", () => {
      const identity = new Int32Array(2 * N).fill(4);
      assertSame(run(k, input.data as Uint8Array, identity, N, C, H, W, 4, 1), input.data as Uint8Array, "identity");
    });

    it("clamps offsets beyond the padding and handles odd sizes", () => {
      const cases: [number, number, number, number, number][] = [
        [3, 2, 5, 3, 2],
        [2, 1, 7, 19, 1],
        [4, 3, 9, 33, 6],
        [1, 1, 1, 1, 0],
      ];
      for (const [n, c, h, w, pad] of cases) {
        const src = randomBytes(n * c * h * w, n * 1000 + w);
        const shifts = Int32Array.from({ length: 2 * n }, (_, j) => [-50, 0, 2 * pad, 50, pad + 1, pad - 1, w, -w][(j + h) % 8]!);
        assertSame(run(k, src, shifts, n, c, h, w, pad, 0.5), shifted(src, shifts, n, c, h, w, pad, 0.5), `[${n}, ${c}, ${h}, ${w}] pad ${pad}`);
      }
    });

    if (backend.name.startsWith("native")) {
      it("refuses ranges outside the memory", () => {
        const end = k.memory.buffer.byteLength;
        assert.throws(() => k.u8ToF32Shift(0, WASM_SCRATCH_BYTES, 1, 1, 4, 4, 1, end - 4, 1), /shifts out of range/);
        assert.throws(() => k.u8ToF32Shift(end - 8, WASM_SCRATCH_BYTES, 1, 1, 4, 4, 1, 0, 1), /src out of range/);
        assert.throws(() => k.u8ToF32Shift(0, end - 16, 1, 1, 4, 4, 1, 0, 1), /dst out of range/);
      });
    }
  });
}
