/**
 * Row-wise operations on [rows, cols] float arrays that heads and losses need but that are
 * not layers: argmax, and the numerically stable softmax and log-softmax with their backward
 * (distributional heads: C51's categorical, M-DQN's soft policy). Plain TypeScript: rows are
 * short (actions or atoms), so a kernel call would cost more than the arithmetic.
 */
import { formatShape, type Tensor } from "./tensor.js";

function checkRows(what: string, len: number, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1 || len < rows * cols) {
    throw new RangeError(`${what}: ${rows}×${cols} values do not fit an array of ${len}`);
  }
}

/** Index of the first maximum of a[off .. off+len) (ties go to the lowest index, as torch.argmax). */
export function argmaxAt(a: ArrayLike<number>, off: number, len: number): number {
  let best = 0;
  let m = a[off]!;
  for (let j = 1; j < len; j++) {
    if (a[off + j]! > m) {
      m = a[off + j]!;
      best = j;
    }
  }
  return best;
}

/** Greedy action per row of Q [N, actions] into `out`. */
export function argmaxRows(q: Tensor, out: Int32Array): Int32Array {
  if (q.shape.length !== 2) throw new RangeError(`argmaxRows: expected [N, actions], got ${formatShape(q.shape)}`);
  const n = q.shape[0]!;
  const na = q.shape[1]!;
  if (out.length < n) throw new RangeError(`argmaxRows: out has ${out.length} entries, the batch has ${n}`);
  const d = q.data;
  for (let i = 0; i < n; i++) out[i] = argmaxAt(d, i * na, na);
  return out;
}

/**
 * out[r, j] = x[r, j] − max_r − log Σ_k exp(x[r, k] − max_r): log-softmax per row, stable for
 * any magnitude (the max is subtracted before exponentiating). `out` may be `x`.
 */
export function logSoftmaxRows(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  checkRows("logSoftmaxRows", Math.min(x.length, out.length), rows, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = x[o]!;
    for (let j = 1; j < cols; j++) if (x[o + j]! > m) m = x[o + j]!;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! - lse;
  }
  return out;
}

/** out[r, j] = softmax of row r of x. `out` may be `x`. */
export function softmaxRows(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  checkRows("softmaxRows", Math.min(x.length, out.length), rows, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = x[o]!;
    for (let j = 1; j < cols; j++) if (x[o + j]! > m) m = x[o + j]!;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j]! - m) / s;
  }
  return out;
}

/** Backward of y = softmax(x) per row: dx = y ⊙ (dy − Σ_k dy_k·y_k). `dx` may be `dy`. */
export function softmaxRowsBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array): Float32Array {
  checkRows("softmaxRowsBackward", Math.min(y.length, dy.length, dx.length), rows, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
  return dx;
}

/** Backward of y = log_softmax(x) per row: dx = dy − softmax(x)·Σ_k dy_k = dy − exp(y)·Σ_k dy_k. `dx` may be `dy`. */
export function logSoftmaxRowsBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array): Float32Array {
  checkRows("logSoftmaxRowsBackward", Math.min(y.length, dy.length, dx.length), rows, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += dy[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j]! - Math.exp(y[o + j]!) * s;
  }
  return dx;
}
