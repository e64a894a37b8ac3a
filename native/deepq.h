/*
 * deepq native kernels: the Kernels ABI of src/nn/kernels/abi.ts in C.
 *
 * Every kernel exists once per CPU path (kernels.c compiled with -DDQ_PATH_AVX512, -DDQ_PATH_AVX2
 * or neither); addon.c picks one table of function pointers at load time from CPUID and never
 * assumes a feature at build time. Pointers here are real addresses (base of the WebAssembly
 * memory + the ABI's byte offset), already bounds-checked by addon.c.
 */
#ifndef DEEPQ_H
#define DEEPQ_H

#include <stddef.h>
#include <stdint.h>

/* ---- thread pool (pool.c) ---- */

typedef struct dq_pool dq_pool;
/* Runs task `task` (0 ≤ task < ntasks) on the thread with index `tid` (0 = the calling thread). */
typedef void (*dq_task_fn)(void *ctx, long task, int tid);

/* Bytes of per-thread scratch each thread owns (GEMM packing buffers, 64-byte aligned). */
#define DQ_SCRATCH_BYTES ((size_t)3 << 20)

/* A pool able to run `threads` threads in all (the caller plus threads − 1 workers); NULL on failure. */
dq_pool *dq_pool_create(int threads);
void dq_pool_destroy(dq_pool *pool);
int dq_pool_threads(const dq_pool *pool);
/* Per-thread scratch of thread `tid` (valid for the pool's lifetime). */
void *dq_pool_scratch(dq_pool *pool, int tid);
/*
 * Scratch shared by all threads of one job (operands packed once for every task), ≥ `bytes` and
 * 64-byte aligned; NULL when it cannot be had. Only the calling thread may ask, between jobs: the
 * buffer may move, and stays valid until the next call.
 */
void *dq_pool_shared(dq_pool *pool, size_t bytes);
/*
 * Runs fn(ctx, t, tid) for every t < ntasks on at most `threads` threads and returns when all are
 * done. Tasks are claimed from a shared counter, so which thread runs which task depends on timing;
 * callers make each task's result independent of that (tasks write disjoint outputs, each computed
 * the same way whichever thread runs it). threads ≤ 1 or ntasks ≤ 1 runs everything inline.
 */
void dq_pool_run(dq_pool *pool, int threads, long ntasks, dq_task_fn fn, void *ctx);

/* ---- kernels (kernels.c, one table per CPU path) ---- */

typedef struct dq_ctx {
  dq_pool *pool;
  int threads; /* threads a call may use (≥ 1) */
} dq_ctx;

typedef struct dq_kernels {
  const char *name; /* "avx512", "avx2", "generic" */
  void (*gemm)(const dq_ctx *ctx, int transA, int transB, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);
  /* `batch` GEMMs, operand s at a + s·strideA (elements) and so on, in order; strideC = 0 accumulates into one C. */
  void (*gemmBatched)(const dq_ctx *ctx, int transA, int transB, long m, long n, long k, float alpha, const float *a,
                      long lda, long strideA, const float *b, long ldb, long strideB, float beta, float *c, long ldc,
                      long strideC, long batch);
  void (*im2col)(const dq_ctx *ctx, const float *x, long c, long h, long w, long kh, long kw, long sh, long sw,
                 long ph, long pw, long outH, long outW, float *col, long ldcol);
  void (*col2im)(const dq_ctx *ctx, const float *col, long ldcol, long c, long h, long w, long kh, long kw,
                 long sh, long sw, long ph, long pw, long outH, long outW, float *dx);
  void (*addBiasRows)(const dq_ctx *ctx, float *y, const float *bias, long rows, long cols);
  void (*addBiasChannels)(const dq_ctx *ctx, float *y, const float *bias, long n, long channels, long hw);
  void (*biasGradRows)(const dq_ctx *ctx, const float *dy, float *db, long rows, long cols);
  void (*biasGradChannels)(const dq_ctx *ctx, const float *dy, float *db, long n, long channels, long hw);
  void (*relu)(const dq_ctx *ctx, const float *x, float *y, long len);
  void (*reluBackward)(const dq_ctx *ctx, const float *y, const float *dy, float *dx, long len);
  void (*leakyRelu)(const dq_ctx *ctx, const float *x, float *y, long len, float slope);
  void (*leakyReluBackward)(const dq_ctx *ctx, const float *x, const float *dy, float *dx, long len, float slope);
  void (*scale)(const dq_ctx *ctx, float *x, long len, float s);
  double (*sumSquares)(const dq_ctx *ctx, const float *x, long len);
  void (*u8ToF32)(const dq_ctx *ctx, const uint8_t *src, float *dst, long len, float s);
  void (*adamStep)(const dq_ctx *ctx, float *p, const float *g, float *m, float *v, long len, double lr, double beta1,
                   double beta2, double eps, double weightDecay, double bc1, double bc2);
  void (*rmspropStep)(const dq_ctx *ctx, float *p, const float *g, float *sq, float *buf, long len, double lr,
                      double alpha, double eps, double weightDecay, double momentum);
  void (*sgdStep)(const dq_ctx *ctx, float *p, const float *g, float *buf, long len, double lr, double momentum,
                  double dampening, double weightDecay, int nesterov, int first);
  /* Unpadded convolution of n CHW images by weight [o][c][kh][kw] into y [n][o][outH][outW] (no bias; overwrites y). */
  void (*conv2d)(const dq_ctx *ctx, const float *x, long n, long c, long h, long w, const float *weight, long o, long kh,
                 long kw, long sh, long sw, long outH, long outW, float *y);
  /* Its weight gradient: dw[o][c][kh][kw] += Σ over images and positions of dy · x. */
  void (*conv2dWeightGrad)(const dq_ctx *ctx, const float *x, const float *dy, long n, long c, long h, long w, long o,
                           long kh, long kw, long sh, long sw, long outH, long outW, float *dw);
  /* Its input gradient: dx [n][c][h][w] = Σ of weight · dy over the positions that read each pixel (overwrites dx). */
  void (*conv2dInputGrad)(const dq_ctx *ctx, const float *dy, long n, long c, long h, long w, const float *weight, long o,
                          long kh, long kw, long sh, long sw, long outH, long outW, float *dx);
} dq_kernels;

/* The largest c·kh·kw conv2d and conv2dWeightGrad accept (their packed panels live in per-thread scratch). */
#define DQ_CONV_MAX_K 8192

extern const dq_kernels dq_kernels_generic;
#if defined(__x86_64__) || defined(__i386__)
extern const dq_kernels dq_kernels_avx2;
extern const dq_kernels dq_kernels_avx512;
#endif

/* ---- CPU features (cpu.c) ---- */

enum { DQ_CPU_AVX2 = 1, DQ_CPU_FMA = 2, DQ_CPU_AVX512F = 4, DQ_CPU_AVX512BW = 8, DQ_CPU_AVX512DQ = 16, DQ_CPU_AVX512VL = 32 };
/* Features the CPU has and the OS saves in context switches (XGETBV), as DQ_CPU_* bits. */
unsigned dq_cpu_features(void);

#endif
