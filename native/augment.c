/*
 * DrQ's random shift fused with the uint8 → float conversion: the kernel `u8ToF32Shift` of
 * src/nn/kernels/abi.ts and its Node-API binding. addon.c includes this file after its argument
 * helpers (so the binding shares their bounds checks) and registers k_u8ToF32Shift; it is not
 * compiled on its own. The conversion is a gather bound by memory, so one portable build serves
 * every CPU path; images are spread over the thread pool.
 */

typedef struct {
  const uint8_t *src;
  float *dst;
  const int32_t *shifts;
  long c, h, w, pad;
  float s;
} shift_args;

/* Image `i`: each output row is a clamped left edge, a contiguous middle and a clamped right edge. */
static void shift_image(void *args, long i, int tid) {
  (void)tid;
  const shift_args *q = args;
  const long c = q->c, h = q->h, w = q->w, plane = h * w;
  const float s = q->s;
  const long dy = (long)q->shifts[2 * i] - q->pad, dx = (long)q->shifts[2 * i + 1] - q->pad;
  /* Output columns [x0, x1) read source columns x + dx inside the image. */
  const long x0 = -dx < 0 ? 0 : -dx > w ? w : -dx;
  const long x1 = w - dx < x0 ? x0 : w - dx > w ? w : w - dx;
  for (long ch = 0; ch < c; ch++) {
    const uint8_t *from = q->src + (i * c + ch) * plane;
    float *to = q->dst + (i * c + ch) * plane;
    for (long y = 0; y < h; y++) {
      const long sy = y + dy < 0 ? 0 : y + dy > h - 1 ? h - 1 : y + dy;
      const uint8_t *restrict row = from + sy * w;
      float *restrict out = to + y * w;
      const float left = (float)row[0] * s, right = (float)row[w - 1] * s;
      for (long x = 0; x < x0; x++) out[x] = left;
      for (long x = x0; x < x1; x++) out[x] = (float)row[x + dx] * s;
      for (long x = x1; x < w; x++) out[x] = right;
    }
  }
}

static napi_value k_u8ToF32Shift(napi_env env, napi_callback_info info) {
  call cl;
  long n, c, h, w, pad;
  double s;
  void *src, *dst, *shifts;
  if (!begin(env, info, 9, "u8ToF32Shift", &cl) || !arg_count(&cl, 2, "n", &n) || !arg_count(&cl, 3, "c", &c)
      || !arg_count(&cl, 4, "h", &h) || !arg_count(&cl, 5, "w", &w) || !arg_count(&cl, 6, "pad", &pad)
      || !arg_f64(&cl, 8, &s))
    return NULL;
  const double total = (double)n * (double)c * (double)h * (double)w;
  if (total > cl.st->len) {
    fail_range(&cl, "n·c·h·w", total);
    return NULL;
  }
  if (!arg_vec(&cl, 0, n * c * h * w, 1, "src", &src) || !arg_vec(&cl, 1, n * c * h * w, 4, "dst", &dst)
      || !arg_vec(&cl, 7, 2 * n, 4, "shifts", &shifts))
    return NULL;
  if (total == 0) return NULL;
  shift_args q = {src, dst, shifts, c, h, w, pad, (float)s};
  dq_pool_run(cl.st->ctx.pool, cl.st->ctx.threads, n, shift_image, &q);
  return NULL;
}
