// The native kernels (native/*.c through src/nn/kernels/native.ts) against the TypeScript reference
// kernels (createJsKernels) on the same memory, on every CPU path this machine runs (AVX-512, AVX2,
// generic): all transposes, odd sizes, padded leading dimensions, alpha/beta (beta = 0 over NaN);
// bit-identical results for 1, 2 and 3 threads; bounds checks; memory growth and shared memories.
// Tolerances as in kernels.test.ts: the f32 dot-product bound (k+2)·u·(|α|·Σ|a·b| + |β·c|) for
// GEMM, exact for copies, (terms+1)·u of the magnitudes for sums, 1e-6 relative for optimizer steps.
// Everything here skips, saying why, when the native library is not built.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QLoss, tdTargets } from "../../src/agents/td.js";
import { infoLines, kernelsSummary } from "../../src/cli/info.js";
import type { Kernels } from "../../src/nn/kernels/abi.js";
import { createJsKernels, createNativeKernels, defaultBackend, kernelBackendInfo, type NativeCpuPath, nativeInfo } from "../../src/nn/kernels/index.js";
import { natureCnn } from "../../src/nn/nets.js";
import { RMSprop } from "../../src/nn/optim.js";
import { Rng } from "../../src/nn/rng.js";
import { Arena } from "../../src/nn/tensor.js";
import { nativeSkipReason } from "./util.js";

const U = 2 ** -24;
const skip = nativeSkipReason() ?? false;
const paths: NativeCpuPath[] = skip ? [] : nativeInfo().cpuPaths;

/** A bump allocator over a test memory (no scratch area: every native call stays native). */
class Mem {
  readonly memory = new WebAssembly.Memory({ initial: 64 });
  private top = 64;
  private seed = 1;
  get f(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }
  reset(): void {
    this.top = 64;
  }
  alloc(len: number, misalign = false): number {
    const ptr = this.top + (misalign ? 4 : 0);
    this.top = (ptr + 4 * len + 15) & ~15;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    return ptr;
  }
  random(len: number, misalign = false): number {
    const p = this.alloc(len, misalign);
    const f = this.f;
    for (let i = 0; i < len; i++) {
      this.seed = (this.seed * 1103515245 + 12345) >>> 0;
      f[p / 4 + i] = (this.seed / 2 ** 32) * 2 - 1;
    }
    return p;
  }
  fill(len: number, v: number): number {
    const p = this.alloc(len);
    this.f.fill(v, p / 4, p / 4 + len);
    return p;
  }
  read(p: number, len: number): Float64Array {
    return Float64Array.from(this.f.subarray(p / 4, p / 4 + len));
  }
  copy(p: number, len: number): number {
    const q = this.alloc(len);
    this.f.copyWithin(q / 4, p / 4, p / 4 + len);
    return q;
  }
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: ArrayLike<number> | number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const t = typeof tol === "number" ? tol : tol[i]!;
    if (!(Math.abs(got[i]! - want[i]!) <= t)) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (tol ${t})`);
  }
}

function bitsEqual(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length),
    ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}[${i}]: ${a[i]} ≠ ${b[i]}`);
}

describe("native kernels: library", () => {
  it("is built and loads, or the native tests skip with the reason", (t) => {
    if (skip) {
      t.skip(skip);
      return;
    }
    const info = nativeInfo();
    assert.ok(info.available);
    assert.ok(info.cpuPaths.length > 0 && info.cpuPaths.at(-1) === "generic", `paths ${info.cpuPaths}`);
    assert.ok(info.cpus >= 1);
  });

  it("is the default backend unless DEEPQ_KERNELS says otherwise", { skip }, () => {
    const forced = process.env.DEEPQ_KERNELS;
    if (forced === undefined) {
      assert.equal(defaultBackend(), "native");
      assert.match(new Arena().kernels.backend, /^native-/);
      const info = kernelBackendInfo();
      assert.match(info.backend, /^native-/);
      assert.ok(info.threads >= 1);
      assert.deepEqual(info.cpuFeatures, nativeInfo().cpuFeatures);
    }
  });

  it("deepq info reports the backend, threads and the native build (or why there is none)", () => {
    const info = kernelBackendInfo();
    const lines = infoLines().join("\n");
    assert.match(lines, new RegExp(`kernels: +${info.backend}\n`));
    assert.match(lines, new RegExp(`threads: +${info.threads}\n`));
    assert.match(lines, skip ? /native build: none — / : /native build: .*deepq_native\.node/);
    assert.match(kernelsSummary(), new RegExp(`^kernels ${info.backend}, ${info.threads} threads?$`));
  });

  it("DEEPQ_CPU forces a path; an unsupported or unknown one is an error", { skip }, () => {
    const saved = process.env.DEEPQ_CPU;
    try {
      process.env.DEEPQ_CPU = "generic";
      assert.equal(createNativeKernels(new WebAssembly.Memory({ initial: 1 })).backend, "native-generic");
      process.env.DEEPQ_CPU = "avx1024";
      assert.throws(() => createNativeKernels(new WebAssembly.Memory({ initial: 1 })), /DEEPQ_CPU=avx1024/);
      for (const p of ["avx512", "avx2"] as const) {
        if (paths.includes(p)) continue;
        process.env.DEEPQ_CPU = p;
        assert.throws(() => createNativeKernels(new WebAssembly.Memory({ initial: 1 })), /cannot run/);
      }
    } finally {
      if (saved === undefined) delete process.env.DEEPQ_CPU;
      else process.env.DEEPQ_CPU = saved;
    }
  });

  it("throws a RangeError for offsets outside the memory, never touching it", { skip }, () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = createNativeKernels(memory, { threads: 1 });
    const end = memory.buffer.byteLength;
    assert.throws(() => k.gemm(0, 0, 4, 4, 4, 1, 0, 4, 64, 4, 0, end - 32, 4), RangeError);
    assert.throws(() => k.gemm(0, 0, 4, 4, 4, 1, end, 4, 64, 4, 0, 128, 4), RangeError);
    assert.throws(() => k.gemm(1, 0, 4, 4, 10_000, 1, 0, 4, 64, 4, 0, 128, 4), /a out of range/);
    assert.throws(() => k.gemm(0, 0, 4, 4, 4, 1, 2, 4, 64, 4, 0, 128, 4), RangeError, "misaligned f32 offset");
    assert.throws(() => k.relu(0, 0, end / 4 + 1), RangeError);
    assert.throws(() => k.relu(-4, 0, 1), RangeError);
    assert.throws(() => k.im2col(0, 1, 200, 200, 3, 3, 1, 1, 0, 0, 198, 198, 0, 198 * 198), RangeError);
    assert.throws(() => k.adamStep(0, 0, 0, end - 4, 2, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 1), RangeError);
    assert.throws(() => k.u8ToF32(end - 3, 0, 4, 1), RangeError);
    assert.throws(() => k.gemm(0, 0, 4, 4, 4, 1, 0, 4, 64, 4, 0, 128, 4.5), RangeError, "a fractional stride");
    // A zero-sized call touches nothing, wherever it points; beta = 0 with k = 0 writes only C.
    k.relu(end, end, 0);
    k.gemm(0, 0, 2, 2, 0, 1, end + 1e6, 1, end + 1e6, 1, 0, 0, 2);
  });

  it("follows the memory through growth and works on shared memories", { skip }, () => {
    for (const shared of [false, true]) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared });
      const k = createNativeKernels(memory, { threads: 2 });
      new Float32Array(memory.buffer).fill(-1, 0, 16);
      k.relu(0, 0, 16);
      assert.deepEqual([...new Float32Array(memory.buffer, 0, 16)], new Array(16).fill(0));
      memory.grow(3); // detaches a plain memory's buffer: the next call must rebind
      const f = new Float32Array(memory.buffer);
      const at = (3 * 65536) / 4;
      f.fill(2, at, at + 8);
      k.scale(at * 4, 8, 1.5);
      assert.deepEqual([...f.subarray(at, at + 8)], new Array(8).fill(3), `shared=${shared}`);
    }
  });

  it("keeps two kernel objects on two memories apart (rebinding per call)", { skip }, () => {
    const m1 = new WebAssembly.Memory({ initial: 1 }),
      m2 = new WebAssembly.Memory({ initial: 1 });
    const k1 = createNativeKernels(m1, { threads: 1 }),
      k2 = createNativeKernels(m2, { threads: 2 });
    new Float32Array(m1.buffer).fill(1, 0, 4);
    new Float32Array(m2.buffer).fill(1, 0, 4);
    k1.scale(0, 4, 2);
    k2.scale(0, 4, 3);
    k1.scale(0, 4, 2);
    assert.deepEqual([...new Float32Array(m1.buffer, 0, 4)], [4, 4, 4, 4]);
    assert.deepEqual([...new Float32Array(m2.buffer, 0, 4)], [3, 3, 3, 3]);
    assert.equal(k1.threads, 1);
    assert.ok(k2.threads >= 1);
  });
});

for (const cpu of paths) {
  describe(`native kernels (${cpu}) against the TypeScript kernels`, () => {
    const mem = new Mem();
    const k: Kernels = createNativeKernels(mem.memory, { cpu, threads: 2 });
    const ref = createJsKernels(mem.memory);

    it("reports its path", () => assert.equal(k.backend, `native-${cpu}`));

    it("gemm: all transposes, odd sizes, padded strides, alpha/beta, beta = 0 over NaN", () => {
      const dims = [1, 3, 8, 17, 33, 257];
      const extra: Array<[number, number, number]> = [
        [32, 400, 256],
        [64, 81, 512],
        [576, 49, 64],
        [5, 512, 32],
        [128, 4, 64],
        [2, 300, 700],
      ];
      const shapes: Array<[number, number, number]> = [...extra];
      for (const m of dims) for (const n of dims) for (const kk of [1, 8, 17, 24, 257]) if (m * n * kk <= 257 * 257 * 17) shapes.push([m, n, kk]);
      const scalars: Array<[number, number]> = [
        [1, 0],
        [-0.5, 1],
        [0.75, 0.3],
        [2, 0],
      ];
      let caseNo = 0;
      for (const [m, n, kk] of shapes) {
        for (let ta = 0; ta < 2; ta++) {
          for (let tb = 0; tb < 2; tb++) {
            const [alpha, beta] = scalars[caseNo % scalars.length]!;
            const odd = caseNo % 2 === 1;
            caseNo++;
            mem.reset();
            const lda = (ta ? m : kk) + (odd ? 3 : 0),
              ldb = (tb ? kk : n) + (odd ? 1 : 0),
              ldc = n + (odd ? 5 : 0);
            const a = mem.random((ta ? kk : m) * lda, odd),
              b = mem.random((tb ? n : kk) * ldb, !odd);
            const c = beta === 0 ? mem.fill(m * ldc, NaN) : mem.random(m * ldc, odd);
            const cRef = mem.copy(c, m * ldc);
            const A = mem.read(a, (ta ? kk : m) * lda),
              B = mem.read(b, (tb ? n : kk) * ldb),
              C0 = mem.read(c, m * ldc);
            k.gemm(ta as 0 | 1, tb as 0 | 1, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
            ref.gemm(ta as 0 | 1, tb as 0 | 1, m, n, kk, alpha, a, lda, b, ldb, beta, cRef, ldc);
            const got = mem.read(c, m * ldc),
              want = mem.read(cRef, m * ldc),
              tol = new Float64Array(m * ldc);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < ldc; j++) {
                const q = i * ldc + j;
                if (j >= n) {
                  // padding columns stay untouched (NaN stays NaN)
                  assert.ok(Object.is(got[q], C0[q]) || (Number.isNaN(got[q]!) && Number.isNaN(C0[q]!)), `padding touched at ${i},${j}`);
                  got[q] = want[q] = 0;
                  continue;
                }
                let mag = 0;
                for (let p = 0; p < kk; p++) mag += Math.abs((ta ? A[p * lda + i]! : A[i * lda + p]!) * (tb ? B[j * ldb + p]! : B[p * ldb + j]!));
                tol[q] = 2 * (kk + 2) * U * (Math.abs(alpha) * mag + Math.abs(beta === 0 ? 0 : beta * C0[q]!)) + 1e-30;
              }
            }
            close(got, want, tol, `gemm ta=${ta} tb=${tb} ${m}×${n}×${kk} α=${alpha} β=${beta}`);
          }
        }
      }
    });

    it("gemmBatched: shared operands (stride 0), one accumulated C (strideC = 0), per-product C, all transposes", () => {
      // [m, n, k, batch]: conv forward (A shared), weight gradient (C shared), input gradient, and small/odd ones.
      const shapes: Array<[number, number, number, number]> = [
        [32, 400, 256, 4],
        [64, 49, 576, 3],
        [3, 17, 33, 5],
        [1, 40, 9, 4],
        [70, 9, 300, 2],
        [13, 40, 515, 3],
        [13, 40, 70, 17],
        [32, 64, 49, 32],
        // Shared C, batch ≥ 16 and k ≤ 128: the groups' products concatenated along k (k-blocks of
        // ⌊256 / k⌋ products, a short last block, odd m and n tails), and k just above that bound.
        [7, 33, 81, 19],
        [6, 16, 128, 16],
        [20, 35, 129, 16],
        [64, 50, 9, 21],
      ];
      for (const [m, n, kk, batch] of shapes) {
        for (let ta = 0; ta < 2; ta++) {
          for (let tb = 0; tb < 2; tb++) {
            for (const [shareA, shareB, shareC] of [
              [1, 0, 0],
              [0, 0, 1],
              [0, 1, 0],
              [0, 0, 0],
            ]) {
              mem.reset();
              const lda = (ta ? m : kk) + 1,
                ldb = (tb ? kk : n) + 2,
                ldc = n + 1;
              const aSize = (ta ? kk : m) * lda,
                bSize = (tb ? n : kk) * ldb,
                cSize = m * ldc;
              const strideA = shareA ? 0 : aSize + 3,
                strideB = shareB ? 0 : bSize + 1,
                strideC = shareC ? 0 : cSize + 2;
              const a = mem.random(strideA * (batch - 1) + aSize),
                b = mem.random(strideB * (batch - 1) + bSize);
              const cLen = strideC * (batch - 1) + cSize;
              const c = mem.random(cLen),
                cRef = mem.copy(c, cLen);
              const beta = shareC ? 1 : 0.5;
              k.gemmBatched(ta as 0 | 1, tb as 0 | 1, m, n, kk, 0.75, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
              ref.gemmBatched(ta as 0 | 1, tb as 0 | 1, m, n, kk, 0.75, a, lda, strideA, b, ldb, strideB, beta, cRef, ldc, strideC, batch);
              const want = mem.read(cRef, cLen);
              const scale = want.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
              close(
                mem.read(c, cLen),
                want,
                2 * (kk * batch + 2) * U * (kk + 1) * (scale + 1),
                `gemmBatched ta=${ta} tb=${tb} ${m}×${n}×${kk}×${batch} share ${[shareA, shareB, shareC]}`,
              );
            }
          }
        }
      }
      // Overlapping C matrices are refused.
      assert.throws(() => k.gemmBatched(0, 0, 2, 2, 2, 1, 0, 2, 4, 0, 2, 4, 0, 64, 2, 2, 2), /overlap/);
    });

    it("gemm: k = 0 and alpha = 0 scale C by beta without reading A or B", () => {
      mem.reset();
      const c = mem.fill(6, NaN);
      k.gemm(0, 0, 2, 3, 0, 1, 0, 1, 0, 1, 0, c, 3);
      assert.deepEqual([...mem.read(c, 6)], [0, 0, 0, 0, 0, 0]);
      const c2 = mem.fill(6, 2),
        nanA = mem.fill(6, NaN);
      k.gemm(0, 1, 2, 3, 2, 0, nanA, 2, nanA, 2, 0.5, c2, 3);
      assert.deepEqual([...mem.read(c2, 6)], [1, 1, 1, 1, 1, 1]);
    });

    const convCases = [
      [3, 7, 9, 3, 3, 1, 1, 1, 1],
      [2, 8, 8, 8, 8, 4, 4, 0, 0],
      [1, 5, 6, 2, 3, 2, 2, 0, 1],
      [2, 9, 11, 3, 2, 2, 3, 1, 2],
      [1, 4, 4, 5, 5, 1, 1, 2, 2],
      [4, 84, 84, 8, 8, 4, 4, 0, 0],
      [2, 12, 13, 4, 4, 2, 2, 1, 1],
      [3, 30, 29, 8, 8, 2, 3, 3, 0],
      [32, 20, 20, 4, 4, 2, 2, 0, 0],
      [64, 9, 9, 3, 3, 1, 1, 0, 0],
      // Stride 1 without horizontal padding (whole-vector runs): short runs, vertical padding, runs longer than a vector.
      [2, 6, 5, 3, 2, 1, 1, 1, 0],
      [1, 5, 12, 2, 3, 1, 1, 0, 0],
      [3, 19, 20, 2, 2, 1, 1, 2, 0],
    ] as const;
    const out = (h: number, kh: number, s: number, p: number) => Math.floor((h + 2 * p - kh) / s) + 1;

    it("im2col and col2im (exact copies; col2im sums to the reference within rounding)", () => {
      for (const [c, h, w, kh, kw, sh, sw, ph, pw] of convCases) {
        mem.reset();
        const oh = out(h, kh, sh, ph),
          ow = out(w, kw, sw, pw),
          rows = c * kh * kw,
          cols = oh * ow,
          ldcol = cols + 7;
        const x = mem.random(c * h * w, true);
        const col = mem.fill(rows * ldcol, -7),
          colRef = mem.fill(rows * ldcol, -7);
        k.im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, col, ldcol);
        ref.im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, colRef, ldcol);
        close(mem.read(col, rows * ldcol), mem.read(colRef, rows * ldcol), 0, `im2col ${[c, h, w, kh, kw, sh, sw, ph, pw]}`);
        const dx = mem.random(c * h * w),
          dxRef = mem.copy(dx, c * h * w);
        const mag = mem.read(dx, c * h * w).map(Math.abs);
        k.col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, dx);
        ref.col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, dxRef);
        const terms = kh * kw + 1;
        close(
          mem.read(dx, c * h * w),
          mem.read(dxRef, c * h * w),
          mag.map((v) => (terms + 1) * U * (v + 10 * terms)),
          `col2im ${[c, h, w, kh, kw]}`,
        );
      }
    });

    // [n, c, h, w, o, kh, kw, sh, sw]: the DQN nets' layers (fewer images), odd channel counts around the
    // vector and panel widths, strides that skip input rows and columns, a 1×1 output.
    const directCases = [
      [3, 4, 84, 84, 16, 8, 8, 4, 4],
      [2, 16, 20, 20, 32, 4, 4, 2, 2],
      [2, 32, 9, 9, 64, 3, 3, 1, 1],
      [1, 3, 7, 9, 5, 3, 2, 2, 3],
      [5, 2, 6, 5, 17, 2, 2, 1, 1],
      [2, 1, 10, 11, 33, 3, 3, 4, 3],
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
      [7, 3, 5, 5, 40, 5, 5, 1, 1],
    ] as const;

    it("conv2d, conv2dWeightGrad and conv2dInputGrad: what im2col, a GEMM per image and col2im compute", () => {
      const kd = k as Required<Kernels>;
      for (const [n, c, h, w, o, kh, kw, sh, sw] of directCases) {
        mem.reset();
        const oh = out(h, kh, sh, 0),
          ow = out(w, kw, sw, 0),
          p = oh * ow,
          kk = c * kh * kw;
        const x = mem.random(n * c * h * w),
          wt = mem.random(o * kk),
          y = mem.fill(n * o * p, NaN),
          dy = mem.random(n * o * p),
          dw = mem.random(o * kk);
        const X = mem.read(x, n * c * h * w),
          W = mem.read(wt, o * kk),
          DY = mem.read(dy, n * o * p),
          DW0 = mem.read(dw, o * kk);
        kd.conv2d(x, n, c, h, w, o, kh, kw, sh, sw, oh, ow, wt, y);
        kd.conv2dWeightGrad(x, dy, n, c, h, w, o, kh, kw, sh, sw, oh, ow, dw);
        const dx = mem.fill(n * c * h * w, NaN);
        kd.conv2dInputGrad(dy, n, c, h, w, o, kh, kw, sh, sw, oh, ow, wt, dx);
        // Float64 references and the magnitudes Σ|a·b| that bound an f32 sum's rounding.
        const Y = new Float64Array(n * o * p),
          Ymag = new Float64Array(n * o * p),
          DW = Float64Array.from(DW0),
          DWmag = DW0.map(Math.abs),
          DX = new Float64Array(n * c * h * w),
          DXmag = new Float64Array(n * c * h * w);
        for (let b = 0; b < n; b++)
          for (let oc = 0; oc < o; oc++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++) {
                const yi = (b * o + oc) * p + oy * ow + ox;
                for (let ci = 0; ci < c; ci++)
                  for (let i = 0; i < kh; i++)
                    for (let j = 0; j < kw; j++) {
                      const wi = ((oc * c + ci) * kh + i) * kw + j;
                      const xi = ((b * c + ci) * h + oy * sh + i) * w + ox * sw + j;
                      const xv = X[xi]!;
                      Y[yi]! += W[wi]! * xv;
                      Ymag[yi]! += Math.abs(W[wi]! * xv);
                      DW[wi]! += DY[yi]! * xv;
                      DWmag[wi]! += Math.abs(DY[yi]! * xv);
                      DX[xi]! += DY[yi]! * W[wi]!;
                      DXmag[xi]! += Math.abs(DY[yi]! * W[wi]!);
                    }
              }
        const what = `${[n, c, h, w, o, kh, kw, sh, sw]}`;
        close(
          mem.read(y, n * o * p),
          Y,
          Ymag.map((v) => (kk + 2) * U * v),
          `conv2d ${what}`,
        );
        close(
          mem.read(dw, o * kk),
          DW,
          DWmag.map((v) => (n * p + 3) * U * v),
          `conv2dWeightGrad ${what}`,
        );
        // A pixel sums ≤ o·kh·kw terms (pixels no position reads stay 0).
        close(
          mem.read(dx, n * c * h * w),
          DX,
          DXmag.map((v) => (o * kh * kw + 2) * U * v),
          `conv2dInputGrad ${what}`,
        );
      }
    });

    it("conv2d, conv2dWeightGrad and conv2dInputGrad: bit-identical on 1, 2 and 3 threads; bounds and shapes checked", () => {
      const kt = [1, 2, 3].map((threads) => createNativeKernels(mem.memory, { cpu, threads }) as Required<Kernels>);
      for (const [n, c, h, w, o, kh, kw, sh, sw] of [
        [8, 4, 84, 84, 16, 8, 8, 4, 4],
        [32, 16, 20, 20, 32, 4, 4, 2, 2],
        [16, 32, 9, 9, 70, 3, 3, 1, 1],
      ] as const) {
        mem.reset();
        const oh = out(h, kh, sh, 0),
          ow = out(w, kw, sw, 0),
          ylen = n * o * oh * ow,
          wlen = o * c * kh * kw;
        const x = mem.random(n * c * h * w),
          wt = mem.random(wlen),
          dy = mem.random(ylen),
          dw0 = mem.random(wlen);
        const outs = kt.map((kernels) => {
          const y = mem.alloc(ylen),
            dw = mem.copy(dw0, wlen),
            dx = mem.alloc(n * c * h * w);
          kernels.conv2d(x, n, c, h, w, o, kh, kw, sh, sw, oh, ow, wt, y);
          kernels.conv2dWeightGrad(x, dy, n, c, h, w, o, kh, kw, sh, sw, oh, ow, dw);
          kernels.conv2dInputGrad(dy, n, c, h, w, o, kh, kw, sh, sw, oh, ow, wt, dx);
          return [y, dw, dx] as const;
        });
        const f = mem.f;
        for (let t = 1; t < outs.length; t++) {
          const [y, dw, dx] = outs[t]!,
            [y0, dw0t, dx0] = outs[0]!,
            xlen = n * c * h * w;
          bitsEqual(f.subarray(y / 4, y / 4 + ylen), f.subarray(y0 / 4, y0 / 4 + ylen), `conv2d ${[n, c, h, w, o]}, ${t + 1} threads vs 1`);
          bitsEqual(f.subarray(dw / 4, dw / 4 + wlen), f.subarray(dw0t / 4, dw0t / 4 + wlen), `conv2dWeightGrad ${[n, c, h, w, o]}, ${t + 1} threads vs 1`);
          bitsEqual(f.subarray(dx / 4, dx / 4 + xlen), f.subarray(dx0 / 4, dx0 / 4 + xlen), `conv2dInputGrad ${[n, c, h, w, o]}, ${t + 1} threads vs 1`);
        }
      }
      const kd = kt[0]!;
      const end = mem.memory.buffer.byteLength;
      assert.throws(() => kd.conv2d(end - 64, 1, 1, 8, 8, 1, 2, 2, 1, 1, 7, 7, 0, 1024), /x out of range/);
      assert.throws(() => kd.conv2d(0, 1, 1, 8, 8, 1, 2, 2, 1, 1, 8, 7, 4096, 8192), /output size out of range/);
      assert.throws(() => kd.conv2dWeightGrad(0, 0, 1, 1, 8, 8, 1, 2, 2, 0, 1, 7, 7, 4096), /stride out of range/);
      assert.throws(() => kd.conv2d(0, 1, 9000, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), /c·kh·kw out of range/);
      assert.throws(() => kd.conv2dInputGrad(0, 1, 1, 8, 8, 1, 2, 2, 1, 1, 7, 7, 0, end - 64), /dx out of range/);
    });

    it("bias add and bias gradients", () => {
      for (const [rows, cols] of [
        [1, 1],
        [5, 7],
        [32, 512],
        [3, 4],
        [128, 9],
        [300, 33],
      ] as const) {
        mem.reset();
        const y = mem.random(rows * cols),
          yRef = mem.copy(y, rows * cols),
          bias = mem.random(cols, true);
        k.addBiasRows(y, bias, rows, cols);
        ref.addBiasRows(yRef, bias, rows, cols);
        close(mem.read(y, rows * cols), mem.read(yRef, rows * cols), 0, `addBiasRows ${rows}×${cols}`);
        const db = mem.random(cols),
          dbRef = mem.copy(db, cols);
        k.biasGradRows(y, db, rows, cols);
        ref.biasGradRows(y, dbRef, rows, cols);
        close(mem.read(db, cols), mem.read(dbRef, cols), (rows + 2) * U * (rows * 2 + 1), `biasGradRows ${rows}×${cols}`);
      }
      for (const [n, ch, hw] of [
        [1, 1, 1],
        [2, 3, 5],
        [32, 8, 400],
        [3, 64, 49],
        [2, 5, 81],
        [32, 32, 400],
      ] as const) {
        mem.reset();
        const len = n * ch * hw;
        const y = mem.random(len, true),
          yRef = mem.copy(y, len),
          bias = mem.random(ch);
        k.addBiasChannels(y, bias, n, ch, hw);
        ref.addBiasChannels(yRef, bias, n, ch, hw);
        close(mem.read(y, len), mem.read(yRef, len), 0, `addBiasChannels ${n},${ch},${hw}`);
        const db = mem.random(ch),
          dbRef = mem.copy(db, ch);
        k.biasGradChannels(y, db, n, ch, hw);
        ref.biasGradChannels(y, dbRef, n, ch, hw);
        close(mem.read(db, ch), mem.read(dbRef, ch), (n * hw + 2) * U * (n * hw * 2 + 1), `biasGradChannels ${n},${ch},${hw}`);
      }
    });

    it("activations, scale, sumSquares, u8ToF32 (in place and out of place)", () => {
      for (const len of [0, 1, 3, 16, 17, 1000, 100_003]) {
        mem.reset();
        const x = mem.random(len, true),
          dy = mem.random(len);
        // The slopes are rounded to f32 natively (as in WebAssembly), the reference multiplies in f64: one f32 rounding apart.
        const pairs: Array<[string, (kk: Kernels, o: number) => void, number]> = [
          ["relu", (kk, o) => kk.relu(x, o, len), 0],
          ["reluBackward", (kk, o) => kk.reluBackward(x, dy, o, len), 0],
          ["leakyRelu", (kk, o) => kk.leakyRelu(x, o, len, 0.01), 2 * U],
          ["leakyReluBackward", (kk, o) => kk.leakyReluBackward(x, dy, o, len, 0.2), 2 * U],
        ];
        for (const [name, run, rel] of pairs) {
          const o = mem.fill(len, NaN),
            oRef = mem.fill(len, NaN);
          run(k, o);
          run(ref, oRef);
          const want = mem.read(oRef, len);
          close(
            mem.read(o, len),
            want,
            want.map((v) => rel * Math.abs(v)),
            `${name} ${len}`,
          );
        }
        const s = mem.copy(x, len),
          sRef = mem.copy(x, len);
        k.scale(s, len, 0.3);
        ref.scale(sRef, len, 0.3);
        close(mem.read(s, len), mem.read(sRef, len), 1e-7, `scale ${len}`);
        k.relu(s, s, len); // in place
        ref.relu(sRef, sRef, len);
        close(mem.read(s, len), mem.read(sRef, len), 1e-7, `relu in place ${len}`);
        const ss = ref.sumSquares(x, len);
        assert.ok(Math.abs(k.sumSquares(x, len) - ss) <= 1e-12 * ss + 1e-300, `sumSquares ${len}`);
        const src = mem.alloc(len) + 3;
        const bytes = new Uint8Array(mem.memory.buffer, src, len);
        for (let i = 0; i < len; i++) bytes[i] = (i * 37 + 11) & 255;
        const d = mem.alloc(len),
          dRef = mem.alloc(len);
        k.u8ToF32(src, d, len, 1 / 255);
        ref.u8ToF32(src, dRef, len, 1 / 255);
        close(mem.read(d, len), mem.read(dRef, len), 1e-7, `u8ToF32 ${len}`);
      }
    });

    it("adam, rmsprop and sgd steps", () => {
      for (const len of [1, 7, 33, 70_001]) {
        for (const wd of [0, 0.05]) {
          mem.reset();
          const rel = (a: Float64Array) => a.map((v) => 2e-6 * (Math.abs(v) + 1e-3));
          const state = (n: number, positive = false) => {
            const p = mem.random(len);
            if (positive) mem.f.set(mem.read(p, len).map(Math.abs), p / 4);
            return Array.from({ length: n }, (_, i) => (i === 0 ? p : mem.copy(p, len)));
          };
          const [p, pR] = state(2),
            g = mem.random(len),
            [m, mR] = state(2),
            [v, vR] = state(2, true);
          k.adamStep(p!, g, m!, v!, len, 0.01, 0.9, 0.999, 1e-8, wd, 1 - 0.9 ** 3, 1 - 0.999 ** 3);
          ref.adamStep(pR!, g, mR!, vR!, len, 0.01, 0.9, 0.999, 1e-8, wd, 1 - 0.9 ** 3, 1 - 0.999 ** 3);
          for (const [a, b, what] of [
            [p, pR, "p"],
            [m, mR, "m"],
            [v, vR, "v"],
          ] as const) {
            const want = mem.read(b!, len);
            close(mem.read(a!, len), want, rel(want), `adam ${what} len ${len} wd ${wd}`);
          }
          for (const momentum of [0, 0.9]) {
            const [q, qR] = state(2),
              [sq, sqR] = state(2, true),
              [buf, bufR] = state(2);
            k.rmspropStep(q!, g, sq!, buf!, len, 0.01, 0.95, 0.01, wd, momentum);
            ref.rmspropStep(qR!, g, sqR!, bufR!, len, 0.01, 0.95, 0.01, wd, momentum);
            for (const [a, b, what] of [
              [q, qR, "p"],
              [sq, sqR, "sq"],
              [buf, bufR, "buf"],
            ] as const) {
              const want = mem.read(b!, len);
              close(
                mem.read(a!, len),
                want,
                want.map((x) => 1e-5 * (Math.abs(x) + 1e-2)),
                `rmsprop ${what} μ=${momentum}`,
              );
            }
            for (const nesterov of [0, 1] as const) {
              for (const first of [0, 1] as const) {
                const [r, rR] = state(2),
                  [b2, b2R] = state(2);
                k.sgdStep(r!, g, b2!, len, 0.01, momentum, 0.1, wd, nesterov, first);
                ref.sgdStep(rR!, g, b2R!, len, 0.01, momentum, 0.1, wd, nesterov, first);
                for (const [a, b, what] of [
                  [r, rR, "p"],
                  [b2, b2R, "buf"],
                ] as const) {
                  const want = mem.read(b!, len);
                  close(
                    mem.read(a!, len),
                    want,
                    want.map((x) => 1e-5 * (Math.abs(x) + 1e-2)),
                    `sgd ${what} μ=${momentum} n=${nesterov} f=${first}`,
                  );
                }
              }
            }
          }
        }
      }
    });

    it("gives bit-identical results on 1, 2 and 3 threads", () => {
      const kt = [1, 2, 3].map((threads) => createNativeKernels(mem.memory, { cpu, threads }));
      // All ≥ 2 M multiply-adds, so they are split between threads (smaller calls run on one).
      const shapes: Array<[number, number, number]> = [
        [32, 400, 256],
        [64, 81, 512],
        [576, 49, 128],
        [64, 576, 98],
        [301, 77, 129],
        [9, 1030, 300],
        [3, 8000, 100],
        [1030, 41, 70],
        [64, 576, 49],
      ];
      for (const [m, n, kk] of shapes) {
        for (let ta = 0; ta < 2; ta++) {
          for (let tb = 0; tb < 2; tb++) {
            mem.reset();
            const lda = (ta ? m : kk) + 1,
              ldb = (tb ? kk : n) + 2,
              ldc = n + 3;
            const a = mem.random((ta ? kk : m) * lda),
              b = mem.random((tb ? n : kk) * ldb),
              c0 = mem.random(m * ldc);
            const outs = kt.map((kernels) => {
              const c = mem.copy(c0, m * ldc);
              kernels.gemm(ta as 0 | 1, tb as 0 | 1, m, n, kk, 0.5, a, lda, b, ldb, 0.25, c, ldc);
              return c;
            });
            // The batched form of a conv weight gradient (one C for all products) too: 3 products, and
            // 17 (summed in groups of products, the groups fixed by the batch alone).
            const shared = kt.map((kernels) => {
              const c = mem.copy(c0, m * ldc);
              kernels.gemmBatched(ta as 0 | 1, tb as 0 | 1, m, n, kk, 0.5, a, lda, 0, b, ldb, 0, 1, c, ldc, 0, 3);
              return c;
            });
            const grouped = kt.map((kernels) => {
              const c = mem.copy(c0, m * ldc);
              kernels.gemmBatched(ta as 0 | 1, tb as 0 | 1, m, n, kk, 0.5, a, lda, 0, b, ldb, 0, 1, c, ldc, 0, 17);
              return c;
            });
            const f = mem.f;
            for (let t = 1; t < shared.length; t++) {
              bitsEqual(
                f.subarray(shared[t]! / 4, shared[t]! / 4 + m * ldc),
                f.subarray(shared[0]! / 4, shared[0]! / 4 + m * ldc),
                `gemmBatched(${ta},${tb}) ${m}×${n}×${kk}×3, ${t + 1} threads vs 1`,
              );
            }
            for (let t = 1; t < grouped.length; t++) {
              bitsEqual(
                f.subarray(grouped[t]! / 4, grouped[t]! / 4 + m * ldc),
                f.subarray(grouped[0]! / 4, grouped[0]! / 4 + m * ldc),
                `gemmBatched(${ta},${tb}) ${m}×${n}×${kk}×17, ${t + 1} threads vs 1`,
              );
            }
            for (let t = 1; t < outs.length; t++) {
              bitsEqual(
                f.subarray(outs[t]! / 4, outs[t]! / 4 + m * ldc),
                f.subarray(outs[0]! / 4, outs[0]! / 4 + m * ldc),
                `gemm(${ta},${tb}) ${m}×${n}×${kk}, ${t + 1} threads vs 1`,
              );
            }
          }
        }
      }
    });
  });
}

describe("native Arena", { skip }, () => {
  it("runs a Nature-CNN update bit-identical on 1 and 2 threads", () => {
    const arenas = [new Arena({ backend: "native", threads: 1 }), new Arena({ backend: "native", threads: 2 })];
    assert.equal(arenas[0]!.threads, 1);
    assert.equal(arenas[1]!.threads, 2);
    const params: Float32Array[][] = [];
    const losses: number[][] = [];
    for (const arena of arenas) {
      const rng = new Rng(3);
      const online = natureCnn(4, 5, { arena, seed: 11 });
      const target = natureCnn(4, 5, { arena, seed: 12 });
      const opt = new RMSprop(online.parameters(), { lr: 2.5e-4, alpha: 0.95, eps: 0.01 });
      const loss = new QLoss("huber", { arena });
      const batch = 16; // ≥ 16: the weight gradients take the grouped shared-C path
      const x = arena.tensor(
        [batch, 4, 84, 84],
        Float32Array.from({ length: batch * 4 * 84 * 84 }, () => rng.random()),
      );
      const xNext = arena.tensor(
        [batch, 4, 84, 84],
        Float32Array.from({ length: batch * 4 * 84 * 84 }, () => rng.random()),
      );
      const actions = Int32Array.from({ length: batch }, (_, i) => i % 5);
      const rewards = Float32Array.from({ length: batch }, () => rng.random());
      const y = new Float32Array(batch);
      const ls: number[] = [];
      for (let step = 0; step < 3; step++) {
        tdTargets(target.forward(xNext), rewards, new Float32Array(batch), 0.99, y);
        opt.zeroGrad();
        ls.push(loss.compute(online.forward(x), actions, y));
        online.backward(loss.dQ);
        opt.step();
      }
      losses.push(ls);
      params.push(online.parameters().map((p) => p.toArray()));
    }
    assert.deepEqual(losses[1], losses[0]);
    params[0]!.forEach((p, i) => bitsEqual(params[1]![i]!, p, `parameter ${i} after 3 updates`));
  });
});
