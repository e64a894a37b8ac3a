// The WebAssembly kernels against float64 references written here, for every variant the
// running engine supports (run with --experimental-wasm-relaxed-simd on Node 20 to cover
// relaxed SIMD too). Tolerances:
//  - gemm: the classic worst-case bound for f32 dot products, |err| ≤ (k+2)·u·(|α|·Σ|a·b| + |β·c|),
//    u = 2⁻²⁴, valid for any summation order and with or without FMA;
//  - im2col, relu/leaky, scale, u8→f32: exact (pure copies or one f32 rounding, mirrored with fround);
//  - col2im, bias sums: (terms+1)·u relative to the sum of magnitudes;
//  - optimizers: 1e-6 relative (a handful of f32 operations per element).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Kernels } from "../../src/nn/kernels/abi.js";
import { detectWasmVariant, loadWasmKernels, loadWasmKernelsSync, WASM_SCRATCH_BYTES, type WasmVariant } from "../../src/nn/kernels/wasm.js";

const U = 2 ** -24;
const f32 = Math.fround;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A bump allocator over the test memory, above the kernels' scratch area. */
class Arena {
  private top = WASM_SCRATCH_BYTES;
  constructor(
    readonly k: Kernels,
    private readonly rand: () => number,
  ) {}
  get f(): Float32Array {
    return new Float32Array(this.k.memory.buffer);
  }
  reset(): void {
    this.top = WASM_SCRATCH_BYTES;
  }
  /** Byte offset of `len` floats; `misalign` shifts by 4 bytes to exercise unaligned SIMD access. */
  alloc(len: number, misalign = false): number {
    const ptr = this.top + (misalign ? 4 : 0);
    this.top = (ptr + 4 * len + 15) & ~15;
    const need = this.top - this.k.memory.buffer.byteLength;
    if (need > 0) this.k.memory.grow(Math.ceil(need / 65536));
    return ptr;
  }
  random(len: number, misalign = false): number {
    const ptr = this.alloc(len, misalign);
    const f = this.f;
    for (let i = 0; i < len; i++) f[ptr / 4 + i] = this.rand() * 2 - 1;
    return ptr;
  }
  fill(len: number, value: number): number {
    const ptr = this.alloc(len);
    this.f.fill(value, ptr / 4, ptr / 4 + len);
    return ptr;
  }
  read(ptr: number, len: number): Float64Array {
    return Float64Array.from(this.f.subarray(ptr / 4, ptr / 4 + len));
  }
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: ArrayLike<number> | number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const t = typeof tol === "number" ? tol : tol[i]!;
    const ok = Math.abs(got[i]! - want[i]!) <= t || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!));
    if (!ok) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (tol ${t})`);
  }
}

// DEEPQ_KERNELS=js turns the WebAssembly loaders off (they return null) and =simd keeps them to
// plain SIMD, so the variants tested here follow it.
const forced = process.env.DEEPQ_KERNELS;
const variants: WasmVariant[] = [];
{
  const saved = process.env.DEEPQ_KERNELS;
  delete process.env.DEEPQ_KERNELS;
  const best = detectWasmVariant();
  if (best !== null && forced !== "js") variants.push("wasm-simd");
  if (best === "wasm-relaxed-simd" && forced !== "js" && forced !== "simd") variants.push("wasm-relaxed-simd");
  if (saved !== undefined) process.env.DEEPQ_KERNELS = saved;
}

describe("wasm kernel loader", { skip: forced === "js" ? "DEEPQ_KERNELS=js disables the WebAssembly loaders" : false }, () => {
  it("finds WebAssembly SIMD on this runtime", () => assert.ok(variants.length > 0));

  it("caches per memory and validates the scratch area", async () => {
    const memory = new WebAssembly.Memory({ initial: 8 });
    const a = loadWasmKernelsSync(memory, 0, "wasm-simd");
    assert.ok(a);
    assert.equal(a.backend, "wasm-simd");
    assert.equal(loadWasmKernelsSync(memory, 0, "wasm-simd"), a);
    assert.equal(await loadWasmKernels(memory, 0, "wasm-simd"), a);
    assert.notEqual(loadWasmKernelsSync(new WebAssembly.Memory({ initial: 8 }), 0, "wasm-simd"), a);
    assert.throws(() => loadWasmKernelsSync(memory, 8), RangeError);
    assert.throws(() => loadWasmKernelsSync(memory, 8 * 65536 - 16), RangeError);
  });

  it("honours DEEPQ_KERNELS", () => {
    const saved = process.env.DEEPQ_KERNELS;
    try {
      process.env.DEEPQ_KERNELS = "simd";
      assert.equal(detectWasmVariant(), "wasm-simd");
      assert.equal(loadWasmKernelsSync(new WebAssembly.Memory({ initial: 8 }), 0)?.backend, "wasm-simd");
      process.env.DEEPQ_KERNELS = "js";
      assert.equal(loadWasmKernelsSync(new WebAssembly.Memory({ initial: 8 }), 0), null);
    } finally {
      if (saved === undefined) delete process.env.DEEPQ_KERNELS;
      else process.env.DEEPQ_KERNELS = saved;
    }
  });
});

for (const variant of variants) {
  describe(`wasm kernels (${variant})`, () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const k = loadWasmKernelsSync(memory, 0, variant)!;
    const ar = new Arena(k, rng(12345));

    it("loads the requested variant", () => assert.equal(k.backend, variant));

    it("gemm: all transposes, awkward sizes, strides, alpha/beta", () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [1, 7, 5],
        [2, 33, 17],
        [3, 5, 300],
        [1, 37, 700],
        [4, 8, 256],
        [5, 9, 3],
        [13, 17, 29],
        [33, 65, 257],
        [70, 9, 513],
        [260, 12, 40],
        [8, 16, 1],
        [32, 40, 64],
      ];
      const scalars: [number, number][] = [
        [1, 0],
        [-0.5, 1],
        [0.75, 0.3],
      ];
      let caseNo = 0;
      for (const [m, n, kk] of shapes) {
        for (let ta = 0; ta < 2; ta++) {
          for (let tb = 0; tb < 2; tb++) {
            const [alpha, beta] = scalars[caseNo % scalars.length]!;
            const odd = caseNo % 2 === 1;
            caseNo++;
            ar.reset();
            // op(A) is m×k: stored k×m when transposed. Leading dims get odd padding on alternate cases.
            const lda = (ta ? m : kk) + (odd ? 3 : 0);
            const ldb = (tb ? kk : n) + (odd ? 1 : 0);
            const ldc = n + (odd ? 5 : 0);
            const a = ar.random((ta ? kk : m) * lda, odd);
            const b = ar.random((tb ? n : kk) * ldb, !odd);
            const c = beta === 0 ? ar.fill(m * ldc, NaN) : ar.random(m * ldc, odd);
            const A = ar.read(a, (ta ? kk : m) * lda),
              B = ar.read(b, (tb ? n : kk) * ldb),
              C0 = ar.read(c, m * ldc);
            k.gemm(ta as 0 | 1, tb as 0 | 1, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
            const got = ar.read(c, m * ldc);
            const want = new Float64Array(m * ldc),
              tol = new Float64Array(m * ldc);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < ldc; j++) {
                const q = i * ldc + j;
                if (j >= n) {
                  want[q] = C0[q]!;
                  continue;
                } // padding columns must be untouched
                let s = 0,
                  mag = 0;
                for (let p = 0; p < kk; p++) {
                  const t = (ta ? A[p * lda + i]! : A[i * lda + p]!) * (tb ? B[j * ldb + p]! : B[p * ldb + j]!);
                  s += t;
                  mag += Math.abs(t);
                }
                const cb = beta === 0 ? 0 : beta * C0[q]!;
                want[q] = alpha * s + cb;
                tol[q] = (kk + 2) * U * (Math.abs(alpha) * mag + Math.abs(cb)) + 1e-30;
              }
            }
            assertClose(got, want, tol, `gemm ta=${ta} tb=${tb} m=${m} n=${n} k=${kk} α=${alpha} β=${beta}`);
          }
        }
      }
    });

    it("gemmBatched equals its gemm calls in order (shared A, one accumulated C)", () => {
      ar.reset();
      const [m, n, kk, batch] = [5, 7, 9, 3];
      const a = ar.random(m * kk),
        b = ar.random(batch * kk * n),
        c = ar.random(m * n),
        c2 = ar.alloc(m * n);
      ar.f.copyWithin(c2 / 4, c / 4, c / 4 + m * n);
      k.gemmBatched(0, 0, m, n, kk, 0.5, a, kk, 0, b, n, kk * n, 1, c, n, 0, batch);
      for (let s = 0; s < batch; s++) k.gemm(0, 0, m, n, kk, 0.5, a, kk, b + 4 * s * kk * n, n, 1, c2, n);
      assert.deepEqual(ar.read(c, m * n), ar.read(c2, m * n));
    });

    it("gemm: k = 0 and alpha = 0 scale C by beta without reading A or B", () => {
      ar.reset();
      const c = ar.fill(6, NaN);
      k.gemm(0, 0, 2, 3, 0, 1, 0, 1, 0, 1, 0, c, 3);
      assert.deepEqual([...ar.read(c, 6)], [0, 0, 0, 0, 0, 0]);
      const c2 = ar.fill(6, 2);
      const nanA = ar.fill(6, NaN);
      k.gemm(0, 1, 2, 3, 2, 0, nanA, 2, nanA, 2, 0.5, c2, 3);
      assert.deepEqual([...ar.read(c2, 6)], [1, 1, 1, 1, 1, 1]);
    });

    const convCases: number[][] = [
      // c, h, w, kh, kw, sh, sw, ph, pw
      [3, 7, 9, 3, 3, 1, 1, 1, 1],
      [2, 8, 8, 8, 8, 4, 4, 0, 0],
      [1, 5, 6, 2, 3, 2, 2, 0, 1],
      [2, 9, 11, 3, 2, 2, 3, 1, 2],
      [1, 4, 4, 5, 5, 1, 1, 2, 2],
      [2, 12, 13, 4, 4, 2, 2, 1, 0],
      [4, 84, 84, 8, 8, 4, 4, 0, 0],
      [3, 9, 9, 3, 3, 1, 1, 0, 0],
    ];
    const outSize = (h: number, kh: number, s: number, p: number) => Math.floor((h + 2 * p - kh) / s) + 1;

    it("im2col: padding and stride variants, written into a wider column matrix", () => {
      for (const [c, h, w, kh, kw, sh, sw, ph, pw] of convCases as [number, number, number, number, number, number, number, number, number][]) {
        ar.reset();
        const oh = outSize(h, kh, sh, ph),
          ow = outSize(w, kw, sw, pw);
        const rows = c * kh * kw,
          cols = oh * ow,
          ldcol = 2 * cols + 3,
          colOff = cols + 1;
        const x = ar.random(c * h * w, true);
        const col = ar.fill(rows * ldcol, -7);
        const X = ar.read(x, c * h * w);
        k.im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, col + 4 * colOff, ldcol);
        const want = new Float64Array(rows * ldcol).fill(-7);
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const r = (ci * kh + i) * kw + j;
              for (let oy = 0; oy < oh; oy++)
                for (let ox = 0; ox < ow; ox++) {
                  const iy = oy * sh - ph + i,
                    ix = ox * sw - pw + j;
                  want[r * ldcol + colOff + oy * ow + ox] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : X[(ci * h + iy) * w + ix]!;
                }
            }
        assertClose(ar.read(col, rows * ldcol), want, 0, `im2col ${[c, h, w, kh, kw, sh, sw, ph, pw]}`);
      }
    });

    it("col2im: adjoint of im2col, accumulating into dx", () => {
      for (const [c, h, w, kh, kw, sh, sw, ph, pw] of convCases as [number, number, number, number, number, number, number, number, number][]) {
        ar.reset();
        const oh = outSize(h, kh, sh, ph),
          ow = outSize(w, kw, sw, pw);
        const rows = c * kh * kw,
          cols = oh * ow,
          ldcol = cols + 5;
        const col = ar.random(rows * ldcol);
        const dx = ar.random(c * h * w, true);
        const COL = ar.read(col, rows * ldcol),
          want = ar.read(dx, c * h * w);
        const mag = want.map(Math.abs),
          terms = new Float64Array(c * h * w).fill(1);
        k.col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, dx);
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const r = (ci * kh + i) * kw + j;
              for (let oy = 0; oy < oh; oy++)
                for (let ox = 0; ox < ow; ox++) {
                  const iy = oy * sh - ph + i,
                    ix = ox * sw - pw + j;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  const q = (ci * h + iy) * w + ix,
                    v = COL[r * ldcol + oy * ow + ox]!;
                  want[q]! += v;
                  mag[q]! += Math.abs(v);
                  terms[q]!++;
                }
            }
        const tol = mag.map((s, q) => (terms[q]! + 1) * U * s);
        assertClose(ar.read(dx, c * h * w), want, tol, `col2im ${[c, h, w, kh, kw, sh, sw, ph, pw]}`);
      }
    });

    it("bias add and bias gradients (rows and NCHW channels)", () => {
      for (const [rows, cols] of [
        [1, 1],
        [5, 7],
        [32, 512],
        [3, 4],
        [128, 9],
      ] as [number, number][]) {
        ar.reset();
        const y = ar.random(rows * cols),
          bias = ar.random(cols, true),
          db = ar.random(cols);
        const Y = ar.read(y, rows * cols),
          BIAS = ar.read(bias, cols),
          DB = ar.read(db, cols);
        k.addBiasRows(y, bias, rows, cols);
        assertClose(
          ar.read(y, rows * cols),
          Y.map((v, q) => f32(v + BIAS[q % cols]!)),
          0,
          `addBiasRows ${rows}x${cols}`,
        );
        k.biasGradRows(y, db, rows, cols);
        const Y2 = ar.read(y, rows * cols);
        const want = DB.slice(),
          tol = DB.map(Math.abs);
        for (let q = 0; q < rows * cols; q++) {
          want[q % cols]! += Y2[q]!;
          tol[q % cols]! += Math.abs(Y2[q]!);
        }
        assertClose(
          ar.read(db, cols),
          want,
          tol.map((s) => (rows + 2) * U * s),
          `biasGradRows ${rows}x${cols}`,
        );
      }
      for (const [n, ch, hw] of [
        [1, 1, 1],
        [2, 3, 5],
        [32, 8, 400],
        [3, 64, 49],
        [2, 5, 81],
      ] as [number, number, number][]) {
        ar.reset();
        const len = n * ch * hw;
        const y = ar.random(len, true),
          bias = ar.random(ch),
          db = ar.random(ch, true);
        const Y = ar.read(y, len),
          BIAS = ar.read(bias, ch),
          DB = ar.read(db, ch);
        k.addBiasChannels(y, bias, n, ch, hw);
        assertClose(
          ar.read(y, len),
          Y.map((v, q) => f32(v + BIAS[Math.floor(q / hw) % ch]!)),
          0,
          `addBiasChannels ${n},${ch},${hw}`,
        );
        k.biasGradChannels(y, db, n, ch, hw);
        const Y2 = ar.read(y, len);
        const want = DB.slice(),
          tol = DB.map(Math.abs);
        for (let q = 0; q < len; q++) {
          const c = Math.floor(q / hw) % ch;
          want[c]! += Y2[q]!;
          tol[c]! += Math.abs(Y2[q]!);
        }
        assertClose(
          ar.read(db, ch),
          want,
          tol.map((s) => (n * hw + 2) * U * s),
          `biasGradChannels ${n},${ch},${hw}`,
        );
      }
    });

    it("relu / leaky relu forward and backward, in place and out of place", () => {
      for (const len of [0, 1, 3, 4, 5, 37, 1000]) {
        ar.reset();
        const slope = 0.01,
          s = f32(slope);
        const x = ar.random(len, true),
          y = ar.alloc(len),
          dy = ar.random(len),
          dx = ar.alloc(len, true);
        const X = ar.read(x, len),
          DY = ar.read(dy, len);
        k.relu(x, y, len);
        const Y = X.map((v) => (v > 0 ? v : 0));
        assertClose(ar.read(y, len), Y, 0, `relu ${len}`);
        k.reluBackward(y, dy, dx, len);
        assertClose(
          ar.read(dx, len),
          DY.map((g, q) => (Y[q]! > 0 ? g : 0)),
          0,
          `reluBackward ${len}`,
        );
        k.leakyRelu(x, y, len, slope);
        assertClose(
          ar.read(y, len),
          X.map((v) => (v > 0 ? v : f32(v * s))),
          0,
          `leakyRelu ${len}`,
        );
        k.leakyReluBackward(x, dy, dx, len, slope);
        assertClose(
          ar.read(dx, len),
          DY.map((g, q) => (X[q]! > 0 ? g : f32(g * s))),
          0,
          `leakyReluBackward ${len}`,
        );
        // In place: y = x and dx = dy.
        k.reluBackward(y, dy, dy, len);
        k.relu(x, x, len);
        assertClose(ar.read(x, len), Y, 0, `relu in place ${len}`);
        const Yl = ar.read(y, len);
        assertClose(
          ar.read(dy, len),
          DY.map((g, q) => (Yl[q]! > 0 ? g : 0)),
          0,
          `reluBackward in place ${len}`,
        );
      }
    });

    it("scale, sumSquares, u8ToF32", () => {
      for (const len of [0, 1, 6, 16, 17, 103, 4096]) {
        ar.reset();
        const x = ar.random(len, true);
        const X = ar.read(x, len);
        const ss = X.reduce((s, v) => s + v * v, 0);
        assert.ok(Math.abs(k.sumSquares(x, len) - ss) <= 1e-12 * (ss + 1e-300), `sumSquares ${len}`);
        k.scale(x, len, 0.3);
        assertClose(
          ar.read(x, len),
          X.map((v) => f32(v * f32(0.3))),
          0,
          `scale ${len}`,
        );
        const src = ar.alloc(len) + 3; // an odd byte offset
        const bytes = new Uint8Array(k.memory.buffer, src, len);
        for (let i = 0; i < len; i++) bytes[i] = (i * 37 + 11) & 255;
        const dst = ar.alloc(len);
        k.u8ToF32(src, dst, len, 1 / 255);
        assertClose(
          ar.read(dst, len),
          Array.from(bytes, (b) => f32(b * f32(1 / 255))),
          0,
          `u8ToF32 ${len}`,
        );
      }
    });

    it("adam, rmsprop and sgd steps match the torch.optim equations", () => {
      const lr = 0.01;
      for (const len of [1, 7, 33]) {
        for (const wd of [0, 0.05]) {
          // Adam at step t = 3.
          ar.reset();
          const p = ar.random(len, true),
            g = ar.random(len),
            m = ar.random(len),
            v = ar.random(len);
          const V0 = ar.read(v, len).map(Math.abs);
          ar.f.set(V0, v / 4);
          const P = ar.read(p, len),
            G = ar.read(g, len),
            M = ar.read(m, len);
          const b1 = 0.9,
            b2 = 0.999,
            eps = 1e-8,
            bc1 = 1 - b1 ** 3,
            bc2 = 1 - b2 ** 3;
          k.adamStep(p, g, m, v, len, lr, b1, b2, eps, wd, bc1, bc2);
          const wm = M.map((mm, i) => b1 * mm + (1 - b1) * (G[i]! + wd * P[i]!));
          const wv = V0.map((vv, i) => b2 * vv + (1 - b2) * (G[i]! + wd * P[i]!) ** 2);
          const wp = P.map((pp, i) => pp - ((lr / bc1) * wm[i]!) / (Math.sqrt(wv[i]!) / Math.sqrt(bc2) + eps));
          const rel = (w: Float64Array) => w.map((x) => 1e-6 * (Math.abs(x) + 1e-3));
          assertClose(ar.read(m, len), wm, rel(wm), "adam m");
          assertClose(ar.read(v, len), wv, rel(wv), "adam v");
          assertClose(ar.read(p, len), wp, rel(wp), "adam p");
          assert.deepEqual(ar.read(g, len), G, "adam leaves g alone");

          for (const momentum of [0, 0.9]) {
            ar.reset();
            const p2 = ar.random(len),
              g2 = ar.random(len, true),
              sq = ar.random(len),
              buf = ar.random(len);
            ar.f.set(ar.read(sq, len).map(Math.abs), sq / 4);
            const P2 = ar.read(p2, len),
              G2 = ar.read(g2, len),
              SQ = ar.read(sq, len),
              BUF = ar.read(buf, len);
            const alpha = 0.95,
              e2 = 0.01;
            k.rmspropStep(p2, g2, sq, buf, len, lr, alpha, e2, wd, momentum);
            const gg = G2.map((x, i) => x + wd * P2[i]!);
            const wsq = SQ.map((s, i) => alpha * s + (1 - alpha) * gg[i]! ** 2);
            const avg = wsq.map((s) => Math.sqrt(s) + e2);
            const wbuf = BUF.map((b, i) => (momentum > 0 ? momentum * b + gg[i]! / avg[i]! : b));
            const wp2 = P2.map((x, i) => x - lr * (momentum > 0 ? wbuf[i]! : gg[i]! / avg[i]!));
            assertClose(ar.read(sq, len), wsq, rel(wsq), `rmsprop sq μ=${momentum}`);
            // μ·b and g/avg may nearly cancel: float32 rounding is relative to the terms, not the sum.
            const bufTol = BUF.map((b, i) => 1e-6 * (Math.abs(momentum * b) + Math.abs(gg[i]! / avg[i]!) + 1e-3));
            assertClose(ar.read(buf, len), wbuf, bufTol, `rmsprop buf μ=${momentum}`);
            assertClose(ar.read(p2, len), wp2, rel(wp2), `rmsprop p μ=${momentum}`);

            for (const nesterov of [0, 1] as const) {
              for (const first of [0, 1] as const) {
                ar.reset();
                const p3 = ar.random(len),
                  g3 = ar.random(len),
                  b3 = ar.random(len, true);
                const P3 = ar.read(p3, len),
                  G3 = ar.read(g3, len),
                  B3 = ar.read(b3, len);
                const damp = 0.1;
                k.sgdStep(p3, g3, b3, len, lr, momentum, damp, wd, nesterov, first);
                const d = G3.map((x, i) => x + wd * P3[i]!);
                const wb = B3.map((b, i) => (momentum > 0 ? (first ? d[i]! : momentum * b + (1 - damp) * d[i]!) : b));
                const step = d.map((x, i) => (momentum > 0 ? (nesterov ? x + momentum * wb[i]! : wb[i]!) : x));
                const wp3 = P3.map((x, i) => x - lr * step[i]!);
                const what = `sgd μ=${momentum} nesterov=${nesterov} first=${first} wd=${wd}`;
                const sgdBufTol = B3.map((b, i) => 1e-6 * (Math.abs(momentum * b) + Math.abs(d[i]!) + 1e-3));
                assertClose(ar.read(b3, len), wb, sgdBufTol, `${what} buf`);
                assertClose(ar.read(p3, len), wp3, rel(wp3), `${what} p`);
              }
            }
          }
        }
      }
    });
  });
}
