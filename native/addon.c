/*
 * Node-API binding of the native kernels (loaded by src/nn/kernels/native.ts).
 *
 * The JS side binds a memory once — bind(view, threads, path) with a Uint8Array over the
 * WebAssembly.Memory's buffer (plain or shared) — and again only when that buffer changed (growth
 * detaches it) or another memory, thread count or CPU path is wanted. Each kernel call then passes
 * the ABI's arguments unchanged: byte offsets into that memory. Every offset range a kernel would
 * touch is checked against the bound length first, so a bad offset throws a RangeError in JS
 * instead of corrupting or crashing the process.
 *
 * State is per Node-API environment (main thread, each worker): its own binding and thread pool.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deepq.h"

#define MAX_ARGS 20

typedef struct {
  uint8_t *base;
  double len; /* bytes; a double so bound arithmetic cannot overflow */
  const dq_kernels *k;
  dq_ctx ctx;
} state;

/* CPU paths, best first; a path is usable when the CPU and OS support its instructions. */
static const dq_kernels *path_table(int i) {
#if defined(__x86_64__) || defined(__i386__)
  if (i == 0) return &dq_kernels_avx512;
  if (i == 1) return &dq_kernels_avx2;
#endif
  return i == 2 ? &dq_kernels_generic : NULL;
}

static int path_supported(int i, unsigned f) {
  const unsigned avx512 = DQ_CPU_AVX512F | DQ_CPU_AVX512BW | DQ_CPU_AVX512DQ | DQ_CPU_AVX512VL | DQ_CPU_AVX2 | DQ_CPU_FMA;
  const unsigned avx2 = DQ_CPU_AVX2 | DQ_CPU_FMA;
  if (!path_table(i)) return 0;
  if (i == 0) return (f & avx512) == avx512;
  if (i == 1) return (f & avx2) == avx2;
  return 1;
}

static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state *st = data;
  dq_pool_destroy(st->ctx.pool);
  free(st);
}

/* ---- argument helpers: each returns 0 after throwing a JS exception ---- */

typedef struct {
  napi_env env;
  state *st;
  napi_value argv[MAX_ARGS];
  const char *name;
} call;

static int begin(napi_env env, napi_callback_info info, size_t want, const char *name, call *cl) {
  size_t argc = MAX_ARGS;
  cl->env = env;
  cl->name = name;
  if (napi_get_cb_info(env, info, &argc, cl->argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    char msg[128];
    snprintf(msg, sizeof msg, "deepq native %s: expected %zu arguments, got %zu", name, want, argc);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (napi_get_instance_data(env, (void **)&cl->st) != napi_ok || !cl->st || !cl->st->base) {
    napi_throw_error(env, NULL, "deepq native: no memory bound (bind() was not called)");
    return 0;
  }
  return 1;
}

static int fail_range(call *cl, const char *what, double v) {
  char msg[200];
  snprintf(msg, sizeof msg, "deepq native %s: %s out of range (%.17g; memory is %.0f bytes)", cl->name, what, v, cl->st->len);
  napi_throw_range_error(cl->env, NULL, msg);
  return 0;
}

/* A non-negative integer argument. */
static int arg_count(call *cl, int i, const char *what, long *out) {
  double v;
  if (napi_get_value_double(cl->env, cl->argv[i], &v) != napi_ok || !(v >= 0) || v > 4294967296.0 || v != floor(v)) {
    return fail_range(cl, what, v);
  }
  *out = (long)v;
  return 1;
}

static int arg_f64(call *cl, int i, double *out) {
  if (napi_get_value_double(cl->env, cl->argv[i], out) != napi_ok) {
    napi_throw_type_error(cl->env, NULL, "deepq native: expected a number");
    return 0;
  }
  return 1;
}

/*
 * A region of `rows` rows of `cols` elements of `elem` bytes, rows `ld` elements apart, starting at
 * byte offset `off`: checks it lies inside the memory (when non-empty) and returns its address.
 */
static int region(call *cl, double off, long rows, long cols, long ld, int elem, const char *what, void **out) {
  if (elem == 4 && fmod(off, 4) != 0) return fail_range(cl, what, off);
  if (rows == 0 || cols == 0) {
    *out = cl->st->base; /* never dereferenced */
    return 1;
  }
  *out = cl->st->base + (size_t)off;
  const double end = off + ((double)(rows - 1) * (double)ld + (double)cols) * elem;
  if (end > cl->st->len) return fail_range(cl, what, off);
  return 1;
}

/* A byte offset: a non-negative integer (whether its region fits is region()'s check, made only if it is touched). */
static int arg_ptr(call *cl, int i, const char *what, double *off) {
  double v;
  if (napi_get_value_double(cl->env, cl->argv[i], &v) != napi_ok || !(v >= 0) || v != floor(v) || v > 9007199254740992.0) {
    return fail_range(cl, what, v);
  }
  *off = v;
  return 1;
}

/* A pointer argument to `len` contiguous elements. */
static int arg_vec(call *cl, int i, long len, int elem, const char *what, void **out) {
  double off;
  return arg_ptr(cl, i, what, &off) && region(cl, off, 1, len, len, elem, what, out);
}

/* ---- binding and information ---- */

static napi_value bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  state *st;
  if (argc < 3 || napi_get_instance_data(env, (void **)&st) != napi_ok || !st) {
    napi_throw_type_error(env, NULL, "deepq native bind(view, threads, path): missing arguments");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &byteOffset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "deepq native bind: expected a Uint8Array over the memory's buffer");
    return NULL;
  }
  int32_t threads, path;
  if (napi_get_value_int32(env, argv[1], &threads) != napi_ok || threads < 1 || napi_get_value_int32(env, argv[2], &path) != napi_ok
      || path < 0 || path > 2 || !path_supported(path, dq_cpu_features())) {
    napi_throw_range_error(env, NULL, "deepq native bind: bad thread count or unsupported CPU path");
    return NULL;
  }
  if (!st->ctx.pool || dq_pool_threads(st->ctx.pool) < threads) {
    dq_pool *pool = dq_pool_create(threads);
    if (!pool) {
      napi_throw_error(env, NULL, "deepq native bind: could not allocate the thread pool");
      return NULL;
    }
    dq_pool_destroy(st->ctx.pool);
    st->ctx.pool = pool;
  }
  st->base = data;
  st->len = (double)length;
  st->ctx.threads = threads < dq_pool_threads(st->ctx.pool) ? threads : dq_pool_threads(st->ctx.pool);
  st->k = path_table(path);
  napi_value out;
  napi_create_int32(env, st->ctx.threads, &out);
  return out;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* { paths: names of the usable CPU paths, best first; features: CPU features; cpus: online CPUs }. */
static napi_value cpu_info(napi_env env, napi_callback_info info) {
  (void)info;
  const unsigned f = dq_cpu_features();
  napi_value out, paths, feats;
  napi_create_object(env, &out);
  napi_create_array(env, &paths);
  napi_create_array(env, &feats);
  uint32_t n = 0;
  for (int i = 0; i < 3; i++)
    if (path_supported(i, f)) napi_set_element(env, paths, n++, make_string(env, path_table(i)->name));
  static const struct { unsigned bit; const char *name; } names[] = {
      {DQ_CPU_AVX2, "avx2"}, {DQ_CPU_FMA, "fma"}, {DQ_CPU_AVX512F, "avx512f"},
      {DQ_CPU_AVX512BW, "avx512bw"}, {DQ_CPU_AVX512DQ, "avx512dq"}, {DQ_CPU_AVX512VL, "avx512vl"},
  };
  n = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (f & names[i].bit) napi_set_element(env, feats, n++, make_string(env, names[i].name));
  napi_value cpus;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  napi_create_int32(env, online > 0 ? (int32_t)online : 1, &cpus);
  napi_set_named_property(env, out, "paths", paths);
  napi_set_named_property(env, out, "features", feats);
  napi_set_named_property(env, out, "cpus", cpus);
  return out;
}

/* ---- kernels ---- */

static napi_value k_gemm(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 13, "gemm", &cl)) return NULL;
  long ta, tb, m, n, k, lda, ldb, ldc;
  double alpha, beta, ao, bo, co;
  void *a, *b, *c;
  if (!arg_count(&cl, 0, "transA", &ta) || !arg_count(&cl, 1, "transB", &tb) || !arg_count(&cl, 2, "m", &m)
      || !arg_count(&cl, 3, "n", &n) || !arg_count(&cl, 4, "k", &k) || !arg_f64(&cl, 5, &alpha)
      || !arg_ptr(&cl, 6, "a", &ao) || !arg_count(&cl, 7, "lda", &lda) || !arg_ptr(&cl, 8, "b", &bo)
      || !arg_count(&cl, 9, "ldb", &ldb) || !arg_f64(&cl, 10, &beta) || !arg_ptr(&cl, 11, "c", &co)
      || !arg_count(&cl, 12, "ldc", &ldc))
    return NULL;
  if (ta > 1 || tb > 1) {
    napi_throw_range_error(env, NULL, "deepq native gemm: transA and transB must be 0 or 1");
    return NULL;
  }
  /* A and B are read only when the product contributes. */
  const int reads = m > 0 && n > 0 && k > 0 && alpha != 0;
  if (!region(&cl, ao, reads ? (ta ? k : m) : 0, ta ? m : k, lda, 4, "a", &a)
      || !region(&cl, bo, reads ? (tb ? n : k) : 0, tb ? k : n, ldb, 4, "b", &b)
      || !region(&cl, co, m, n, ldc, 4, "c", &c))
    return NULL;
  cl.st->k->gemm(&cl.st->ctx, (int)ta, (int)tb, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
  return NULL;
}

static napi_value k_gemmBatched(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 17, "gemmBatched", &cl)) return NULL;
  long ta, tb, m, n, k, lda, ldb, ldc, sa, sb, sc, batch;
  double alpha, beta, ao, bo, co;
  void *a, *b, *c, *last;
  if (!arg_count(&cl, 0, "transA", &ta) || !arg_count(&cl, 1, "transB", &tb) || !arg_count(&cl, 2, "m", &m)
      || !arg_count(&cl, 3, "n", &n) || !arg_count(&cl, 4, "k", &k) || !arg_f64(&cl, 5, &alpha)
      || !arg_ptr(&cl, 6, "a", &ao) || !arg_count(&cl, 7, "lda", &lda) || !arg_count(&cl, 8, "strideA", &sa)
      || !arg_ptr(&cl, 9, "b", &bo) || !arg_count(&cl, 10, "ldb", &ldb) || !arg_count(&cl, 11, "strideB", &sb)
      || !arg_f64(&cl, 12, &beta) || !arg_ptr(&cl, 13, "c", &co) || !arg_count(&cl, 14, "ldc", &ldc)
      || !arg_count(&cl, 15, "strideC", &sc) || !arg_count(&cl, 16, "batch", &batch))
    return NULL;
  if (ta > 1 || tb > 1) {
    napi_throw_range_error(env, NULL, "deepq native gemmBatched: transA and transB must be 0 or 1");
    return NULL;
  }
  if (batch == 0) return NULL;
  if (sc != 0 && sc < (m > 0 ? (m - 1) * ldc + n : 0)) {
    napi_throw_range_error(env, NULL, "deepq native gemmBatched: the C matrices overlap (strideC must be 0 or ≥ (m−1)·ldc + n)");
    return NULL;
  }
  /* Strides are non-negative, so the first and the last product bound every region. */
  const int reads = m > 0 && n > 0 && k > 0 && alpha != 0;
  const long ar = reads ? (ta ? k : m) : 0, ac = ta ? m : k, br = reads ? (tb ? n : k) : 0, bc = tb ? k : n;
  const double lastA = ao + (double)(batch - 1) * sa * 4, lastB = bo + (double)(batch - 1) * sb * 4;
  const double lastC = co + (double)(batch - 1) * sc * 4;
  if (!region(&cl, ao, ar, ac, lda, 4, "a", &a) || !region(&cl, lastA, ar, ac, lda, 4, "a (last product)", &last)
      || !region(&cl, bo, br, bc, ldb, 4, "b", &b) || !region(&cl, lastB, br, bc, ldb, 4, "b (last product)", &last)
      || !region(&cl, co, m, n, ldc, 4, "c", &c) || !region(&cl, lastC, m, n, ldc, 4, "c (last product)", &last))
    return NULL;
  cl.st->k->gemmBatched(&cl.st->ctx, (int)ta, (int)tb, m, n, k, (float)alpha, a, lda, sa, b, ldb, sb, (float)beta, c, ldc, sc, batch);
  return NULL;
}

/* Arguments 1..12 of im2col (c h w kh kw sh sw ph pw outH outW), shared with col2im. */
static int conv_args(call *cl, int first, long *v) {
  static const char *names[] = {"c", "h", "w", "kh", "kw", "sh", "sw", "ph", "pw", "outH", "outW"};
  for (int i = 0; i < 11; i++)
    if (!arg_count(cl, first + i, names[i], &v[i])) return 0;
  if (v[5] < 1 || v[6] < 1) return fail_range(cl, "stride", (double)(v[5] < 1 ? v[5] : v[6]));
  return 1;
}

static napi_value k_im2col(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 14, "im2col", &cl)) return NULL;
  long v[11], ldcol;
  double xo, co;
  void *x, *col;
  if (!arg_ptr(&cl, 0, "x", &xo) || !conv_args(&cl, 1, v) || !arg_ptr(&cl, 12, "col", &co) || !arg_count(&cl, 13, "ldcol", &ldcol)) return NULL;
  if (!region(&cl, xo, 1, v[0] * v[1] * v[2], 0, 4, "x", &x)
      || !region(&cl, co, v[0] * v[3] * v[4], v[9] * v[10], ldcol, 4, "col", &col))
    return NULL;
  cl.st->k->im2col(&cl.st->ctx, x, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], col, ldcol);
  return NULL;
}

static napi_value k_col2im(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 14, "col2im", &cl)) return NULL;
  long v[11], ldcol;
  double xo, co;
  void *dx, *col;
  if (!arg_ptr(&cl, 0, "col", &co) || !arg_count(&cl, 1, "ldcol", &ldcol) || !conv_args(&cl, 2, v) || !arg_ptr(&cl, 13, "dx", &xo)) return NULL;
  if (!region(&cl, xo, 1, v[0] * v[1] * v[2], 0, 4, "dx", &dx)
      || !region(&cl, co, v[0] * v[3] * v[4], v[9] * v[10], ldcol, 4, "col", &col))
    return NULL;
  cl.st->k->col2im(&cl.st->ctx, col, ldcol, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], dx);
  return NULL;
}

/* Arguments first..first+10 of conv2d and conv2dWeightGrad: n c h w o kh kw sh sw outH outW, checked for a valid unpadded conv. */
static int dconv_args(call *cl, int first, long *v) {
  static const char *names[] = {"n", "c", "h", "w", "o", "kh", "kw", "sh", "sw", "outH", "outW"};
  for (int i = 0; i < 11; i++)
    if (!arg_count(cl, first + i, names[i], &v[i])) return 0;
  if (v[7] < 1 || v[8] < 1) return fail_range(cl, "stride", (double)(v[7] < 1 ? v[7] : v[8]));
  if (v[1] * v[5] * v[6] > DQ_CONV_MAX_K) return fail_range(cl, "c·kh·kw", (double)(v[1] * v[5] * v[6]));
  /* Every position reads inside the image: (out − 1)·stride + kernel ≤ size. */
  if (v[9] > 0 && v[10] > 0 && ((v[9] - 1) * v[7] + v[5] > v[2] || (v[10] - 1) * v[8] + v[6] > v[3]))
    return fail_range(cl, "output size", (double)(v[9] > v[10] ? v[9] : v[10]));
  return 1;
}

static napi_value k_conv2d(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 14, "conv2d", &cl)) return NULL;
  long v[11];
  double xo, wo, yo;
  void *x, *wt, *y;
  if (!arg_ptr(&cl, 0, "x", &xo) || !dconv_args(&cl, 1, v) || !arg_ptr(&cl, 12, "weight", &wo) || !arg_ptr(&cl, 13, "y", &yo))
    return NULL;
  if (!region(&cl, xo, v[0], v[1] * v[2] * v[3], v[1] * v[2] * v[3], 4, "x", &x)
      || !region(&cl, wo, v[4], v[1] * v[5] * v[6], v[1] * v[5] * v[6], 4, "weight", &wt)
      || !region(&cl, yo, v[0], v[4] * v[9] * v[10], v[4] * v[9] * v[10], 4, "y", &y))
    return NULL;
  cl.st->k->conv2d(&cl.st->ctx, x, v[0], v[1], v[2], v[3], wt, v[4], v[5], v[6], v[7], v[8], v[9], v[10], y);
  return NULL;
}

static napi_value k_conv2dWeightGrad(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 14, "conv2dWeightGrad", &cl)) return NULL;
  long v[11];
  double xo, dyo, dwo;
  void *x, *dy, *dw;
  if (!arg_ptr(&cl, 0, "x", &xo) || !arg_ptr(&cl, 1, "dy", &dyo) || !dconv_args(&cl, 2, v) || !arg_ptr(&cl, 13, "dw", &dwo))
    return NULL;
  if (!region(&cl, xo, v[0], v[1] * v[2] * v[3], v[1] * v[2] * v[3], 4, "x", &x)
      || !region(&cl, dyo, v[0], v[4] * v[9] * v[10], v[4] * v[9] * v[10], 4, "dy", &dy)
      || !region(&cl, dwo, v[4], v[1] * v[5] * v[6], v[1] * v[5] * v[6], 4, "dw", &dw))
    return NULL;
  cl.st->k->conv2dWeightGrad(&cl.st->ctx, x, dy, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], dw);
  return NULL;
}

static napi_value k_conv2dInputGrad(napi_env env, napi_callback_info info) {
  call cl;
  if (!begin(env, info, 14, "conv2dInputGrad", &cl)) return NULL;
  long v[11];
  double dyo, wo, dxo;
  void *dy, *wt, *dx;
  if (!arg_ptr(&cl, 0, "dy", &dyo) || !dconv_args(&cl, 1, v) || !arg_ptr(&cl, 12, "weight", &wo) || !arg_ptr(&cl, 13, "dx", &dxo))
    return NULL;
  if (!region(&cl, dyo, v[0], v[4] * v[9] * v[10], v[4] * v[9] * v[10], 4, "dy", &dy)
      || !region(&cl, wo, v[4], v[1] * v[5] * v[6], v[1] * v[5] * v[6], 4, "weight", &wt)
      || !region(&cl, dxo, v[0], v[1] * v[2] * v[3], v[1] * v[2] * v[3], 4, "dx", &dx))
    return NULL;
  cl.st->k->conv2dInputGrad(&cl.st->ctx, dy, v[0], v[1], v[2], v[3], wt, v[4], v[5], v[6], v[7], v[8], v[9], v[10], dx);
  return NULL;
}

static napi_value k_addBiasRows(napi_env env, napi_callback_info info) {
  call cl;
  long rows, cols;
  void *y, *bias;
  if (!begin(env, info, 4, "addBiasRows", &cl) || !arg_count(&cl, 2, "rows", &rows) || !arg_count(&cl, 3, "cols", &cols)
      || !arg_vec(&cl, 0, rows * cols, 4, "y", &y) || !arg_vec(&cl, 1, rows ? cols : 0, 4, "bias", &bias))
    return NULL;
  cl.st->k->addBiasRows(&cl.st->ctx, y, bias, rows, cols);
  return NULL;
}

static napi_value k_addBiasChannels(napi_env env, napi_callback_info info) {
  call cl;
  long n, ch, hw;
  void *y, *bias;
  if (!begin(env, info, 5, "addBiasChannels", &cl) || !arg_count(&cl, 2, "n", &n) || !arg_count(&cl, 3, "channels", &ch)
      || !arg_count(&cl, 4, "hw", &hw) || !arg_vec(&cl, 0, n * ch * hw, 4, "y", &y)
      || !arg_vec(&cl, 1, n > 0 && hw > 0 ? ch : 0, 4, "bias", &bias))
    return NULL;
  cl.st->k->addBiasChannels(&cl.st->ctx, y, bias, n, ch, hw);
  return NULL;
}

static napi_value k_biasGradRows(napi_env env, napi_callback_info info) {
  call cl;
  long rows, cols;
  void *dy, *db;
  if (!begin(env, info, 4, "biasGradRows", &cl) || !arg_count(&cl, 2, "rows", &rows) || !arg_count(&cl, 3, "cols", &cols)
      || !arg_vec(&cl, 0, rows * cols, 4, "dy", &dy) || !arg_vec(&cl, 1, cols, 4, "db", &db))
    return NULL;
  cl.st->k->biasGradRows(&cl.st->ctx, dy, db, rows, cols);
  return NULL;
}

static napi_value k_biasGradChannels(napi_env env, napi_callback_info info) {
  call cl;
  long n, ch, hw;
  void *dy, *db;
  if (!begin(env, info, 5, "biasGradChannels", &cl) || !arg_count(&cl, 2, "n", &n) || !arg_count(&cl, 3, "channels", &ch)
      || !arg_count(&cl, 4, "hw", &hw) || !arg_vec(&cl, 0, n * ch * hw, 4, "dy", &dy) || !arg_vec(&cl, 1, ch, 4, "db", &db))
    return NULL;
  cl.st->k->biasGradChannels(&cl.st->ctx, dy, db, n, ch, hw);
  return NULL;
}

/* relu, scale and the like: the first `nptr` arguments are float pointers to `len` elements, len is argument `lenArg`. */
static int elementwise_at(call *cl, int nptr, int lenArg, void **ptrs, long *len) {
  static const char *names[] = {"first pointer", "second pointer", "third pointer", "fourth pointer"};
  if (!arg_count(cl, lenArg, "len", len)) return 0;
  for (int i = 0; i < nptr; i++)
    if (!arg_vec(cl, i, *len, 4, names[i], &ptrs[i])) return 0;
  return 1;
}

/* The common case: the pointers, then len. */
static int elementwise(call *cl, int nptr, void **ptrs, long *len) { return elementwise_at(cl, nptr, nptr, ptrs, len); }

static napi_value k_relu(napi_env env, napi_callback_info info) {
  call cl;
  void *p[2];
  long len;
  if (!begin(env, info, 3, "relu", &cl) || !elementwise(&cl, 2, p, &len)) return NULL;
  cl.st->k->relu(&cl.st->ctx, p[0], p[1], len);
  return NULL;
}

static napi_value k_reluBackward(napi_env env, napi_callback_info info) {
  call cl;
  void *p[3];
  long len;
  if (!begin(env, info, 4, "reluBackward", &cl) || !elementwise(&cl, 3, p, &len)) return NULL;
  cl.st->k->reluBackward(&cl.st->ctx, p[0], p[1], p[2], len);
  return NULL;
}

static napi_value k_leakyRelu(napi_env env, napi_callback_info info) {
  call cl;
  void *p[2];
  long len;
  double slope;
  if (!begin(env, info, 4, "leakyRelu", &cl) || !elementwise(&cl, 2, p, &len) || !arg_f64(&cl, 3, &slope)) return NULL;
  cl.st->k->leakyRelu(&cl.st->ctx, p[0], p[1], len, (float)slope);
  return NULL;
}

static napi_value k_leakyReluBackward(napi_env env, napi_callback_info info) {
  call cl;
  void *p[3];
  long len;
  double slope;
  if (!begin(env, info, 5, "leakyReluBackward", &cl) || !elementwise(&cl, 3, p, &len) || !arg_f64(&cl, 4, &slope)) return NULL;
  cl.st->k->leakyReluBackward(&cl.st->ctx, p[0], p[1], p[2], len, (float)slope);
  return NULL;
}

static napi_value k_scale(napi_env env, napi_callback_info info) {
  call cl;
  void *p[1];
  long len;
  double s;
  if (!begin(env, info, 3, "scale", &cl) || !elementwise(&cl, 1, p, &len) || !arg_f64(&cl, 2, &s)) return NULL;
  cl.st->k->scale(&cl.st->ctx, p[0], len, (float)s);
  return NULL;
}

static napi_value k_sumSquares(napi_env env, napi_callback_info info) {
  call cl;
  void *p[1];
  long len;
  if (!begin(env, info, 2, "sumSquares", &cl) || !elementwise(&cl, 1, p, &len)) return NULL;
  napi_value out;
  napi_create_double(env, cl.st->k->sumSquares(&cl.st->ctx, p[0], len), &out);
  return out;
}

static napi_value k_u8ToF32(napi_env env, napi_callback_info info) {
  call cl;
  long len;
  double s;
  void *src, *dst;
  if (!begin(env, info, 4, "u8ToF32", &cl) || !arg_count(&cl, 2, "len", &len) || !arg_vec(&cl, 0, len, 1, "src", &src)
      || !arg_vec(&cl, 1, len, 4, "dst", &dst) || !arg_f64(&cl, 3, &s))
    return NULL;
  cl.st->k->u8ToF32(&cl.st->ctx, src, dst, len, (float)s);
  return NULL;
}

/* Reads `count` numbers starting at argument `first` into out[]. */
static int f64s(call *cl, int first, int count, double *out) {
  for (int i = 0; i < count; i++)
    if (!arg_f64(cl, first + i, &out[i])) return 0;
  return 1;
}

static napi_value k_adamStep(napi_env env, napi_callback_info info) {
  call cl;
  void *p[4];
  long len;
  double s[7];
  if (!begin(env, info, 12, "adamStep", &cl) || !elementwise(&cl, 4, p, &len) || !f64s(&cl, 5, 7, s)) return NULL;
  cl.st->k->adamStep(&cl.st->ctx, p[0], p[1], p[2], p[3], len, s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
  return NULL;
}

static napi_value k_rmspropStep(napi_env env, napi_callback_info info) {
  call cl;
  void *p[4];
  long len;
  double s[5];
  if (!begin(env, info, 10, "rmspropStep", &cl) || !f64s(&cl, 5, 5, s)) return NULL;
  /* buf is only touched with momentum. */
  if (!elementwise_at(&cl, s[4] > 0 ? 4 : 3, 4, p, &len)) return NULL;
  cl.st->k->rmspropStep(&cl.st->ctx, p[0], p[1], p[2], s[4] > 0 ? p[3] : NULL, len, s[0], s[1], s[2], s[3], s[4]);
  return NULL;
}

static napi_value k_sgdStep(napi_env env, napi_callback_info info) {
  call cl;
  void *p[3];
  long len, nesterov, first;
  double s[4];
  if (!begin(env, info, 10, "sgdStep", &cl) || !f64s(&cl, 4, 4, s) || !arg_count(&cl, 8, "nesterov", &nesterov)
      || !arg_count(&cl, 9, "first", &first))
    return NULL;
  if (!elementwise_at(&cl, s[1] > 0 ? 3 : 2, 3, p, &len)) return NULL;
  cl.st->k->sgdStep(&cl.st->ctx, p[0], p[1], s[1] > 0 ? p[2] : NULL, len, s[0], s[1], s[2], s[3], nesterov != 0, first != 0);
  return NULL;
}

#include "augment.c"

NAPI_MODULE_INIT() {
  state *st = calloc(1, sizeof *st);
  if (!st) {
    napi_throw_error(env, NULL, "deepq native: out of memory");
    return NULL;
  }
  st->k = &dq_kernels_generic;
  st->ctx.threads = 1;
  if (napi_set_instance_data(env, st, finalize_state, NULL) != napi_ok) {
    free(st);
    return NULL;
  }
  const napi_property_descriptor props[] = {
      {"bind", NULL, bind, NULL, NULL, NULL, napi_default, NULL},
      {"cpuInfo", NULL, cpu_info, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, k_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"gemmBatched", NULL, k_gemmBatched, NULL, NULL, NULL, napi_default, NULL},
      {"im2col", NULL, k_im2col, NULL, NULL, NULL, napi_default, NULL},
      {"col2im", NULL, k_col2im, NULL, NULL, NULL, napi_default, NULL},
      {"addBiasRows", NULL, k_addBiasRows, NULL, NULL, NULL, napi_default, NULL},
      {"addBiasChannels", NULL, k_addBiasChannels, NULL, NULL, NULL, napi_default, NULL},
      {"biasGradRows", NULL, k_biasGradRows, NULL, NULL, NULL, napi_default, NULL},
      {"biasGradChannels", NULL, k_biasGradChannels, NULL, NULL, NULL, napi_default, NULL},
      {"relu", NULL, k_relu, NULL, NULL, NULL, napi_default, NULL},
      {"reluBackward", NULL, k_reluBackward, NULL, NULL, NULL, napi_default, NULL},
      {"leakyRelu", NULL, k_leakyRelu, NULL, NULL, NULL, napi_default, NULL},
      {"leakyReluBackward", NULL, k_leakyReluBackward, NULL, NULL, NULL, napi_default, NULL},
      {"scale", NULL, k_scale, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, k_sumSquares, NULL, NULL, NULL, napi_default, NULL},
      {"u8ToF32", NULL, k_u8ToF32, NULL, NULL, NULL, napi_default, NULL},
      {"adamStep", NULL, k_adamStep, NULL, NULL, NULL, napi_default, NULL},
      {"rmspropStep", NULL, k_rmspropStep, NULL, NULL, NULL, napi_default, NULL},
      {"sgdStep", NULL, k_sgdStep, NULL, NULL, NULL, napi_default, NULL},
      {"u8ToF32Shift", NULL, k_u8ToF32Shift, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, k_conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dWeightGrad", NULL, k_conv2dWeightGrad, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dInputGrad", NULL, k_conv2dInputGrad, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
