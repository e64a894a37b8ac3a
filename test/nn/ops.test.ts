/** Row-wise ops: argmax ties, softmax / log-softmax against float64 references and finite differences. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { argmaxAt, logSoftmaxRows, logSoftmaxRowsBackward, softmaxRows, softmaxRowsBackward } from "../../src/nn/ops.js";
import { Rng } from "../../src/nn/rng.js";

function randomRows(rows: number, cols: number, scale: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => (rng.random() - 0.5) * 2 * scale);
}

test("argmaxAt takes the first maximum, as torch.argmax", () => {
  assert.equal(argmaxAt([1, 3, 3, 2], 0, 4), 1);
  assert.equal(argmaxAt([9, 1, 3, 3], 1, 3), 1);
  assert.equal(argmaxAt([-Infinity, -Infinity], 0, 2), 0);
});

test("softmax and log-softmax match float64 and stay finite for large logits", () => {
  for (const scale of [1, 30, 1e4]) {
    const rows = 5;
    const cols = 51;
    const x = randomRows(rows, cols, scale, 7);
    const p = softmaxRows(x, rows, cols, new Float32Array(x.length));
    const lp = logSoftmaxRows(x, rows, cols, new Float32Array(x.length));
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        const ref = row[j]! - lse;
        assert.ok(Number.isFinite(lp[r * cols + j]!), `log-softmax finite at scale ${scale}`);
        assert.ok(Math.abs(lp[r * cols + j]! - ref) <= 1e-6 * Math.max(1, Math.abs(ref)), `log-softmax[${r},${j}] at scale ${scale}`);
        assert.ok(Math.abs(p[r * cols + j]! - Math.exp(ref)) <= 1e-7, `softmax[${r},${j}] at scale ${scale}`);
        sum += p[r * cols + j]!;
      }
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
  }
  assert.throws(() => softmaxRows(new Float32Array(5), 2, 3, new Float32Array(6)), /2×3 values do not fit an array of 5/);
});

test("softmax and log-softmax backward match central finite differences", () => {
  const rows = 3;
  const cols = 7;
  const x = randomRows(rows, cols, 2, 3);
  const dy = randomRows(rows, cols, 1, 4);
  const h = 1e-3;
  for (const [fwd, bwd, name] of [
    [softmaxRows, softmaxRowsBackward, "softmax"],
    [logSoftmaxRows, logSoftmaxRowsBackward, "log-softmax"],
  ] as const) {
    const y = fwd(x, rows, cols, new Float32Array(x.length));
    const dx = bwd(y, dy, rows, cols, new Float32Array(x.length));
    // L = Σ dy ⊙ f(x), evaluated in float64 around each coordinate.
    const lossAt = (xs: Float64Array) => {
      let l = 0;
      for (let r = 0; r < rows; r++) {
        const row = xs.subarray(r * cols, (r + 1) * cols);
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        for (let j = 0; j < cols; j++) {
          const v = name === "softmax" ? Math.exp(row[j]! - lse) : row[j]! - lse;
          l += dy[r * cols + j]! * v;
        }
      }
      return l;
    };
    const x64 = Float64Array.from(x);
    for (let i = 0; i < x.length; i++) {
      const keep = x64[i]!;
      x64[i] = keep + h;
      const up = lossAt(x64);
      x64[i] = keep - h;
      const down = lossAt(x64);
      x64[i] = keep;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(dx[i]! - fd) <= 1e-4 * Math.max(1, Math.abs(fd)), `${name} dx[${i}] ${dx[i]} vs ${fd}`);
    }
  }
});
