// @ts-nocheck -- AssemblyScript (compiled by scripts/build-kernels.mjs with asc), not TypeScript: tsc must skip it.
//
// Single-precision GEMM, row-major: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
//
// Blocking scheme (GotoBLAS-style, sized for a 32 KiB L1 / 512 KiB L2 core):
//   for each k-block of ≤ KC                      (beta applies on the first k-block only)
//     for each m-block of ≤ MC rows: pack op(A) into 4-row panels   [splatted ×4, ≤ 256 KiB, lives in L2]
//       for each 8-column strip of C: pack op(B) into one panel      [KC×8 floats,  lives in L1]
//         for each 4-row panel: 4×8 micro-kernel, 8 f32x4 accumulators kept in registers
// Packing makes every transpose variant feed the micro-kernel the same contiguous,
// zero-padded layout, so one micro-kernel serves all four variants and edge tiles.
// The 4×8 tile uses 8 accumulators + 2 B vectors + 1 (pre-broadcast) A = 11 of the 16 xmm registers
// V8 has on x64; a 6×8 tile (15 registers) spills under TurboFan.
//
// Rows m < 4 (batch-1 inference) skip packing: a 4-row panel would waste ≥ 3/4 of the work,
// and the whole of B would be copied for a single use.
//
// Scratch: packing needs SCRATCH_BYTES of the caller's memory at the pointer given to init().

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 256;

// Splatted A (4 lanes per value): 256 KiB hold MC·KC/4 values, e.g. 64 rows × 256 or 256 rows × 64.
const PACK_A_FLOATS: i32 = MC * KC / 4;
const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NR) << 2;
const EDGE_BYTES: usize = <usize>(MR * NR) << 2;
const SCRATCH: usize = PACK_A_BYTES + PACK_B_BYTES + EDGE_BYTES;

let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

/** Bytes of scratch memory the GEMM needs (16-byte aligned start). */
export function scratchBytes(): i32 {
  return <i32>SCRATCH;
}

/** Tells the kernels where their scratch area lives in the imported memory. */
export function init(scratchPtr: usize): void {
  packA = scratchPtr;
  packB = scratchPtr + PACK_A_BYTES;
  edge = packB + PACK_B_BYTES;
}

/** c + a·b; fused (one rounding) when built with relaxed SIMD, else mul then add. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Splits `total` into equal blocks of at most `max`, so a remainder block is never tiny. */
// @ts-ignore: decorator
@inline function blockSize(total: i32, max: i32): i32 {
  const blocks = (total + max - 1) / max;
  return (total + blocks - 1) / blocks;
}

/**
 * Transposes a 4×4 block: rows at src + r·srcStride become rows at dst + r·dstStride
 * (strides in bytes).
 */
// @ts-ignore: decorator
@inline function transpose4(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcStride);
  const r2 = v128.load(src + 2 * srcStride);
  const r3 = v128.load(src + 3 * srcStride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs op(A)[i0 .. i0+mc) × [p0 .. p0+kc) into 4-row panels of broadcast values: panel q holds,
 * for each of kc steps, rows i0+4q .. i0+4q+3 each splatted to 4 lanes (64 bytes; rows past mc
 * are zero). The micro-kernel then reads its A operands with plain vector loads at constant
 * offsets, which V8 folds into the addressing, instead of load-splats (which it does not).
 */
function packPanelsA(transA: i32, a: usize, lda: usize, i0: i32, mc: i32, p0: i32, kc: i32): void {
  let dst = packA;
  const zero = f32x4.splat(0);
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const i = i0 + ip;
    // Element op(A)[i + r][p0 + p] is at src + r·rStep + p·pStep (bytes).
    const rStep: usize = transA ? 4 : lda << 2;
    const pStep: usize = transA ? lda << 2 : 4;
    let src = transA ? a + ((<usize>p0 * lda + <usize>i) << 2) : a + ((<usize>i * lda + <usize>p0) << 2);
    let d = dst;
    if (rows == MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load32_splat(src));
        v128.store(d, v128.load32_splat(src + rStep), 16);
        v128.store(d, v128.load32_splat(src + 2 * rStep), 32);
        v128.store(d, v128.load32_splat(src + 3 * rStep), 48);
        src += pStep;
        d += 64;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          v128.store(d + (<usize>r << 4), r < rows ? v128.load32_splat(src + <usize>r * rStep) : zero);
        }
        src += pStep;
        d += 64;
      }
    }
    dst += <usize>kc << 6;
  }
}

/** Packs op(B)[p0 .. p0+kc) × [j0 .. j0+nr) into one panel of kc rows × 8 floats (columns past nr are zero). */
function packPanelB(transB: i32, b: usize, ldb: usize, p0: i32, kc: i32, j0: i32, nr: i32): void {
  const dst = packB;
  if (transB) {
    // op(B)[p][j] = B[j][p]: 8 row streams along p, transposed 4×4 at a time.
    const src = b + ((<usize>j0 * ldb + <usize>p0) << 2);
    let p = 0;
    if (nr == NR) {
      for (; p + 4 <= kc; p += 4) {
        transpose4(src + (<usize>p << 2), ldb << 2, dst + (<usize>p << 5), 32);
        transpose4(src + ((<usize>4 * ldb + <usize>p) << 2), ldb << 2, dst + (<usize>p << 5) + 16, 32);
      }
    }
    for (; p < kc; p++) {
      const d = dst + (<usize>p << 5);
      for (let j = 0; j < NR; j++) {
        store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(src + ((<usize>j * ldb + <usize>p) << 2)) : 0);
      }
    }
  } else {
    let src = b + ((<usize>p0 * ldb + <usize>j0) << 2);
    if (nr == NR) {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>p << 5);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += ldb << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>p << 5);
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
        src += ldb << 2;
      }
    }
  }
}

/** Writes alpha·acc (+ beta·C unless beta is 0, in which case C is never read) to 8 floats of C. */
// @ts-ignore: decorator
@inline function storeRow(c: usize, x0: v128, x1: v128, alpha: v128, beta: v128, readC: bool): void {
  let r0 = f32x4.mul(x0, alpha);
  let r1 = f32x4.mul(x1, alpha);
  if (readC) {
    r0 = madd(beta, v128.load(c), r0);
    r1 = madd(beta, v128.load(c, 16), r1);
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
}

/** The 4×8 micro-kernel over packed panels; writes a full 4×8 tile of C (row stride ldcBytes). */
function micro4x8(pa: usize, pb: usize, kc: i32, c: usize, ldcBytes: usize, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  const av = f32x4.splat(alpha);
  const bv = f32x4.splat(beta);
  if (beta != 0) {
    storeRow(c, c00, c01, av, bv, true);
    storeRow(c + ldcBytes, c10, c11, av, bv, true);
    storeRow(c + 2 * ldcBytes, c20, c21, av, bv, true);
    storeRow(c + 3 * ldcBytes, c30, c31, av, bv, true);
  } else {
    storeRow(c, c00, c01, av, bv, false);
    storeRow(c + ldcBytes, c10, c11, av, bv, false);
    storeRow(c + 2 * ldcBytes, c20, c21, av, bv, false);
    storeRow(c + 3 * ldcBytes, c30, c31, av, bv, false);
  }
}

/** C = beta·C (beta 0 writes zeros without reading C, which may hold NaN). */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: usize): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const q = row + (<usize>j << 2);
      store<f32>(q, beta == 0 ? 0 : beta * load<f32>(q));
    }
  }
}

/** Sets one element of C from an accumulated dot product, honouring the beta = 0 rule. */
// @ts-ignore: decorator
@inline function finish(q: usize, acc: f32, alpha: f32, beta: f32): void {
  store<f32>(q, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(q));
}

/** Horizontal sum of the 4 lanes. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** One row of C with op(A) = A (rows contiguous) and op(B) = Bᵀ: dot products of contiguous rows. */
function rowTimesBt(a: usize, n: i32, k: i32, alpha: f32, b: usize, ldb: usize, beta: f32, c: usize): void {
  const k4 = k & ~3;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const b0 = b + ((<usize>j * ldb) << 2);
    const b1 = b0 + (ldb << 2), b2 = b1 + (ldb << 2), b3 = b2 + (ldb << 2);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) {
      const o = <usize>p << 2;
      const av = v128.load(a + o);
      s0 = madd(av, v128.load(b0 + o), s0);
      s1 = madd(av, v128.load(b1 + o), s1);
      s2 = madd(av, v128.load(b2 + o), s2);
      s3 = madd(av, v128.load(b3 + o), s3);
    }
    let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
    for (let p = k4; p < k; p++) {
      const o = <usize>p << 2;
      const x = load<f32>(a + o);
      d0 += x * load<f32>(b0 + o); d1 += x * load<f32>(b1 + o);
      d2 += x * load<f32>(b2 + o); d3 += x * load<f32>(b3 + o);
    }
    const q = c + (<usize>j << 2);
    finish(q, d0, alpha, beta); finish(q + 4, d1, alpha, beta);
    finish(q + 8, d2, alpha, beta); finish(q + 12, d3, alpha, beta);
  }
  for (; j < n; j++) {
    const bj = b + ((<usize>j * ldb) << 2);
    let s = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) s = madd(v128.load(a + (<usize>p << 2)), v128.load(bj + (<usize>p << 2)), s);
    let d = hsum(s);
    for (let p = k4; p < k; p++) d += load<f32>(a + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
    finish(c + (<usize>j << 2), d, alpha, beta);
  }
}

/** One row of C with op(A) = A and op(B) = B: C row = Σ_p a[p] · B row p, 16 then 4 then 1 columns at a time. */
function rowTimesB(a: usize, n: i32, k: i32, alpha: f32, b: usize, ldb: usize, beta: f32, c: usize): void {
  const av = f32x4.splat(alpha);
  const bv = f32x4.splat(beta);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let src = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const x = v128.load32_splat(a + (<usize>p << 2));
      s0 = madd(x, v128.load(src), s0);
      s1 = madd(x, v128.load(src, 16), s1);
      s2 = madd(x, v128.load(src, 32), s2);
      s3 = madd(x, v128.load(src, 48), s3);
      src += ldb << 2;
    }
    const q = c + (<usize>j << 2);
    if (beta != 0) {
      storeRow(q, s0, s1, av, bv, true);
      storeRow(q + 32, s2, s3, av, bv, true);
    } else {
      storeRow(q, s0, s1, av, bv, false);
      storeRow(q + 32, s2, s3, av, bv, false);
    }
  }
  for (; j + 4 <= n; j += 4) {
    let s = f32x4.splat(0);
    let src = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      s = madd(v128.load32_splat(a + (<usize>p << 2)), v128.load(src), s);
      src += ldb << 2;
    }
    const q = c + (<usize>j << 2);
    let r = f32x4.mul(s, av);
    if (beta != 0) r = madd(bv, v128.load(q), r);
    v128.store(q, r);
  }
  for (; j < n; j++) {
    let d: f32 = 0;
    let src = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      d += load<f32>(a + (<usize>p << 2)) * load<f32>(src);
      src += ldb << 2;
    }
    finish(c + (<usize>j << 2), d, alpha, beta);
  }
}

export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha64: f64, a: usize, lda: i32,
  b: usize, ldb: i32, beta64: f64, c: usize, ldc: i32): void {
  if (m <= 0 || n <= 0) return;
  const alpha = <f32>alpha64;
  const beta = <f32>beta64;
  const ldA = <usize>lda, ldB = <usize>ldb, ldC = <usize>ldc;
  // BLAS semantics: with nothing to accumulate, A and B are not read.
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldC);
    return;
  }
  if (m < MR && !transA) {
    for (let i = 0; i < m; i++) {
      const ai = a + ((<usize>i * ldA) << 2);
      const ci = c + ((<usize>i * ldC) << 2);
      if (transB) rowTimesBt(ai, n, k, alpha, b, ldB, beta, ci);
      else rowTimesB(ai, n, k, alpha, b, ldB, beta, ci);
    }
    return;
  }
  const kcMax = blockSize(k, KC);
  // m-blocks of whole 4-row panels: only the last rows of C can form an edge tile, so a call on
  // any 4-aligned row range of C (the two-thread split) computes each element the same way.
  // The packed A block (mc·kc·16 bytes, splatted) stays within PACK_A_BYTES, so ~L2-sized.
  const mcLimit = min(MC, (PACK_A_FLOATS / kcMax) & ~(MR - 1));
  const mcMax = (blockSize(m, mcLimit) + MR - 1) & ~(MR - 1);
  for (let p0 = 0; p0 < k; p0 += kcMax) {
    const kc = min(kcMax, k - p0);
    // Later k-blocks accumulate onto the partial result already in C.
    const bet: f32 = p0 == 0 ? beta : 1;
    for (let i0 = 0; i0 < m; i0 += mcMax) {
      const mc = min(mcMax, m - i0);
      packPanelsA(transA, a, ldA, i0, mc, p0, kc);
      for (let j0 = 0; j0 < n; j0 += NR) {
        const nr = min(NR, n - j0);
        packPanelB(transB, b, ldB, p0, kc, j0, nr);
        for (let ip = 0; ip < mc; ip += MR) {
          const mr = min(MR, mc - ip);
          const pa = packA + ((<usize>ip * <usize>kc) << 4);
          const ct = c + (((<usize>(i0 + ip)) * ldC + <usize>j0) << 2);
          if (mr == MR && nr == NR) {
            micro4x8(pa, packB, kc, ct, ldC << 2, alpha, bet);
          } else {
            // Edge tile: compute the full padded tile into scratch, copy the valid part.
            micro4x8(pa, packB, kc, edge, <usize>NR << 2, 1, 0);
            for (let r = 0; r < mr; r++) {
              for (let j = 0; j < nr; j++) {
                finish(ct + ((<usize>r * ldC + <usize>j) << 2), load<f32>(edge + ((<usize>(r * NR + j)) << 2)), alpha, bet);
              }
            }
          }
        }
      }
    }
  }
}
