/*
 * The kernels of one CPU path. scripts/build-native.mjs compiles this file three times:
 *   -DDQ_PATH_AVX512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma   (16-lane vectors)
 *   -DDQ_PATH_AVX2 -mavx2 -mfma                                                (8 lanes)
 *   (no flags)                                                                 (4 lanes: SSE2 on x86-64, NEON on arm64)
 * The code is written once with GCC/Clang vector extensions of VL floats; the compiler maps them
 * onto the path's registers and fuses a·b + c into FMA where the path has it (-ffp-contract=fast).
 *
 * GEMM (BLIS/GotoBLAS scheme): C is cut into tasks of ≤ MC rows × ≤ NC columns. A task walks
 * the k-blocks of ≤ KC: it packs its rows of op(A) into MR-row panels, then each NR-column panel
 * of op(B) in turn (contiguous, zero-padded, whatever the transposes), and runs an MR × NR
 * register-blocked micro-kernel over them, the B panel staying in L1 while the A panels stream
 * from L2. An operand that several tasks or products share is packed once per call instead
 * (prepack). Every element of C is summed in the same order — k-blocks of a size fixed by k alone,
 * the same micro-kernel for edge tiles — so the result does not depend on how C is cut into
 * tasks, nor on which thread runs which task, nor on the thread count.
 */
#include "deepq.h"

#include <math.h>
#include <string.h>

#if defined(DQ_PATH_AVX512)
#define PATH_NAME "avx512"
#define TABLE dq_kernels_avx512
#define VL 16
#define MR 8
#elif defined(DQ_PATH_AVX2)
#define PATH_NAME "avx2"
#define TABLE dq_kernels_avx2
#define VL 8
#define MR 6
#else
#define PATH_NAME "generic"
#define TABLE dq_kernels_generic
#define VL 4
#define MR 4
#endif
#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* Micro-tile: MR rows × NV vectors of VL columns. AVX-512: 8×32 = 16 zmm accumulators, per k step
   2 vector loads and 8 broadcasts for 16 FMAs; AVX2: 6×16 = 12 of the 16 ymm; generic 4×8. */
#define NV 2
#define NR (VL * NV)
/* k-block: the B micro-panel (KC·NR floats, 32 KiB on AVX-512) stays in a 48 KiB L1. */
#define KC 256
/* Rows of op(A) per task: the packed A block (MC·KC floats, ≤ 128 KiB) lives in L2. */
#define MC (MR * 16)
/* Columns of op(B) per task (packed one NR-column panel at a time, so the panel is in L1 when used). */
#define NC 1024
/*
 * Calls below this many multiply-adds (~20 µs of one core) run on the calling thread. Handing work
 * to the pool costs 1-5 µs on an idle machine and far more when the cores are oversubscribed: with
 * 256 Ki the MLP updates' 0.5 M-MAC GEMMs went to two threads and the update ran 2× slower
 * (bench/nn.ts, 0.20 vs 0.09 ms) on the shared 2-core development machine.
 */
#define PAR_MIN_MACS 2000000L
/* Elementwise kernels split into chunks of this many elements, threaded from EW_PAR_MIN elements
   (~30 µs of memory-bound work) up. */
#define EW_CHUNK 32768L
#define EW_PAR_MIN 262144L

typedef float vf __attribute__((vector_size(VL * 4)));
/* The same vector at 4-byte alignment, for loads and stores anywhere in C or the inputs. */
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias));

static inline long min_l(long a, long b) { return a < b ? a : b; }
static inline long max_l(long a, long b) { return a > b ? a : b; }
static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long round_up(long a, long b) { return ceil_div(a, b) * b; }

/* Scratch layout per thread: packed A block, then one packed B panel. */
#define PACK_A_FLOATS ((long)MC * KC)
/* B is packed a whole ≤ NC-column block at a time when it is row-major (see gemm_block). */
#define PACK_B_FLOATS ((long)KC * NC)
_Static_assert((PACK_A_FLOATS + PACK_B_FLOATS) * 4 + 4096 <= DQ_SCRATCH_BYTES, "GEMM scratch does not fit");

/* ---------------------------------------------------------------- packing */

#if defined(__AVX__)
/* dst[c·ldd + r] = src_r[c] for 8 rows of 8 floats; the rows are stored in order c = 0 .. 7. */
static inline void transpose8_rows(const float *s0, const float *s1, const float *s2, const float *s3, const float *s4,
                                   const float *s5, const float *s6, const float *s7, float *dst, long ldd) {
  __m256 r0 = _mm256_loadu_ps(s0), r1 = _mm256_loadu_ps(s1), r2 = _mm256_loadu_ps(s2), r3 = _mm256_loadu_ps(s3),
         r4 = _mm256_loadu_ps(s4), r5 = _mm256_loadu_ps(s5), r6 = _mm256_loadu_ps(s6), r7 = _mm256_loadu_ps(s7);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
         t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
         t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee), u2 = _mm256_shuffle_ps(t1, t3, 0x44),
         u3 = _mm256_shuffle_ps(t1, t3, 0xee), u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee),
         u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* dst[c·ldd + r] = src[r·lds + c] for an 8×8 block. */
static inline void transpose8(const float *src, long lds, float *dst, long ldd) {
  transpose8_rows(src, src + lds, src + 2 * lds, src + 3 * lds, src + 4 * lds, src + 5 * lds, src + 6 * lds, src + 7 * lds,
                  dst, ldd);
}
#endif

/*
 * One panel of `width` lanes from `rows` source vectors that run along k:
 * dst[p·width + r] = src[r·lds + p] for r < rows, p < kc; lanes r ≥ rows are zero.
 * This is the transposing case (op(A) rows with transA = 0, op(B) columns with transB = 1).
 */
static void pack_transposed(const float *src, long lds, long rows, long kc, float *dst, int width) {
  long r0 = 0;
#if defined(__AVX__)
  if (width > 4 && width < 8 && rows == width) {
    /* The AVX2 path's 6-row panels: an 8×8 transpose whose last rows repeat row 5. Each stored
       row spills 2 lanes into the next row, which the next store overwrites; the last block of a
       panel stops before kc, so nothing beyond the panel is written. */
    const float *s[8];
    for (int r = 0; r < 8; r++) s[r] = src + (r < rows ? r : rows - 1) * lds;
    long p = 0;
    for (; p + 8 < kc; p += 8) transpose8_rows(s[0] + p, s[1] + p, s[2] + p, s[3] + p, s[4] + p, s[5] + p, s[6] + p, s[7] + p, dst + p * width, width);
    for (; p < kc; p++)
      for (long r = 0; r < rows; r++) dst[p * width + r] = src[r * lds + p];
    return;
  }
  for (; r0 + 8 <= rows; r0 += 8) {
    long p = 0;
    for (; p + 8 <= kc; p += 8) transpose8(src + r0 * lds + p, lds, dst + p * width + r0, width);
    for (; p < kc; p++)
      for (long r = r0; r < r0 + 8; r++) dst[p * width + r] = src[r * lds + p];
  }
#endif
  for (long p = 0; p < kc; p++) {
    float *d = dst + p * width;
    for (long r = r0; r < rows; r++) d[r] = src[r * lds + p];
    for (long r = rows; r < width; r++) d[r] = 0;
  }
}

/* One panel whose lanes are contiguous in the source: dst[p·width + r] = src[p·lds + r]. */
static void pack_direct(const float *src, long lds, long rows, long kc, float *dst, int width) {
  /* Full panels with a compile-time width: register moves (a memcpy call per 6-32 floats costs more than the copy). */
  if (rows == NR && width == NR) {
    for (long p = 0; p < kc; p++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(vfu *)(dst + p * NR + v * VL) = *(const vfu *)(src + p * lds + v * VL);
    return;
  }
  if (rows == MR && width == MR) {
    for (long p = 0; p < kc; p++)
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) dst[p * MR + r] = src[p * lds + r];
    return;
  }
  for (long p = 0; p < kc; p++) {
    float *d = dst + p * width;
    const float *s = src + p * lds;
    long r = 0;
    for (; r < rows; r++) d[r] = s[r];
    for (; r < width; r++) d[r] = 0;
  }
}

/* op(A)[i0 .. i0+mc) × [p0 .. p0+kc) into MR-row panels, panel q at dst + q·kc·MR. */
static void pack_a_strided(int transA, const float *a, long lda, long i0, long mc, long p0, long kc, float *dst,
                           long panelStride) {
  for (long ip = 0; ip < mc; ip += MR) {
    const long rows = min_l(MR, mc - ip);
    if (transA) pack_direct(a + p0 * lda + i0 + ip, lda, rows, kc, dst, MR);
    else pack_transposed(a + (i0 + ip) * lda + p0, lda, rows, kc, dst, MR);
    dst += panelStride;
  }
}

static void pack_a(int transA, const float *a, long lda, long i0, long mc, long p0, long kc, float *dst) {
  pack_a_strided(transA, a, lda, i0, mc, p0, kc, dst, kc * MR);
}

/* op(B)[p0 .. p0+kc) × [j0 .. j0+nc) into NR-column panels, panel q at dst + q·kc·NR. */
static void pack_b(int transB, const float *b, long ldb, long p0, long kc, long j0, long nc, float *dst) {
  for (long jp = 0; jp < nc; jp += NR) {
    const long cols = min_l(NR, nc - jp);
    if (transB) pack_transposed(b + (j0 + jp) * ldb + p0, ldb, cols, kc, dst, NR);
    else pack_direct(b + p0 * ldb + j0 + jp, ldb, cols, kc, dst, NR);
    dst += kc * NR;
  }
}

/*
 * op(B) = B (row-major, not transposed) for columns [j0 .. j0+nc) into NR-column panels as pack_b
 * does, reading B row by row: each row's run of nc floats is contiguous, so the reads stream, where
 * packing a panel at a time reads kc rows that may lie pages apart (fc layers' weights: 12 KB) once
 * per 16 columns and waits on a cache miss per row.
 */
static void pack_b_rows(const float *b, long ldb, long p0, long kc, long j0, long nc, float *dst) {
  const long full = nc / NR, rest = nc - full * NR;
  for (long p = 0; p < kc; p++) {
    const float *src = b + (p0 + p) * ldb + j0;
    float *d = dst + p * NR;
    for (long q = 0; q < full; q++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(vfu *)(d + q * kc * NR + v * VL) = *(const vfu *)(src + q * NR + v * VL);
    if (rest) {
      float *dr = d + full * kc * NR;
      for (long r = 0; r < rest; r++) dr[r] = src[full * NR + r];
      for (long r = rest; r < NR; r++) dr[r] = 0;
    }
  }
}

/* ---------------------------------------------------------------- micro-kernel */

/* C ← alpha·acc + beta·C on one row of NV vectors; beta = 0 never reads C (it may hold NaN). */
static inline void store_row(float *c, const vf *acc, float alpha, float beta, int vecs) {
  for (int v = 0; v < vecs; v++) {
    vfu *cp = (vfu *)(c + v * VL);
    if (beta == 0.0f) *cp = alpha * acc[v];
    else *cp = alpha * acc[v] + beta * *cp;
  }
}

/*
 * acc[r][v] = Σ_p Ap[p][r] · Bp[p][v·VL ..] for r < rows, v < vecs: the micro-kernel's loop, inlined
 * with constant rows and vecs so that an edge tile computes only the rows and vectors it stores. Each
 * element is the same sequence of FMAs whatever rows and vecs are, so edge tiles round alike.
 */
static inline __attribute__((always_inline)) void tile_sum(long kc, const float *restrict ap, const float *restrict bp,
                                                           vf acc[MR][NV], const int rows, const int vecs) {
#pragma GCC unroll 16
  for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) acc[r][v] = (vf){0};
  for (long p = 0; p < kc; p++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) bv[v] = *(const vf *)(bp + v * VL);
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) {
      const float av = ap[r];
#pragma GCC unroll 4
      for (int v = 0; v < vecs; v++) acc[r][v] += av * bv[v];
    }
    ap += MR;
    bp += NR;
  }
}

/*
 * C[0..mr)×[0..nr) ← alpha·(Ap ⊗ Bp summed over one k-block) + beta·C. Edge tiles (mr < MR or
 * nr < NR) compute 4 or 2 rows and one vector of columns when that covers them (the DQN nets' 32-row
 * layers leave 2-row tiles on the 6-row AVX2 kernel, their 49- and 81-column images 1-column tiles),
 * and store through a full-size buffer.
 */
static void micro_kernel(long kc, const float *restrict ap, const float *restrict bp, float *c, long ldc,
                         float alpha, float beta, long mr, long nr) {
  _Static_assert(NV == 2, "edge tiles assume two vectors of columns");
  vf acc[MR][NV];
  const int rows = mr > 4 ? MR : mr > 2 ? 4 : 2, oneVec = nr <= VL;
  if (rows == MR) {
    if (oneVec) tile_sum(kc, ap, bp, acc, MR, 1);
    else tile_sum(kc, ap, bp, acc, MR, NV);
  } else if (rows == 4) {
    if (oneVec) tile_sum(kc, ap, bp, acc, 4, 1);
    else tile_sum(kc, ap, bp, acc, 4, NV);
  } else {
    if (oneVec) tile_sum(kc, ap, bp, acc, 2, 1);
    else tile_sum(kc, ap, bp, acc, 2, NV);
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) store_row(c + r * ldc, acc[r], alpha, beta, NV);
    return;
  }
  float tile[MR * NR] __attribute__((aligned(64)));
  if (beta != 0.0f)
    for (long r = 0; r < mr; r++) memcpy(tile + r * NR, c + r * ldc, sizeof(float) * (size_t)nr);
  for (long r = 0; r < mr; r++) store_row(tile + r * NR, acc[r], alpha, beta, oneVec ? 1 : NV);
  for (long r = 0; r < mr; r++) memcpy(c + r * ldc, tile + r * NR, sizeof(float) * (size_t)nr);
}

/* ---------------------------------------------------------------- GEMM driver */

typedef struct {
  int transA, transB;
  long m, n, k, kcb;
  float alpha, beta;
  const float *a, *b;
  float *c;
  long lda, ldb, ldc;
  long mcb, ncb, mtasks, ntasks; /* task grid of one product: ≤ mcb rows × ≤ ncb columns each */
  long strideA, strideB, strideC, batch;
  long perTask; /* products per task: `batch` when they all accumulate into one C (strideC = 0), else 1 */
  /* op(A) and op(B) packed once for all tasks, or NULL (each task packs its own). k-block p0 of the
     packed A holds round_up(m, MR) rows at packedA + p0·mpad, its MR-row panel of row i at + i·kc;
     likewise for B with npad columns. */
  const float *packedA, *packedB;
  long mpad, npad;
  dq_pool *pool;
} gemm_job;

/* One C block of product s. Every k-block of every product is a pass over the block, in order. */
static void gemm_block(const gemm_job *j, long s, long i0, long j0, float *ap, float *bp) {
  const long mc = min_l(j->mcb, j->m - i0), nc = min_l(j->ncb, j->n - j0);
  const float *a = j->a + s * j->strideA, *b = j->b + s * j->strideB;
  float *c = j->c + s * j->strideC;
  for (long p0 = 0; p0 < j->k; p0 += j->kcb) {
    const long kc = min_l(j->kcb, j->k - p0);
    const float beta = p0 == 0 ? j->beta : 1.0f;
    const float *ak = ap;
    if (j->packedA) ak = j->packedA + p0 * j->mpad + i0 * kc;
    else pack_a(j->transA, a, j->lda, i0, mc, p0, kc, ap);
    /* A row-major B is packed for the whole block at once, reading its rows in order (pack_b_rows). */
    const int blockB = !j->packedB && !j->transB && nc > NR;
    if (blockB) pack_b_rows(b, j->ldb, p0, kc, j0, nc, bp);
    for (long jr = 0; jr < nc; jr += NR) {
      /* Otherwise B is packed panel by panel right before its use, so the panel is still in L1 for the micro-kernels. */
      const float *bpanel = bp;
      if (j->packedB) bpanel = j->packedB + p0 * j->npad + (j0 + jr) * kc;
      else if (blockB) bpanel = bp + jr * kc;
      else pack_b(j->transB, b, j->ldb, p0, kc, j0 + jr, min_l(NR, nc - jr), bp);
      for (long ir = 0; ir < mc; ir += MR) {
        micro_kernel(kc, ak + ir * kc, bpanel, c + (i0 + ir) * j->ldc + j0 + jr, j->ldc, j->alpha, beta,
                     min_l(MR, mc - ir), min_l(NR, nc - jr));
      }
    }
  }
}

/* Pre-packing job: task t packs rows (or columns) chunk t mod chunks of k-block t / chunks of the operands flagged. */
#define PREPACK_CHUNK (MR * NR * 4)
typedef struct {
  const gemm_job *j;
  float *packedA, *packedB;
  long chunksA, chunksB, kblocks;
} prepack_job;

static void prepack_task(void *ctx, long t, int tid) {
  (void)tid;
  const prepack_job *q = ctx;
  const gemm_job *j = q->j;
  const long perBlock = q->chunksA + q->chunksB, kb = t / perBlock, r = t % perBlock;
  const long p0 = kb * j->kcb, kc = min_l(j->kcb, j->k - p0);
  if (r < q->chunksA) {
    const long i0 = r * PREPACK_CHUNK;
    pack_a(j->transA, j->a, j->lda, i0, min_l(PREPACK_CHUNK, j->m - i0), p0, kc, q->packedA + p0 * j->mpad + i0 * kc);
  } else {
    const long j0 = (r - q->chunksA) * PREPACK_CHUNK;
    pack_b(j->transB, j->b, j->ldb, p0, kc, j0, min_l(PREPACK_CHUNK, j->n - j0), q->packedB + p0 * j->npad + j0 * kc);
  }
}

/* Packed operands beyond this many bytes are packed per task instead (they would not stay in cache anyway). */
#define PREPACK_MAX_BYTES ((size_t)8 << 20)

/*
 * Packs op(A) once when more than one task or product would pack the same A (one A for all
 * products, or several column blocks), op(B) likewise; leaves the job's packed pointers NULL otherwise.
 */
static void prepack(gemm_job *j, int threads) {
  const long mpad = round_up(j->m, MR), npad = round_up(j->n, NR);
  /* bytesA rounded to 64: the micro-kernel loads B panels as aligned vectors. */
  const size_t bytesA = ((size_t)mpad * (size_t)j->k * 4 + 63) & ~(size_t)63, bytesB = (size_t)npad * (size_t)j->k * 4;
  const int useA = j->strideA == 0 && (j->batch > 1 || j->ntasks > 1) && bytesA <= PREPACK_MAX_BYTES;
  const int useB = j->strideB == 0 && (j->batch > 1 || j->mtasks > 1) && bytesB <= PREPACK_MAX_BYTES;
  if (!useA && !useB) return;
  const size_t bytes = (useA ? bytesA : 0) + (useB ? bytesB : 0);
  float *buf = dq_pool_shared(j->pool, bytes);
  if (!buf) return;
  j->mpad = mpad;
  j->npad = npad;
  prepack_job q = {j, useA ? buf : NULL, useB ? buf + (useA ? bytesA / 4 : 0) : NULL,
                   useA ? ceil_div(j->m, PREPACK_CHUNK) : 0, useB ? ceil_div(j->n, PREPACK_CHUNK) : 0, ceil_div(j->k, j->kcb)};
  dq_pool_run(j->pool, bytes >= (size_t)EW_PAR_MIN * 4 ? threads : 1, q.kblocks * (q.chunksA + q.chunksB), prepack_task, &q);
  j->packedA = q.packedA;
  j->packedB = q.packedB;
}

/* Task t: block (t mod blocks) of product t / blocks, or of every product in turn when they share C. */
static void gemm_task(void *ctx, long t, int tid) {
  const gemm_job *j = ctx;
  const long blocks = j->mtasks * j->ntasks, b = t % blocks;
  const long i0 = (b / j->ntasks) * j->mcb, j0 = (b % j->ntasks) * j->ncb;
  float *ap = dq_pool_scratch(j->pool, tid);
  float *bp = ap + PACK_A_FLOATS;
  if (j->perTask == 1) gemm_block(j, t / blocks, i0, j0, ap, bp);
  else
    for (long s = 0; s < j->batch; s++) gemm_block(j, s, i0, j0, ap, bp);
}

/* The smallest block ≥ `total / parts`, rounded up to `unit`, and how many blocks that makes. */
static long split(long total, long parts, long unit, long *blocks) {
  const long size = round_up(ceil_div(total, parts), unit);
  *blocks = ceil_div(total, size);
  return size;
}

/* Rows of C when m < MR (one action, tiny heads): no packing, one row at a time. */
typedef struct {
  int transA, transB;
  long m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  long lda, ldb, ldc, cols; /* columns per task */
  long strideA, strideB, strideC, batch, chunks; /* chunks: column tasks per product */
  dq_pool *pool;
} rows_job;

#define ROW_VECS 4

static void rows_product(const rows_job *j, long s, long chunk, float *arow);

static void rows_task(void *ctx, long t, int tid) {
  const rows_job *j = ctx;
  float *arow = dq_pool_scratch(j->pool, tid);
  if (j->strideC != 0) rows_product(j, t / j->chunks, t % j->chunks, arow);
  else
    for (long s = 0; s < j->batch; s++) rows_product(j, s, t, arow);
}

static void rows_product(const rows_job *j, long s, long chunk, float *arow) {
  const long j0 = chunk * j->cols, j1 = min_l(j->n, j0 + j->cols);
  const float *a = j->a + s * j->strideA, *b = j->b + s * j->strideB;
  float *c = j->c + s * j->strideC;
  for (long i = 0; i < j->m; i++) {
    const float *ai = a + i * j->lda;
    if (j->transA) { /* gather row i of op(A) once */
      for (long p = 0; p < j->k; p++) arow[p] = a[p * j->lda + i];
      ai = arow;
    }
    float *ci = c + i * j->ldc;
    long jj = j0;
    if (!j->transB) {
      /* C[i][jj..] = Σ_p op(A)[i][p] · B[p][jj..]: ROW_VECS vectors of columns at a time. */
      for (; jj + ROW_VECS * VL <= j1; jj += ROW_VECS * VL) {
        vf acc[ROW_VECS] = {0};
        for (long p = 0; p < j->k; p++) {
          const float av = ai[p];
          const float *bp = b + p * j->ldb + jj;
          for (int v = 0; v < ROW_VECS; v++) acc[v] += av * *(const vfu *)(bp + v * VL);
        }
        for (int v = 0; v < ROW_VECS; v++) {
          vfu *cp = (vfu *)(ci + jj + v * VL);
          *cp = j->beta == 0.0f ? j->alpha * acc[v] : j->alpha * acc[v] + j->beta * *cp;
        }
      }
      for (; jj < j1; jj++) {
        float s = 0;
        for (long p = 0; p < j->k; p++) s += ai[p] * b[p * j->ldb + jj];
        ci[jj] = j->beta == 0.0f ? j->alpha * s : j->alpha * s + j->beta * ci[jj];
      }
    } else {
      /* C[i][jj] = op(A)[i]·B[jj]: a dot product of two contiguous rows, VL·2 lanes then summed in a fixed order. */
      for (; jj < j1; jj++) {
        const float *bj = b + jj * j->ldb;
        vf acc0 = {0}, acc1 = {0};
        long p = 0;
        for (; p + 2 * VL <= j->k; p += 2 * VL) {
          acc0 += *(const vfu *)(ai + p) * *(const vfu *)(bj + p);
          acc1 += *(const vfu *)(ai + p + VL) * *(const vfu *)(bj + p + VL);
        }
        acc0 += acc1;
        float s = 0;
        for (int l = 0; l < VL; l++) s += acc0[l];
        for (; p < j->k; p++) s += ai[p] * bj[p];
        ci[jj] = j->beta == 0.0f ? j->alpha * s : j->alpha * s + j->beta * ci[jj];
      }
    }
  }
}

static void scale_c(long m, long n, float beta, float *c, long ldc) {
  if (beta == 1.0f) return;
  for (long i = 0; i < m; i++) {
    float *row = c + i * ldc;
    if (beta == 0.0f) memset(row, 0, sizeof(float) * (size_t)n);
    else
      for (long j = 0; j < n; j++) row[j] *= beta;
  }
}

/* Splits `parts` more ways along N or M, whichever re-packs less (cutting N re-packs op(A) per extra task). */
static void refine_grid(gemm_job *j, long want) {
  while (j->mtasks * j->ntasks < want) {
    const int canN = j->ncb > NR, canM = j->mcb > MR;
    if (canN && (!canM || j->m <= j->n)) {
      long parts = j->ntasks + 1, got;
      long size = split(j->n, parts, NR, &got);
      while (got <= j->ntasks && size > NR) size = split(j->n, ++parts, NR, &got);
      if (got <= j->ntasks) return;
      j->ncb = size;
      j->ntasks = got;
    } else if (canM) {
      long parts = j->mtasks + 1, got;
      long size = split(j->m, parts, MR, &got);
      while (got <= j->mtasks && size > MR) size = split(j->m, ++parts, MR, &got);
      if (got <= j->mtasks) return;
      j->mcb = size;
      j->mtasks = got;
    } else {
      return;
    }
  }
}

/*
 * Products accumulating into one C (a conv layer's weight gradient over the batch) go in SUM_GROUPS
 * fixed groups of consecutive products, each summed into a partial C of its own, and C = beta·C +
 * Σ partials in group order. The groups depend on the batch alone, so the sums do not depend on the
 * thread count, and the threads share the products instead of each re-packing every product's A
 * for a slice of a small C.
 */
#define SUM_GROUPS 8

typedef struct {
  gemm_job j; /* the whole product grid of one thread: ≤ mcb × ≤ ncb blocks */
  float *partial;
} group_job;

/*
 * A group's products with k ≤ KC/2 (the weight gradients of the 81- and 49-position conv layers) as
 * one GEMM over the concatenated k: a k-block holds KC / k whole products, packed side by side
 * (product t of the block at k-offset t·k of every panel), so the micro-kernel runs KC-long sums
 * instead of reloading its C tile after every short product. The blocks depend on k and the batch
 * alone, so the sums do not depend on the thread count.
 */
static void group_concat(const gemm_job *j, long s0, long s1, float *ap, float *bp) {
  const long spb = KC / j->k;
  for (long i0 = 0; i0 < j->m; i0 += j->mcb) {
    const long mc = min_l(j->mcb, j->m - i0);
    for (long j0 = 0; j0 < j->n; j0 += j->ncb) {
      const long nc = min_l(j->ncb, j->n - j0);
      for (long sb = s0; sb < s1; sb += spb) {
        const long ns = min_l(spb, s1 - sb), kc = ns * j->k;
        const float beta = sb == s0 ? 0.0f : 1.0f;
        for (long t = 0; t < ns; t++)
          pack_a_strided(j->transA, j->a + (sb + t) * j->strideA, j->lda, i0, mc, 0, j->k, ap + t * j->k * MR, kc * MR);
        for (long jr = 0; jr < nc; jr += NR) {
          for (long t = 0; t < ns; t++)
            pack_b(j->transB, j->b + (sb + t) * j->strideB, j->ldb, 0, j->k, j0 + jr, min_l(NR, nc - jr), bp + t * j->k * NR);
          for (long ir = 0; ir < mc; ir += MR)
            micro_kernel(kc, ap + ir * kc, bp, j->c + (i0 + ir) * j->ldc + j0 + jr, j->ldc, j->alpha, beta,
                         min_l(MR, mc - ir), min_l(NR, nc - jr));
        }
      }
    }
  }
}

static void group_task(void *ctx, long g, int tid) {
  const group_job *q = ctx;
  gemm_job j = q->j;
  j.c = q->partial + g * j.m * j.n;
  j.ldc = j.n;
  float *ap = dq_pool_scratch(j.pool, tid), *bp = ap + PACK_A_FLOATS;
  const long s0 = g * j.batch / SUM_GROUPS, s1 = (g + 1) * j.batch / SUM_GROUPS;
  if (2 * j.k <= KC && s1 - s0 > 1) {
    group_concat(&j, s0, s1, ap, bp);
    return;
  }
  for (long s = s0; s < s1; s++) {
    j.beta = s == s0 ? 0.0f : 1.0f;
    for (long i0 = 0; i0 < j.m; i0 += j.mcb)
      for (long j0 = 0; j0 < j.n; j0 += j.ncb) gemm_block(&j, s, i0, j0, ap, bp);
  }
}

typedef struct {
  const float *partial;
  float *c;
  long m, n, ldc;
  float beta;
} group_sum_args;

static void group_sum_rows(void *args, long r0, long r1) {
  const group_sum_args *q = args;
  const long plane = q->m * q->n;
  for (long r = r0; r < r1; r++) {
    float *restrict c = q->c + r * q->ldc;
    const float *restrict part = q->partial + r * q->n;
    for (long i = 0; i < q->n; i++) {
      float v = q->beta == 0.0f ? 0.0f : q->beta * c[i];
      for (int g = 0; g < SUM_GROUPS; g++) v += part[g * plane + i];
      c[i] = v;
    }
  }
}

static void for_range(const dq_ctx *ctx, long len, long chunk, long work, void (*fn)(void *, long, long), void *args);

/* The grouped form of a shared-C batch; returns 0 (doing nothing) when it does not apply. */
static int gemm_grouped(const dq_ctx *ctx, int threads, const gemm_job *base) {
  if (base->strideC != 0 || base->batch < 2 * SUM_GROUPS) return 0;
  const size_t bytes = (size_t)base->m * (size_t)base->n * SUM_GROUPS * 4;
  if (bytes > PREPACK_MAX_BYTES) return 0;
  float *partial = dq_pool_shared(base->pool, bytes);
  if (!partial) return 0;
  group_job q = {*base, partial};
  dq_pool_run(base->pool, threads, SUM_GROUPS, group_task, &q);
  group_sum_args sa = {partial, base->c, base->m, base->n, base->ldc, base->beta};
  for_range(ctx, base->m, max_l(1, EW_CHUNK / (base->n * SUM_GROUPS)), base->m * base->n * SUM_GROUPS, group_sum_rows, &sa);
  return 1;
}

static void gemm_batched(const dq_ctx *ctx, int transA, int transB, long m, long n, long k, float alpha, const float *a,
                         long lda, long strideA, const float *b, long ldb, long strideB, float beta, float *c, long ldc,
                         long strideC, long batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    /* C_s = beta·C_s in order: with a shared C (strideC = 0) that is beta^batch. */
    for (long s = 0; s < (strideC ? batch : 1); s++) scale_c(m, n, beta, c + s * strideC, ldc);
    for (long s = 1; s < batch && !strideC; s++) scale_c(m, n, beta, c, ldc);
    return;
  }
  const double macs = (double)m * n * k * batch;
  const int threads = macs >= PAR_MIN_MACS ? ctx->threads : 1;
  /* m < MR: a packed MR-row panel would be mostly padding, and op(B) would be packed for one use. */
  if (m < MR && (!transA || (size_t)k * sizeof(float) <= DQ_SCRATCH_BYTES)) {
    rows_job j = {transA, transB, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc, n, strideA, strideB, strideC, batch, 1, ctx->pool};
    long tasks = 1;
    if (threads > 1 && (strideC == 0 || batch < threads * 2)) j.cols = split(n, threads * 2, 64, &tasks);
    j.chunks = tasks;
    dq_pool_run(ctx->pool, threads, strideC ? tasks * batch : tasks, rows_task, &j);
    return;
  }
  gemm_job j = {transA, transB, m, n, k, 0, alpha, beta, a, b, c, lda, ldb, ldc, 0, 0, 0, 0,
                strideA, strideB, strideC, batch, strideC ? 1 : batch, NULL, NULL, 0, 0, ctx->pool};
  long kblocks = ceil_div(k, KC);
  j.kcb = ceil_div(k, kblocks); /* equal k-blocks: a function of k only */
  j.mcb = split(m, ceil_div(m, MC), MR, &j.mtasks);
  j.ncb = split(n, ceil_div(n, NC), NR, &j.ntasks);
  if (gemm_grouped(ctx, threads, &j)) return;
  /* At least 3 tasks per thread so a late or busy thread does not hold the others up. Products
     with their own C are tasks of their own; products sharing one C split only that C. */
  if (threads > 1) refine_grid(&j, ceil_div(threads * 3, strideC ? batch : 1));
  prepack(&j, threads);
  const long tasks = j.mtasks * j.ntasks * (strideC ? batch : 1);
  dq_pool_run(ctx->pool, threads, tasks, gemm_task, &j);
}

static void gemm(const dq_ctx *ctx, int transA, int transB, long m, long n, long k, float alpha, const float *a,
                 long lda, const float *b, long ldb, float beta, float *c, long ldc) {
  gemm_batched(ctx, transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
}

/* ---------------------------------------------------------------- parallel elementwise helper */

typedef void (*range_fn)(void *args, long lo, long hi);
typedef struct {
  range_fn fn;
  void *args;
  long len, chunk;
} range_job;

static void range_task(void *ctx, long t, int tid) {
  (void)tid;
  const range_job *r = ctx;
  const long lo = t * r->chunk;
  r->fn(r->args, lo, min_l(r->len, lo + r->chunk));
}

/* fn over [0, len) in chunks of `chunk` (a function of nothing but the call), threaded when `work` (elements touched) is large enough to pay. */
static void for_range(const dq_ctx *ctx, long len, long chunk, long work, range_fn fn, void *args) {
  const long tasks = ceil_div(len, chunk);
  if (tasks <= 1 || ctx->threads <= 1 || work < EW_PAR_MIN) {
    if (len > 0) fn(args, 0, len);
    return;
  }
  range_job r = {fn, args, len, chunk};
  dq_pool_run(ctx->pool, ctx->threads, tasks, range_task, &r);
}

/* ---------------------------------------------------------------- im2col / col2im */

typedef struct {
  const float *x;
  float *col;
  long c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, ldcol;
} conv_args;

static long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static long ceil_div_signed(long a, long b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }

/* Output columns ox whose input column ox·sw − pw + j lies inside [0, w). */
static void ox_range(const conv_args *q, long j, long *lo, long *hi) {
  *lo = min_l(q->outW, max_l(0, ceil_div_signed(q->pw - j, q->sw)));
  *hi = max_l(*lo, min_l(q->outW, floor_div(q->w - 1 + q->pw - j, q->sw) + 1));
}

#if defined(__SSE2__)
/* dst[c·ldd + r] = src[r·lds + c] for a 4×4 block. */
static inline void transpose4(const float *src, long lds, float *dst, long ldd) {
  __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + lds), r2 = _mm_loadu_ps(src + 2 * lds), r3 = _mm_loadu_ps(src + 3 * lds);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst, r0);
  _mm_storeu_ps(dst + ldd, r1);
  _mm_storeu_ps(dst + 2 * ldd, r2);
  _mm_storeu_ps(dst + 3 * ldd, r3);
}
#endif

/* Kernel columns whose valid output range [lo, hi) is precomputed (beyond it, computed per use). */
#define MAX_KW_CACHED 64

/* The valid output range of kernel column j, from the cache when it has it. */
static inline void ox_range_cached(const conv_args *q, const long *lo, const long *hi, long j, long *l, long *h) {
  if (j < MAX_KW_CACHED) {
    *l = lo[j];
    *h = hi[j];
  } else {
    ox_range(q, j, l, h);
  }
}

/*
 * Column rows j0 .. j0+width of one output row, when every one of them reads inside the image for
 * every ox (no horizontal padding reached): d[jj][ox] = s[ox·sw + jj] is the transpose of the
 * width-column matrix whose rows start sw floats apart, done in width × width register blocks.
 */
static void im2col_block(const conv_args *q, long j0, int width, const float *srow, float *d) {
  const float *s = srow + (j0 - q->pw);
  long ox = 0;
#if defined(__AVX__)
  if (width == 8) {
    for (; ox + 8 <= q->outW; ox += 8) transpose8(s + ox * q->sw, q->sw, d + ox, q->ldcol);
    /* A 4-column tail (the 84×84 8×8/4 layer's 20 = 2·8 + 4) as two 4×4 transposes. */
    for (; ox + 4 <= q->outW; ox += 4) {
      transpose4(s + ox * q->sw, q->sw, d + ox, q->ldcol);
      transpose4(s + ox * q->sw + 4, q->sw, d + 4 * q->ldcol + ox, q->ldcol);
    }
  }
#endif
#if defined(__SSE2__)
  if (width == 4)
    for (; ox + 4 <= q->outW; ox += 4) transpose4(s + ox * q->sw, q->sw, d + ox, q->ldcol);
#endif
  for (; ox < q->outW; ox++)
    for (int jj = 0; jj < width; jj++) d[jj * q->ldcol + ox] = s[ox * q->sw + jj];
}

/*
 * Stride-1 columns that never reach horizontal padding (the 3×3/1 layer): column row (ci, i, j) is
 * outH runs of outW floats, each read from one input row. A run is copied by whole vectors when
 * their overhang, both read and written, stays inside the plane and the column row: the runs are
 * written in order, so the next ones overwrite what a run's last vector wrote beyond it.
 */
static void im2col_stride1(const conv_args *q, long c0, long c1) {
  const long runs = q->outH * q->outW, vecLen = round_up(q->outW, VL);
  for (long ci = c0; ci < c1; ci++) {
    const float *plane = q->x + ci * q->h * q->w, *planeEnd = plane + q->h * q->w;
    for (long i = 0; i < q->kh; i++) {
      for (long j = 0; j < q->kw; j++) {
        float *row = q->col + ((ci * q->kh + i) * q->kw + j) * q->ldcol;
        for (long oy = 0; oy < q->outH; oy++) {
          const long iy = oy * q->sh - q->ph + i;
          float *d = row + oy * q->outW;
          if (iy < 0 || iy >= q->h) {
            memset(d, 0, sizeof(float) * (size_t)q->outW);
            continue;
          }
          const float *s = plane + iy * q->w + (j - q->pw);
          if (oy * q->outW + vecLen <= runs && s + vecLen <= planeEnd) {
            for (long t = 0; t < q->outW; t += VL) *(vfu *)(d + t) = *(const vfu *)(s + t);
          } else {
            for (long t = 0; t < q->outW; t++) d[t] = s[t];
          }
        }
      }
    }
  }
}

static void im2col_channels(void *args, long c0, long c1) {
  const conv_args *q = args;
  long lo[MAX_KW_CACHED], hi[MAX_KW_CACHED];
  for (long j = 0; j < q->kw && j < MAX_KW_CACHED; j++) ox_range(q, j, &lo[j], &hi[j]);
  if (q->sw == 1 && q->kw <= MAX_KW_CACHED && lo[0] == 0 && hi[q->kw - 1] == q->outW) {
    /* Column 0 starts inside the image and the last column ends inside it: no column reaches horizontal padding. */
    im2col_stride1(q, c0, c1);
    return;
  }
  /* Kernel columns [0, blocked) go in transposed blocks (the strided 8×8/4 first layer: 8 wide);
     a block qualifies when none of its columns reaches horizontal padding. */
  long blocked = 0;
  int width = 0;
#if defined(__SSE2__)
  if (q->sw > 1) {
    for (width = 8; width >= 4; width -= 4) {
#if !defined(__AVX__)
      if (width == 8) continue;
#endif
      blocked = 0;
      while (blocked + width <= q->kw && blocked + width <= MAX_KW_CACHED && lo[blocked] == 0 && hi[blocked + width - 1] == q->outW)
        blocked += width;
      if (blocked > 0) break;
    }
  }
#endif
  for (long ci = c0; ci < c1; ci++) {
    const float *plane = q->x + ci * q->h * q->w;
    for (long i = 0; i < q->kh; i++) {
      float *rows = q->col + (ci * q->kh + i) * q->kw * q->ldcol; /* column row (ci, i, 0) */
      for (long oy = 0; oy < q->outH; oy++) {
        const long iy = oy * q->sh - q->ph + i;
        float *seg = rows + oy * q->outW;
        if (iy < 0 || iy >= q->h) {
          for (long j = 0; j < q->kw; j++) memset(seg + j * q->ldcol, 0, sizeof(float) * (size_t)q->outW);
          continue;
        }
        const float *srow = plane + iy * q->w;
        for (long j = 0; j < blocked; j += width) im2col_block(q, j, width, srow, seg + j * q->ldcol);
        for (long j = blocked; j < q->kw; j++) {
          long l, h;
          ox_range_cached(q, lo, hi, j, &l, &h);
          float *dst = seg + j * q->ldcol;
          const float *src = srow + (j - q->pw);
          for (long ox = 0; ox < l; ox++) dst[ox] = 0;
          /* Plain loops: the segments are short (7-20 floats in the DQN nets), shorter than a memcpy call is worth. */
          if (q->sw == 1)
            for (long ox = l; ox < h; ox++) dst[ox] = src[ox];
          else
            for (long ox = l; ox < h; ox++) dst[ox] = src[ox * q->sw];
          for (long ox = h; ox < q->outW; ox++) dst[ox] = 0;
        }
      }
    }
  }
}

static void col2im_channels(void *args, long c0, long c1) {
  const conv_args *q = args;
  float *dx = (float *)q->x;
  long los[MAX_KW_CACHED], his[MAX_KW_CACHED];
  for (long j = 0; j < q->kw && j < MAX_KW_CACHED; j++) ox_range(q, j, &los[j], &his[j]);
  for (long ci = c0; ci < c1; ci++) {
    float *plane = dx + ci * q->h * q->w;
    for (long i = 0; i < q->kh; i++) {
      for (long j = 0; j < q->kw; j++) {
        long lo, hi;
        ox_range_cached(q, los, his, j, &lo, &hi);
        const float *src = q->col + ((ci * q->kh + i) * q->kw + j) * q->ldcol;
        for (long oy = 0; oy < q->outH; oy++) {
          const long iy = oy * q->sh - q->ph + i;
          if (iy < 0 || iy >= q->h) continue;
          const float *s = src + oy * q->outW + lo;
          float *d = plane + iy * q->w + (lo * q->sw - q->pw + j);
          if (q->sw == 1)
            for (long t = 0; t < hi - lo; t++) d[t] += s[t];
          else
            for (long t = 0; t < hi - lo; t++) d[t * q->sw] += s[t];
        }
      }
    }
  }
}

/* Channels per task so a task holds ≥ ~EW_CHUNK column entries. */
static long conv_chunk(const conv_args *q) {
  const long perChannel = max_l(1, q->kh * q->kw * q->outH * q->outW);
  return max_l(1, EW_CHUNK / perChannel);
}

static void im2col(const dq_ctx *ctx, const float *x, long c, long h, long w, long kh, long kw, long sh, long sw,
                   long ph, long pw, long outH, long outW, float *col, long ldcol) {
  conv_args q = {x, col, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, ldcol};
  for_range(ctx, c, conv_chunk(&q), c * kh * kw * outH * outW, im2col_channels, &q);
}

static void col2im(const dq_ctx *ctx, const float *col, long ldcol, long c, long h, long w, long kh, long kw,
                   long sh, long sw, long ph, long pw, long outH, long outW, float *dx) {
  conv_args q = {dx, (float *)col, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, ldcol};
  for_range(ctx, c, conv_chunk(&q), c * kh * kw * outH * outW, col2im_channels, &q);
}

/* ---------------------------------------------------------------- direct convolution (implicit GEMM) */

/*
 * Unpadded convolutions without the column matrix. The forward pass is the GEMM Yᵀ = colᵀ · Wᵀ
 * with the rows of colᵀ (output positions, across the whole batch) read straight from the images:
 * a micro-tile of MR positions × NR output channels broadcasts, for each k = (ci, ky, kx), the MR
 * pixels x[ci][oy·sh + ky][ox·sw + kx] against one row of the packed weights. The weight gradient
 * is the GEMM dWᵀ = col · dYᵀ, its rows (k) read from the images the same way. Nothing the size
 * of col (a batch of 8×8/4 convolutions unfolds to 13 MB) is written or read back.
 *
 * Each output element is one sum in a fixed order (k for the forward pass; images, then
 * positions, for the gradient) whatever the tasks and threads, as in the GEMM.
 */

typedef struct {
  const float *x, *wt, *dy;
  float *y, *dw;
  long n, c, h, w, o, kh, kw, sh, sw, outH, outW;
  long k, p, tiles, tilesPerTask, krowsPerTask, panels;
  /* dYᵀ of every image and panel packed once for all gradient tasks (image i, panel q at + (i·panels + q)·p·NR), or NULL. */
  const float *dyPacked;
  dq_pool *pool;
} dconv_job;

/* Rows of the packed weights for one NR-column panel: wp[k·NR + j] = W[j0 + j][k] (0 beyond o). */
static void pack_weight_panel(const dconv_job *q, long j0, float *wp) {
  const long cols = min_l(NR, q->o - j0);
  pack_transposed(q->wt + j0 * q->k, q->k, cols, q->k, wp, NR);
}

/*
 * acc[r][v] = Σ_k xr[r][off(k)] · wp[k][v·VL ..], k = (ci, ky, kx) in order; `vecs` of NV vectors.
 */
static inline __attribute__((always_inline)) void dconv_tile(const dconv_job *q, const float *const xr[MR],
                                                             const float *restrict wp, vf acc[MR][NV], const int vecs) {
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) acc[r][v] = (vf){0};
  const long hw = q->h * q->w;
  for (long ci = 0; ci < q->c; ci++)
    for (long ky = 0; ky < q->kh; ky++) {
      const long off = ci * hw + ky * q->w;
      for (long kx = 0; kx < q->kw; kx++) {
        vf bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < vecs; v++) bv[v] = *(const vf *)(wp + v * VL);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
          const float av = xr[r][off + kx];
#pragma GCC unroll 4
          for (int v = 0; v < vecs; v++) acc[r][v] += av * bv[v];
        }
        wp += NR;
      }
    }
}

/* How far beyond a tile's last pixel of a row the forward pass prefetches (floats). */
#define DCONV_PREFETCH_FLOATS 16

/* Forward task t: tiles [t0, t1) of MR positions (of all n·p) against weight panel t mod panels. */
static void dconv_forward_task(void *ctx, long t, int tid) {
  const dconv_job *q = ctx;
  const long panel = t % q->panels, t0 = (t / q->panels) * q->tilesPerTask, t1 = min_l(q->tiles, t0 + q->tilesPerTask);
  const long j0 = panel * NR, cols = min_l(NR, q->o - j0);
  float *wp = dq_pool_scratch(q->pool, tid);
  pack_weight_panel(q, j0, wp);
  const long total = q->n * q->p, chw = q->c * q->h * q->w;
  /* The next position's image, index and output coordinates, advanced one position at a time (no divisions per tile). */
  long img = t0 * MR / q->p, pos = t0 * MR % q->p, oy = pos / q->outW, ox = pos % q->outW;
  for (long tile = t0; tile < t1; tile++) {
    const long rows = min_l(MR, total - tile * MR);
    const float *xr[MR];
    long yoff[MR];
    for (long r = 0; r < rows; r++) {
      xr[r] = q->x + img * chw + oy * q->sh * q->w + ox * q->sw;
      yoff[r] = img * q->o * q->p + pos;
      pos++;
      if (++ox == q->outW) {
        ox = 0;
        if (++oy == q->outH) {
          oy = 0;
          pos = 0;
          img++;
        }
      }
    }
    for (long r = rows; r < MR; r++) xr[r] = xr[0];
    /* The next tiles read the same kh rows of every channel a little further right: ask for those
       lines now (a tile walks c·kh rows at once, more streams than the hardware prefetcher follows). */
    for (long ci = 0; ci < q->c; ci++)
      for (long ky = 0; ky < q->kh; ky++) {
        const float *row = xr[rows - 1] + ci * q->h * q->w + ky * q->w + q->kw;
        __builtin_prefetch(row + DCONV_PREFETCH_FLOATS);
        __builtin_prefetch(row + DCONV_PREFETCH_FLOATS + 16);
      }
    vf acc[MR][NV];
    float tileOut[MR * NR] __attribute__((aligned(64)));
    if (cols <= VL) dconv_tile(q, xr, wp, acc, 1);
    else dconv_tile(q, xr, wp, acc, NV);
    for (long r = 0; r < rows; r++)
      for (int v = 0; v < (cols <= VL ? 1 : NV); v++) *(vf *)(tileOut + r * NR + v * VL) = acc[r][v];
    for (long j = 0; j < cols; j++) {
      float *yj = q->y + (j0 + j) * q->p;
      for (long r = 0; r < rows; r++) yj[yoff[r]] = tileOut[r * NR + j];
    }
  }
}

/* Positions of one image packed per gradient pass: dYᵀ rows in per-thread scratch. */
#define DCONV_POS_CHUNK 2048L

/*
 * acc[r][v] += Σ_i xp[r][po(i)] · bp[i][v·VL ..] over `np` positions from (oy, ox), po = oy·sh·w + ox·sw:
 * one tile of dWᵀ (rows k, read at their offsets xp[r] in the image) against packed dYᵀ rows.
 */
static inline __attribute__((always_inline)) void dconv_grad_tile(const dconv_job *q, const float *const xp[MR],
                                                                  const float *restrict bp, long np, long oy, long ox,
                                                                  vf acc[MR][NV], const int vecs) {
  const long rowStep = q->sh * q->w;
  long po = oy * rowStep + ox * q->sw;
  for (long i = 0; i < np; i++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) bv[v] = *(const vf *)(bp + v * VL);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const float av = xp[r][po];
#pragma GCC unroll 4
      for (int v = 0; v < vecs; v++) acc[r][v] += av * bv[v];
    }
    bp += NR;
    po += q->sw;
    if (++ox == q->outW) {
      ox = 0;
      po = ++oy * rowStep;
    }
  }
}

/*
 * Gradient task t: rows [k0, k1) of dWᵀ (whole MR-row tiles) × weight panel t mod panels, summed
 * over every image and position in order into an accumulator in scratch, then added to dW.
 */
static void dconv_grad_task(void *ctx, long t, int tid) {
  const dconv_job *q = ctx;
  const long panel = t % q->panels, k0 = (t / q->panels) * q->krowsPerTask, k1 = min_l(q->k, k0 + q->krowsPerTask);
  const long j0 = panel * NR, cols = min_l(NR, q->o - j0);
  float *dyt = dq_pool_scratch(q->pool, tid);
  float *accBuf = dyt + DCONV_POS_CHUNK * NR;
  memset(accBuf, 0, sizeof(float) * (size_t)(round_up(k1 - k0, MR) * NR));
  const long hw = q->h * q->w, chw = q->c * hw, khw = q->kh * q->kw;
  for (long img = 0; img < q->n; img++) {
    const float *xi = q->x + img * chw;
    const float *dyi = q->dy + img * q->o * q->p + j0 * q->p;
    for (long c0 = 0; c0 < q->p; c0 += DCONV_POS_CHUNK) {
      const long np = min_l(DCONV_POS_CHUNK, q->p - c0);
      /* dyt[i·NR + j] = dY[img][j0 + j][c0 + i], zero for j ≥ cols. */
      const float *bp = dyt;
      if (q->dyPacked) bp = q->dyPacked + ((img * q->panels + panel) * q->p + c0) * NR;
      else pack_transposed(dyi + c0, q->p, cols, np, dyt, NR);
      for (long kt = k0; kt < k1; kt += MR) {
        const long rows = min_l(MR, k1 - kt);
        const float *xp[MR];
        for (long r = 0; r < MR; r++) {
          const long kk = kt + (r < rows ? r : 0), ci = kk / khw, rem = kk % khw;
          xp[r] = xi + ci * hw + (rem / q->kw) * q->w + rem % q->kw;
        }
        float *ab = accBuf + (kt - k0) * NR;
        vf acc[MR][NV];
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[r][v] = *(const vf *)(ab + r * NR + v * VL);
        if (cols <= VL) dconv_grad_tile(q, xp, bp, np, c0 / q->outW, c0 % q->outW, acc, 1);
        else dconv_grad_tile(q, xp, bp, np, c0 / q->outW, c0 % q->outW, acc, NV);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) *(vf *)(ab + r * NR + v * VL) = acc[r][v];
      }
    }
  }
  for (long j = 0; j < cols; j++) {
    float *dwj = q->dw + (j0 + j) * q->k;
    for (long kk = k0; kk < k1; kk++) dwj[kk] += accBuf[(kk - k0) * NR + j];
  }
}

/* Prepacking task t: dYᵀ of image t / panels, panel t mod panels. */
static void dconv_pack_dy_task(void *ctx, long t, int tid) {
  (void)tid;
  const dconv_job *q = ctx;
  const long img = t / q->panels, j0 = (t % q->panels) * NR;
  pack_transposed(q->dy + img * q->o * q->p + j0 * q->p, q->p, min_l(NR, q->o - j0), q->p, (float *)q->dyPacked + t * q->p * NR, NR);
}

static void conv2d(const dq_ctx *ctx, const float *x, long n, long c, long h, long w, const float *weight, long o, long kh,
                   long kw, long sh, long sw, long outH, long outW, float *y) {
  dconv_job q = {.x = x, .wt = weight, .y = y, .n = n, .c = c, .h = h, .w = w, .o = o, .kh = kh, .kw = kw, .sh = sh,
                 .sw = sw, .outH = outH, .outW = outW, .k = c * kh * kw, .p = outH * outW, .pool = ctx->pool};
  if (n <= 0 || o <= 0 || q.p <= 0) return;
  q.panels = ceil_div(o, NR);
  q.tiles = ceil_div(n * q.p, MR);
  const double macs = (double)n * q.p * q.k * o;
  const int threads = macs >= PAR_MIN_MACS ? ctx->threads : 1;
  /* ≥ 3 tasks per thread when there is enough work, each ≥ 32 tiles so the panel packing stays small. */
  const long chunks = threads > 1 ? max_l(1, min_l(ceil_div(threads * 3, q.panels), q.tiles / 32)) : 1;
  q.tilesPerTask = ceil_div(q.tiles, chunks);
  dq_pool_run(ctx->pool, threads, ceil_div(q.tiles, q.tilesPerTask) * q.panels, dconv_forward_task, &q);
}

static void conv2dWeightGrad(const dq_ctx *ctx, const float *x, const float *dy, long n, long c, long h, long w, long o,
                             long kh, long kw, long sh, long sw, long outH, long outW, float *dw) {
  dconv_job q = {.x = x, .dy = dy, .dw = dw, .n = n, .c = c, .h = h, .w = w, .o = o, .kh = kh, .kw = kw, .sh = sh,
                 .sw = sw, .outH = outH, .outW = outW, .k = c * kh * kw, .p = outH * outW, .pool = ctx->pool};
  if (n <= 0 || o <= 0 || q.p <= 0 || q.k <= 0) return;
  q.panels = ceil_div(o, NR);
  const double macs = (double)n * q.p * q.k * o;
  const int threads = macs >= PAR_MIN_MACS ? ctx->threads : 1;
  const long ktiles = ceil_div(q.k, MR);
  const long chunks = threads > 1 ? max_l(1, min_l(ceil_div(threads * 3, q.panels), ktiles)) : 1;
  q.krowsPerTask = ceil_div(ktiles, chunks) * MR;
  /* With several tasks per panel, dYᵀ is packed once (threaded over images) instead of once per task. */
  if (chunks > 1) {
    q.dyPacked = dq_pool_shared(ctx->pool, (size_t)(n * q.panels * q.p * NR) * 4);
    if (q.dyPacked) dq_pool_run(ctx->pool, threads, n * q.panels, dconv_pack_dy_task, &q);
  }
  dq_pool_run(ctx->pool, threads, ceil_div(q.k, q.krowsPerTask) * q.panels, dconv_grad_task, &q);
}

/*
 * The input gradient, dX = col2im(Wᵀ · dY), per image: each MR × NR tile of Wᵀ · dY (rows k, columns
 * positions) is added straight into dX at the pixels its entries came from, instead of being stored
 * in a column matrix that col2im reads back. A task is one image, so no two threads add into the same
 * pixel, and every pixel's terms arrive in one fixed order (output channels in blocks of ≤ KC, then
 * position chunks, k-panels and position panels in order) whatever the thread count.
 */
static void dconv_input_grad_task(void *ctx, long img, int tid) {
  const dconv_job *q = ctx;
  const long hw = q->h * q->w, chw = q->c * hw, khw = q->kh * q->kw;
  float *bp = dq_pool_scratch(q->pool, tid); /* dY chunk as NR-position panels: ≤ KC × DCONV_POS_CHUNK */
  float *ap = bp + (long)KC * DCONV_POS_CHUNK; /* one MR-row panel of Wᵀ: MR × ≤ KC */
  long *posOff = (long *)(ap + (long)MR * KC); /* pixel offset of each position of the chunk */
  float *dx = q->y + img * chw;
  const float *dyi = q->dy + img * q->o * q->p;
  memset(dx, 0, sizeof(float) * (size_t)chw);
  for (long c0 = 0; c0 < q->p; c0 += DCONV_POS_CHUNK) {
    const long np = min_l(DCONV_POS_CHUNK, q->p - c0);
    for (long i = 0; i < np; i++) posOff[i] = ((c0 + i) / q->outW) * q->sh * q->w + ((c0 + i) % q->outW) * q->sw;
    for (long o0 = 0; o0 < q->o; o0 += KC) {
      const long ob = min_l(KC, q->o - o0);
      for (long jr = 0; jr < np; jr += NR) pack_direct(dyi + o0 * q->p + c0 + jr, q->p, min_l(NR, np - jr), ob, bp + jr * ob, NR);
      for (long k0 = 0; k0 < q->k; k0 += MR) {
        const long rows = min_l(MR, q->k - k0);
        /* ap[oo·MR + r] = W[o0 + oo][k0 + r]: row k0 + r of Wᵀ. */
        pack_direct(q->wt + o0 * q->k + k0, q->k, rows, ob, ap, MR);
        long offk[MR];
        for (long r = 0; r < rows; r++) {
          const long kk = k0 + r, ci = kk / khw, rem = kk % khw;
          offk[r] = ci * hw + (rem / q->kw) * q->w + rem % q->kw;
        }
        for (long jr = 0; jr < np; jr += NR) {
          const long cols = min_l(NR, np - jr);
          vf acc[MR][NV];
          float tile[MR * NR] __attribute__((aligned(64)));
          if (cols <= VL) tile_sum(ob, ap, bp + jr * ob, acc, MR, 1);
          else tile_sum(ob, ap, bp + jr * ob, acc, MR, NV);
          for (long r = 0; r < rows; r++)
            for (int v = 0; v < (cols <= VL ? 1 : NV); v++) *(vf *)(tile + r * NR + v * VL) = acc[r][v];
          for (long r = 0; r < rows; r++) {
            float *d = dx + offk[r];
            const float *t = tile + r * NR;
            const long *po = posOff + jr;
            for (long l = 0; l < cols; l++) d[po[l]] += t[l];
          }
        }
      }
    }
  }
}

static void conv2dInputGrad(const dq_ctx *ctx, const float *dy, long n, long c, long h, long w, const float *weight,
                            long o, long kh, long kw, long sh, long sw, long outH, long outW, float *dx) {
  dconv_job q = {.dy = dy, .wt = weight, .y = dx, .n = n, .c = c, .h = h, .w = w, .o = o, .kh = kh, .kw = kw, .sh = sh,
                 .sw = sw, .outH = outH, .outW = outW, .k = c * kh * kw, .p = outH * outW, .pool = ctx->pool};
  if (n <= 0 || c * h * w <= 0) return;
  if (o <= 0 || q.p <= 0 || q.k <= 0) {
    memset(dx, 0, sizeof(float) * (size_t)(n * c * h * w));
    return;
  }
  const double macs = (double)n * q.p * q.k * o;
  dq_pool_run(ctx->pool, macs >= PAR_MIN_MACS ? ctx->threads : 1, n, dconv_input_grad_task, &q);
}

_Static_assert(((long)KC * DCONV_POS_CHUNK + (long)MR * KC) * 4 + DCONV_POS_CHUNK * 8 <= (long)DQ_SCRATCH_BYTES,
               "direct convolution input-gradient scratch does not fit");
_Static_assert((DCONV_POS_CHUNK * NR + (DQ_CONV_MAX_K + MR - 1) / MR * MR * NR) * 4 <= (long)DQ_SCRATCH_BYTES,
               "direct convolution scratch does not fit");

/* ---------------------------------------------------------------- bias */

typedef struct {
  float *y;
  const float *bias;
  long rows, cols, hw;
} bias_args;

static void add_bias_rows_range(void *args, long r0, long r1) {
  const bias_args *q = args;
  for (long r = r0; r < r1; r++) {
    float *row = q->y + r * q->cols;
    for (long j = 0; j < q->cols; j++) row[j] += q->bias[j];
  }
}

static void addBiasRows(const dq_ctx *ctx, float *y, const float *bias, long rows, long cols) {
  bias_args q = {y, bias, rows, cols, 0};
  for_range(ctx, rows, max_l(1, EW_CHUNK / max_l(1, cols)), rows * cols, add_bias_rows_range, &q);
}

/* Planes (sample, channel) p0 .. p1 of an NCHW tensor; `cols` holds the channel count. */
static void add_bias_planes(void *args, long p0, long p1) {
  const bias_args *q = args;
  for (long p = p0; p < p1; p++) {
    float *d = q->y + p * q->hw;
    const float bv = q->bias[p % q->cols];
    for (long i = 0; i < q->hw; i++) d[i] += bv;
  }
}

static void addBiasChannels(const dq_ctx *ctx, float *y, const float *bias, long n, long channels, long hw) {
  bias_args q = {y, bias, n * channels, channels, hw};
  for_range(ctx, n * channels, max_l(1, EW_CHUNK / max_l(1, hw)), n * channels * hw, add_bias_planes, &q);
}

typedef struct {
  const float *dy;
  float *db;
  long rows, cols, hw;
} bias_grad_args;

/* Columns j0 .. j1: each summed down all rows in row order, so the split never changes a sum. */
static void bias_grad_cols(void *args, long j0, long j1) {
  const bias_grad_args *q = args;
  long j = j0;
  for (; j + VL <= j1; j += VL) {
    vf acc = {0};
    for (long r = 0; r < q->rows; r++) acc += *(const vfu *)(q->dy + r * q->cols + j);
    *(vfu *)(q->db + j) += acc;
  }
  for (; j < j1; j++) {
    float s = 0;
    for (long r = 0; r < q->rows; r++) s += q->dy[r * q->cols + j];
    q->db[j] += s;
  }
}

static void biasGradRows(const dq_ctx *ctx, const float *dy, float *db, long rows, long cols) {
  bias_grad_args q = {dy, db, rows, cols, 0};
  for_range(ctx, cols, max_l(VL, round_up(max_l(1, EW_CHUNK / max_l(1, rows)), VL)), rows * cols, bias_grad_cols, &q);
}

/* Σ of `len` floats: VL lanes, then the lanes in order, then the tail. */
static float sum_floats(const float *x, long len) {
  vf acc = {0};
  long i = 0;
  for (; i + VL <= len; i += VL) acc += *(const vfu *)(x + i);
  float s = 0;
  for (int l = 0; l < VL; l++) s += acc[l];
  for (; i < len; i++) s += x[i];
  return s;
}

/* Channels c0 .. c1 (`rows` holds the sample count, `cols` the channel count). */
static void bias_grad_channels(void *args, long c0, long c1) {
  const bias_grad_args *q = args;
  for (long ch = c0; ch < c1; ch++) {
    float s = 0;
    for (long b = 0; b < q->rows; b++) s += sum_floats(q->dy + (b * q->cols + ch) * q->hw, q->hw);
    q->db[ch] += s;
  }
}

static void biasGradChannels(const dq_ctx *ctx, const float *dy, float *db, long n, long channels, long hw) {
  bias_grad_args q = {dy, db, n, channels, hw};
  for_range(ctx, channels, max_l(1, EW_CHUNK / max_l(1, n * hw)), n * channels * hw, bias_grad_channels, &q);
}

/* ---------------------------------------------------------------- activations, scale, conversions */

typedef struct {
  const float *x, *dy;
  float *y;
  const uint8_t *u8;
  float s;
} ew_args;

/* NaN passes through, as in torch.relu and the WebAssembly kernels: !(v <= 0) is true for NaN. */
static void relu_range(void *args, long lo, long hi) {
  const ew_args *q = args;
  const float *restrict x = q->x;
  float *restrict y = q->y;
  for (long i = lo; i < hi; i++) {
    const float v = x[i];
    y[i] = !(v <= 0.0f) ? v : 0.0f;
  }
}

static void relu(const dq_ctx *ctx, const float *x, float *y, long len) {
  ew_args q = {x, NULL, y, NULL, 0};
  for_range(ctx, len, EW_CHUNK, len, relu_range, &q);
}

static void relu_backward_range(void *args, long lo, long hi) {
  const ew_args *q = args; /* x holds the ReLU output y, y the gradient dx */
  const float *restrict y = q->x, *restrict dy = q->dy;
  float *restrict dx = q->y;
  for (long i = lo; i < hi; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

static void reluBackward(const dq_ctx *ctx, const float *y, const float *dy, float *dx, long len) {
  ew_args q = {y, dy, dx, NULL, 0};
  for_range(ctx, len, EW_CHUNK, len, relu_backward_range, &q);
}

static void leaky_range(void *args, long lo, long hi) {
  const ew_args *q = args;
  const float *restrict x = q->x;
  float *restrict y = q->y;
  const float s = q->s;
  for (long i = lo; i < hi; i++) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : v * s;
  }
}

static void leakyRelu(const dq_ctx *ctx, const float *x, float *y, long len, float slope) {
  ew_args q = {x, NULL, y, NULL, slope};
  for_range(ctx, len, EW_CHUNK, len, leaky_range, &q);
}

static void leaky_backward_range(void *args, long lo, long hi) {
  const ew_args *q = args;
  const float *restrict x = q->x, *restrict dy = q->dy;
  float *restrict dx = q->y;
  const float s = q->s;
  for (long i = lo; i < hi; i++) {
    const float g = dy[i];
    dx[i] = x[i] > 0.0f ? g : g * s;
  }
}

static void leakyReluBackward(const dq_ctx *ctx, const float *x, const float *dy, float *dx, long len, float slope) {
  ew_args q = {x, dy, dx, NULL, slope};
  for_range(ctx, len, EW_CHUNK, len, leaky_backward_range, &q);
}

static void scale_range(void *args, long lo, long hi) {
  const ew_args *q = args;
  float *restrict x = q->y;
  const float s = q->s;
  for (long i = lo; i < hi; i++) x[i] *= s;
}

static void scale(const dq_ctx *ctx, float *x, long len, float s) {
  ew_args q = {NULL, NULL, x, NULL, s};
  for_range(ctx, len, EW_CHUNK, len, scale_range, &q);
}

/* One thread, 8 double partial sums (element i goes to sum i mod 8), added in order at the end. */
static double sumSquares(const dq_ctx *ctx, const float *x, long len) {
  (void)ctx;
  double acc[8] = {0};
  long i = 0;
  for (; i + 8 <= len; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += (double)x[i + l] * (double)x[i + l];
  double s = 0;
  for (int l = 0; l < 8; l++) s += acc[l];
  for (; i < len; i++) s += (double)x[i] * (double)x[i];
  return s;
}

static void u8_range(void *args, long lo, long hi) {
  const ew_args *q = args;
  const uint8_t *restrict src = q->u8;
  float *restrict dst = q->y;
  const float s = q->s;
  for (long i = lo; i < hi; i++) dst[i] = (float)src[i] * s;
}

static void u8ToF32(const dq_ctx *ctx, const uint8_t *src, float *dst, long len, float s) {
  ew_args q = {NULL, NULL, dst, src, s};
  for_range(ctx, len, EW_CHUNK, len, u8_range, &q);
}

/* ---------------------------------------------------------------- optimizers (f32 arithmetic, as the wasm kernels) */

typedef struct {
  float *p, *m, *v, *buf;
  const float *g;
  float b1, c1, b2, c2, eps, wd, step, sqrtBc2, nlr, mu, damp;
  int hasWd, hasMomentum, nesterov, first;
} opt_args;

/* Fields are copied to locals: a float store through p could otherwise alias them, which blocks vectorising. */
static void adam_range(void *args, long lo, long hi) {
  const opt_args *q = args;
  float *restrict p = q->p, *restrict m = q->m, *restrict v = q->v;
  const float *restrict g = q->g;
  const float b1 = q->b1, c1 = q->c1, b2 = q->b2, c2 = q->c2, eps = q->eps, step = q->step, sqrtBc2 = q->sqrtBc2;
  const float wd = q->hasWd ? q->wd : 0.0f;
  for (long i = lo; i < hi; i++) {
    const float pv = p[i];
    const float gv = g[i] + pv * wd;
    const float mv = m[i] * b1 + gv * c1;
    const float vv = v[i] * b2 + gv * c2 * gv;
    m[i] = mv;
    v[i] = vv;
    p[i] = pv + mv * step / (sqrtf(vv) / sqrtBc2 + eps);
  }
}

static void adamStep(const dq_ctx *ctx, float *p, const float *g, float *m, float *v, long len, double lr, double beta1,
                     double beta2, double eps, double weightDecay, double bc1, double bc2) {
  opt_args q = {.p = p, .m = m, .v = v, .g = g, .b1 = (float)beta1, .c1 = (float)(1 - beta1), .b2 = (float)beta2,
                .c2 = (float)(1 - beta2), .eps = (float)eps, .wd = (float)weightDecay, .step = (float)(-lr / bc1),
                .sqrtBc2 = (float)sqrt(bc2), .hasWd = weightDecay != 0};
  for_range(ctx, len, EW_CHUNK, len, adam_range, &q);
}

static void rmsprop_range(void *args, long lo, long hi) {
  const opt_args *q = args; /* m holds sq */
  float *restrict p = q->p, *restrict sq = q->m, *restrict buf = q->buf;
  const float *restrict g = q->g;
  const float a = q->b1, ca = q->c1, eps = q->eps, mu = q->mu, nlr = q->nlr;
  const float wd = q->hasWd ? q->wd : 0.0f;
  if (q->hasMomentum) {
    for (long i = lo; i < hi; i++) {
      const float pv = p[i];
      const float gv = g[i] + pv * wd;
      const float s = sq[i] * a + gv * ca * gv;
      sq[i] = s;
      const float bv = buf[i] * mu + gv / (sqrtf(s) + eps);
      buf[i] = bv;
      p[i] = pv + bv * nlr;
    }
  } else {
    for (long i = lo; i < hi; i++) {
      const float pv = p[i];
      const float gv = g[i] + pv * wd;
      const float s = sq[i] * a + gv * ca * gv;
      sq[i] = s;
      p[i] = pv + gv * nlr / (sqrtf(s) + eps);
    }
  }
}

static void rmspropStep(const dq_ctx *ctx, float *p, const float *g, float *sq, float *buf, long len, double lr,
                        double alpha, double eps, double weightDecay, double momentum) {
  opt_args q = {.p = p, .m = sq, .buf = buf, .g = g, .b1 = (float)alpha, .c1 = (float)(1 - alpha), .eps = (float)eps,
                .wd = (float)weightDecay, .nlr = (float)-lr, .mu = (float)momentum, .hasWd = weightDecay != 0,
                .hasMomentum = momentum > 0};
  for_range(ctx, len, EW_CHUNK, len, rmsprop_range, &q);
}

static void sgd_range(void *args, long lo, long hi) {
  const opt_args *q = args;
  float *restrict p = q->p, *restrict buf = q->buf;
  const float *restrict g = q->g;
  const float mu = q->mu, damp = q->damp, nlr = q->nlr;
  const float wd = q->hasWd ? q->wd : 0.0f;
  const int hasMomentum = q->hasMomentum, first = q->first, nesterov = q->nesterov;
  for (long i = lo; i < hi; i++) {
    const float pv = p[i];
    const float gv = g[i] + pv * wd;
    float step = gv;
    if (hasMomentum) {
      const float bv = first ? gv : buf[i] * mu + gv * damp;
      buf[i] = bv;
      step = nesterov ? gv + bv * mu : bv;
    }
    p[i] = pv + step * nlr;
  }
}

static void sgdStep(const dq_ctx *ctx, float *p, const float *g, float *buf, long len, double lr, double momentum,
                    double dampening, double weightDecay, int nesterov, int first) {
  opt_args q = {.p = p, .buf = buf, .g = g, .mu = (float)momentum, .damp = (float)(1 - dampening),
                .wd = (float)weightDecay, .nlr = (float)-lr, .hasWd = weightDecay != 0, .hasMomentum = momentum > 0,
                .nesterov = nesterov != 0, .first = first != 0};
  for_range(ctx, len, EW_CHUNK, len, sgd_range, &q);
}

const dq_kernels TABLE = {
    PATH_NAME, gemm, gemm_batched, im2col, col2im, addBiasRows, addBiasChannels, biasGradRows, biasGradChannels, relu,
    reluBackward, leakyRelu, leakyReluBackward, scale, sumSquares, u8ToF32, adamStep, rmspropStep, sgdStep,
    conv2d, conv2dWeightGrad, conv2dInputGrad,
};
