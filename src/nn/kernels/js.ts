/**
 * Plain-TypeScript implementation of the kernel ABI: the reference the WebAssembly
 * kernels are tested against, and the fallback where WebAssembly SIMD is missing.
 * Loops are ordered so the innermost one walks contiguous memory; sums that feed a
 * single output accumulate in doubles.
 */
import { gemmBatchedByLoop, type Kernels } from "./abi.js";

export function createJsKernels(memory: WebAssembly.Memory): Kernels {
  let buffer = memory.buffer;
  let f = new Float32Array(buffer);
  let u8 = new Uint8Array(buffer);
  let i32 = new Int32Array(buffer);
  // Growing the memory detaches the old ArrayBuffer, so views are rebuilt lazily on the next call.
  const refresh = (): void => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      f = new Float32Array(buffer);
      u8 = new Uint8Array(buffer);
      i32 = new Int32Array(buffer);
    }
  };

  /** C = beta·C before accumulation; beta = 0 overwrites without reading. */
  const scaleC = (m: number, n: number, beta: number, c: number, ldc: number): void => {
    if (beta === 1) return;
    for (let i = 0; i < m; i++) {
      const row = c + i * ldc;
      if (beta === 0) f.fill(0, row, row + n);
      else for (let j = row; j < row + n; j++) f[j]! *= beta;
    }
  };

  const kernels: Kernels = {
    backend: "js",
    memory,

    gemmBatched(...args) {
      gemmBatchedByLoop(kernels.gemm)(...args);
    },

    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: the reference GEMM: the four transpose variants written out as the BLAS definition
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      refresh();
      a >>= 2;
      b >>= 2;
      c >>= 2;
      scaleC(m, n, beta, c, ldc);
      if (alpha === 0 || k === 0) return;
      if (transB === 0) {
        // C[i,:] += alpha·op(A)[i,p]·B[p,:] — the inner loop is a contiguous axpy over a row of B.
        for (let i = 0; i < m; i++) {
          const ci = c + i * ldc;
          for (let p = 0; p < k; p++) {
            const av = alpha * (transA === 0 ? f[a + i * lda + p]! : f[a + p * lda + i]!);
            if (av === 0) continue;
            const bp = b + p * ldb;
            for (let j = 0; j < n; j++) f[ci + j]! += av * f[bp + j]!;
          }
        }
      } else if (transA === 0) {
        // C[i,j] += alpha·A[i,:]·B[j,:] — both operands contiguous: a dot product.
        for (let i = 0; i < m; i++) {
          const ai = a + i * lda;
          const ci = c + i * ldc;
          for (let j = 0; j < n; j++) {
            const bj = b + j * ldb;
            let s = 0;
            for (let p = 0; p < k; p++) s += f[ai + p]! * f[bj + p]!;
            f[ci + j]! += alpha * s;
          }
        }
      } else {
        for (let i = 0; i < m; i++) {
          const ci = c + i * ldc;
          for (let j = 0; j < n; j++) {
            const bj = b + j * ldb;
            let s = 0;
            for (let p = 0; p < k; p++) s += f[a + p * lda + i]! * f[bj + p]!;
            f[ci + j]! += alpha * s;
          }
        }
      }
    },

    im2col(x, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, col, ldcol) {
      refresh();
      x >>= 2;
      col >>= 2;
      for (let ci = 0; ci < c; ci++) {
        const xc = x + ci * h * w;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const row = col + ((ci * kh + i) * kw + j) * ldcol;
            for (let oy = 0; oy < outH; oy++) {
              const y = oy * sh - ph + i;
              const dst = row + oy * outW;
              if (y < 0 || y >= h) {
                f.fill(0, dst, dst + outW);
                continue;
              }
              const src = xc + y * w;
              for (let ox = 0; ox < outW; ox++) {
                const xx = ox * sw - pw + j;
                f[dst + ox] = xx >= 0 && xx < w ? f[src + xx]! : 0;
              }
            }
          }
        }
      }
    },

    col2im(col, ldcol, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW, dx) {
      refresh();
      col >>= 2;
      dx >>= 2;
      for (let ci = 0; ci < c; ci++) {
        const xc = dx + ci * h * w;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const row = col + ((ci * kh + i) * kw + j) * ldcol;
            for (let oy = 0; oy < outH; oy++) {
              const y = oy * sh - ph + i;
              if (y < 0 || y >= h) continue;
              const src = row + oy * outW;
              const dst = xc + y * w;
              for (let ox = 0; ox < outW; ox++) {
                const xx = ox * sw - pw + j;
                if (xx >= 0 && xx < w) f[dst + xx]! += f[src + ox]!;
              }
            }
          }
        }
      }
    },

    addBiasRows(y, bias, rows, cols) {
      refresh();
      y >>= 2;
      bias >>= 2;
      for (let r = 0; r < rows; r++) {
        const yr = y + r * cols;
        for (let j = 0; j < cols; j++) f[yr + j]! += f[bias + j]!;
      }
    },

    addBiasChannels(y, bias, n, channels, hw) {
      refresh();
      y >>= 2;
      bias >>= 2;
      for (let s = 0; s < n; s++) {
        for (let ch = 0; ch < channels; ch++) {
          const bv = f[bias + ch]!;
          const p0 = y + (s * channels + ch) * hw;
          for (let p = p0; p < p0 + hw; p++) f[p]! += bv;
        }
      }
    },

    biasGradRows(dy, db, rows, cols) {
      refresh();
      dy >>= 2;
      db >>= 2;
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += f[dy + r * cols + j]!;
        f[db + j]! += s;
      }
    },

    biasGradChannels(dy, db, n, channels, hw) {
      refresh();
      dy >>= 2;
      db >>= 2;
      for (let ch = 0; ch < channels; ch++) {
        let s = 0;
        for (let smp = 0; smp < n; smp++) {
          const p0 = dy + (smp * channels + ch) * hw;
          for (let p = p0; p < p0 + hw; p++) s += f[p]!;
        }
        f[db + ch]! += s;
      }
    },

    relu(x, y, len) {
      refresh();
      x >>= 2;
      y >>= 2;
      for (let i = 0; i < len; i++) {
        const v = f[x + i]!;
        f[y + i] = v > 0 ? v : 0;
      }
    },

    reluBackward(y, dy, dx, len) {
      refresh();
      y >>= 2;
      dy >>= 2;
      dx >>= 2;
      for (let i = 0; i < len; i++) f[dx + i] = f[y + i]! > 0 ? f[dy + i]! : 0;
    },

    leakyRelu(x, y, len, slope) {
      refresh();
      x >>= 2;
      y >>= 2;
      for (let i = 0; i < len; i++) {
        const v = f[x + i]!;
        f[y + i] = v > 0 ? v : slope * v;
      }
    },

    leakyReluBackward(x, dy, dx, len, slope) {
      refresh();
      x >>= 2;
      dy >>= 2;
      dx >>= 2;
      for (let i = 0; i < len; i++) {
        const g = f[dy + i]!;
        f[dx + i] = f[x + i]! > 0 ? g : slope * g;
      }
    },

    scale(x, len, s) {
      refresh();
      x >>= 2;
      for (let i = x; i < x + len; i++) f[i]! *= s;
    },

    sumSquares(x, len) {
      refresh();
      x >>= 2;
      let s = 0;
      for (let i = x; i < x + len; i++) {
        const v = f[i]!;
        s += v * v;
      }
      return s;
    },

    u8ToF32(src, dst, len, s) {
      refresh();
      dst >>= 2;
      for (let i = 0; i < len; i++) f[dst + i] = u8[src + i]! * s;
    },

    u8ToF32Shift(src, dst, n, c, h, w, pad, shifts, s) {
      refresh();
      dst >>= 2;
      shifts >>= 2;
      // The scale in float32, as the compiled kernels multiply: every backend gives the same bits.
      const sf = Math.fround(s);
      const plane = h * w;
      for (let i = 0; i < n; i++) {
        const dy = i32[shifts + 2 * i]! - pad;
        const dx = i32[shifts + 2 * i + 1]! - pad;
        for (let ch = 0; ch < c; ch++) {
          const from = src + (i * c + ch) * plane;
          const to = dst + (i * c + ch) * plane;
          for (let y = 0; y < h; y++) {
            const sy = Math.min(Math.max(y + dy, 0), h - 1);
            for (let x = 0; x < w; x++) {
              f[to + y * w + x] = u8[from + sy * w + Math.min(Math.max(x + dx, 0), w - 1)]! * sf;
            }
          }
        }
      }
    },

    adamStep(p, g, m, v, len, lr, beta1, beta2, eps, weightDecay, bc1, bc2) {
      refresh();
      p >>= 2;
      g >>= 2;
      m >>= 2;
      v >>= 2;
      const stepSize = lr / bc1;
      const bc2Sqrt = Math.sqrt(bc2);
      for (let i = 0; i < len; i++) {
        const gi = f[g + i]! + weightDecay * f[p + i]!;
        const mi = (f[m + i] = beta1 * f[m + i]! + (1 - beta1) * gi);
        const vi = (f[v + i] = beta2 * f[v + i]! + (1 - beta2) * gi * gi);
        f[p + i]! -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    },

    rmspropStep(p, g, sq, buf, len, lr, alpha, eps, weightDecay, momentum) {
      refresh();
      p >>= 2;
      g >>= 2;
      sq >>= 2;
      buf >>= 2;
      for (let i = 0; i < len; i++) {
        const gi = f[g + i]! + weightDecay * f[p + i]!;
        const si = (f[sq + i] = alpha * f[sq + i]! + (1 - alpha) * gi * gi);
        const d = gi / (Math.sqrt(si) + eps);
        if (momentum > 0) f[p + i]! -= lr * (f[buf + i] = momentum * f[buf + i]! + d);
        else f[p + i]! -= lr * d;
      }
    },

    sgdStep(p, g, buf, len, lr, momentum, dampening, weightDecay, nesterov, first) {
      refresh();
      p >>= 2;
      g >>= 2;
      buf >>= 2;
      for (let i = 0; i < len; i++) {
        const gi = f[g + i]! + weightDecay * f[p + i]!;
        let step = gi;
        if (momentum > 0) {
          const b = (f[buf + i] = first ? gi : momentum * f[buf + i]! + (1 - dampening) * gi);
          step = nesterov ? gi + momentum * b : b;
        }
        f[p + i]! -= lr * step;
      }
    },
  };
  return kernels;
}
