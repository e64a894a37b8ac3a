/**
 * The compute-kernel ABI shared by the native (C), WebAssembly and plain-TypeScript kernels.
 * All tensors live in one `WebAssembly.Memory`; every pointer argument is
 * a byte offset into it (4-byte aligned for f32, 16-byte aligned for best speed).
 * Matrices are row-major; `ld*` are row strides in elements.
 *
 * Kernels never allocate and never read an output they are told to overwrite
 * (`beta = 0` means C's old contents, even NaN, are ignored).
 */
/** Which implementation runs: native with its CPU path (./native.ts), WebAssembly with or without relaxed SIMD, or TypeScript. */
export type KernelBackend = "native-avx512" | "native-avx2" | "native-generic" | "wasm-relaxed-simd" | "wasm-simd" | "js";

export interface Kernels {
  readonly backend: KernelBackend;
  /** The memory every pointer refers to. Growing it detaches old views. */
  readonly memory: WebAssembly.Memory;

  /** C[m×n] = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ; op(A) is m×k, op(B) is k×n. */
  gemm(
    transA: 0 | 1,
    transB: 0 | 1,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
  ): void;

  /**
   * `batch` GEMMs in order, s = 0 … batch−1: C_s = alpha · op(A_s) · op(B_s) + beta · C_s with
   * A_s = a + s·strideA (strides in elements; byte offsets as everywhere) and likewise B_s, C_s.
   * A stride of 0 shares an operand (a conv's weights across the images of a batch); strideC = 0
   * accumulates every product into one C (a conv's weight gradient, beta = 1). Otherwise the C_s
   * must not overlap. Results equal those of the `gemm` calls in that order.
   */
  gemmBatched(
    transA: 0 | 1,
    transB: 0 | 1,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    strideA: number,
    b: number,
    ldb: number,
    strideB: number,
    beta: number,
    c: number,
    ldc: number,
    strideC: number,
    batch: number,
  ): void;

  /**
   * One CHW image to columns: col[(ci·kh + i)·kw + j][oy·outW + ox] = x[ci][oy·sh − ph + i][ox·sw − pw + j]
   * (0 outside the image). `ldcol` is the column matrix's row stride, so several images
   * can be written side by side into one [c·kh·kw, batch·outH·outW] matrix.
   */
  im2col(
    x: number,
    c: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    outH: number,
    outW: number,
    col: number,
    ldcol: number,
  ): void;
  /** The adjoint of im2col: dx[ci][y][x] += Σ of the column entries that read it. Accumulates into dx. */
  col2im(
    col: number,
    ldcol: number,
    c: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    outH: number,
    outW: number,
    dx: number,
  ): void;

  /** y[r][j] += bias[j] for r < rows, j < cols (Linear). */
  addBiasRows(y: number, bias: number, rows: number, cols: number): void;
  /** y[n][ch][p] += bias[ch] for an NCHW tensor with `hw` pixels per channel (Conv2d). */
  addBiasChannels(y: number, bias: number, n: number, channels: number, hw: number): void;
  /** db[j] += Σ_r dy[r][j]. */
  biasGradRows(dy: number, db: number, rows: number, cols: number): void;
  /** db[ch] += Σ_{n,p} dy[n][ch][p]. */
  biasGradChannels(dy: number, db: number, n: number, channels: number, hw: number): void;

  /** y = max(x, 0); y may equal x. */
  relu(x: number, y: number, len: number): void;
  /** dx = dy where y > 0 else 0 (y is the ReLU output); dx may equal dy. */
  reluBackward(y: number, dy: number, dx: number, len: number): void;
  /** y = x > 0 ? x : slope·x; y may equal x. */
  leakyRelu(x: number, y: number, len: number, slope: number): void;
  /** dx = dy · (x > 0 ? 1 : slope); dx may equal dy. */
  leakyReluBackward(x: number, dy: number, dx: number, len: number, slope: number): void;

  /** x *= s. */
  scale(x: number, len: number, s: number): void;
  /** Σ x² in double precision (for clip-grad-norm). */
  sumSquares(x: number, len: number): number;
  /** dst[i] = src_u8[i] · s (uint8 pixels to float; `src` is a byte offset, no alignment needed). */
  u8ToF32(src: number, dst: number, len: number, s: number): void;
  /**
   * DrQ's random shift fused with u8ToF32, for `n` uint8 NCHW images [n, c, h, w]: replicate-pad
   * each by `pad` pixels, crop h×w back at the image's offset (dy_i, dx_i) ∈ [0, 2·pad]² and scale,
   * dst[i][ch][y][x] = src[i][ch][clamp(y + dy_i − pad, 0, h−1)][clamp(x + dx_i − pad, 0, w−1)] · s.
   * `shifts` is the byte offset of n (dy, dx) int32 pairs (4-byte aligned); (pad, pad) is the
   * identity, and reads are clamped, so any offset is safe. `src` needs no alignment.
   */
  u8ToF32Shift(src: number, dst: number, n: number, c: number, h: number, w: number, pad: number, shifts: number, s: number): void;

  /**
   * torch.optim.Adam, one parameter tensor, bias corrections precomputed by the caller:
   * g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
   * p −= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps), bc_i = 1 − β_i^t.
   */
  adamStep(
    p: number,
    g: number,
    m: number,
    v: number,
    len: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    bc1: number,
    bc2: number,
  ): void;
  /**
   * torch.optim.RMSprop (not centered): g' = g + wd·p; sq = α·sq + (1−α)·g'²;
   * with momentum μ > 0: buf = μ·buf + g'/(sqrt(sq)+eps), p −= lr·buf; else p −= lr·g'/(sqrt(sq)+eps).
   * `buf` is ignored when momentum is 0.
   */
  rmspropStep(p: number, g: number, sq: number, buf: number, len: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number): void;
  /**
   * torch.optim.SGD: g' = g + wd·p; with momentum μ > 0: buf = first ? g' : μ·buf + (1−dampening)·g',
   * step = nesterov ? g' + μ·buf : buf; p −= lr·step. `buf` is ignored when momentum is 0.
   */
  sgdStep(
    p: number,
    g: number,
    buf: number,
    len: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: 0 | 1,
    first: 0 | 1,
  ): void;

  /**
   * Direct convolution, for backends that have it (native): n CHW images [n, c, h, w] by weight
   * [o, c, kh, kw] into y [n, o, outH, outW], unpadded, no bias, y overwritten. It computes what
   * im2col + a GEMM per image compute, without the column matrix. `c·kh·kw` ≤ `CONV_MAX_K`, and every
   * position reads inside the image ((outH − 1)·sh + kh ≤ h, likewise for w).
   */
  conv2d?(
    x: number,
    n: number,
    c: number,
    h: number,
    w: number,
    o: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    outH: number,
    outW: number,
    weight: number,
    y: number,
  ): void;
  /** conv2d's weight gradient: dw[o][ci][i][j] += Σ_{n, oy, ox} dy[n][o][oy][ox] · x[n][ci][oy·sh + i][ox·sw + j]. */
  conv2dWeightGrad?(
    x: number,
    dy: number,
    n: number,
    c: number,
    h: number,
    w: number,
    o: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    outH: number,
    outW: number,
    dw: number,
  ): void;
  /** conv2d's input gradient: dx[n][ci][y][x] = Σ dy[n][o][oy][ox] · weight[o][ci][y − oy·sh][x − ox·sw] over the positions that read (y, x); dx overwritten. */
  conv2dInputGrad?(
    dy: number,
    n: number,
    c: number,
    h: number,
    w: number,
    o: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    outH: number,
    outW: number,
    weight: number,
    dx: number,
  ): void;
}

/** The largest c·kh·kw the direct convolution kernels accept. */
export const CONV_MAX_K = 8192;

/** `gemmBatched` as the loop of `gemm` calls it is defined to equal (for backends without a batched kernel). */
export function gemmBatchedByLoop(gemm: Kernels["gemm"]): Kernels["gemmBatched"] {
  return (transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch) => {
    for (let s = 0; s < batch; s++) {
      gemm(transA, transB, m, n, k, alpha, a + 4 * s * strideA, lda, b + 4 * s * strideB, ldb, beta, c + 4 * s * strideC, ldc);
    }
  };
}
