/**
 * Module.copyFrom and Module.softUpdateFrom (target-network sync and weight averaging): the
 * Polyak step in float32 on every kernel backend, counters copied, mismatches refused by name,
 * and no arrays allocated per call. Importing ../replay/alloc-util.js turns inlining off for this
 * process (the worst case for boxed doubles).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Arena, BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Rng, Sequential } from "../../src/nn/index.js";
import { bytesPerCall } from "../replay/alloc-util.js";
import { testBackends } from "./util.js";

/** Conv → BatchNorm (a running mean, a variance and a counter) → Linear: every kind of state entry. */
function net(arena: Arena, seed: number): Sequential {
  const rng = new Rng(seed);
  const m = new Sequential(
    [new Conv2d(2, 3, 3, { arena, rng }), new BatchNorm2d(3, { arena }), new ReLU(arena), new Flatten(arena), new Linear(12, 5, { arena, rng })],
    arena,
  );
  for (const [, v] of m.namedState()) {
    if (!("data" in v)) continue;
    const d = v.data;
    for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-2, 2);
  }
  return m;
}

function tensors(m: Sequential): Float32Array[] {
  return m.namedState().flatMap(([, v]) => ("data" in v ? [v.data.slice()] : []));
}

for (const backend of testBackends()) {
  test(`softUpdateFrom (${backend}): p ← p + τ·(p_src − p) in float32 for every tensor, counters copied`, () => {
    const arena = new Arena({ backend });
    const dst = net(arena, 1);
    const src = net(arena, 2);
    const bn = (m: Sequential) => m.layers[1] as BatchNorm2d;
    bn(src).numBatchesTracked.value = 7;
    const before = tensors(dst);
    const from = tensors(src);
    const tau = 0.3;
    dst.softUpdateFrom(src, tau);
    const after = tensors(dst);
    assert.equal(after.length, 8, "conv weight and bias, norm weight, bias, running mean and variance, linear weight and bias");
    for (let t = 0; t < after.length; t++) {
      for (let i = 0; i < after[t]!.length; i++) {
        const exact = before[t]![i]! + tau * (from[t]![i]! - before[t]![i]!);
        // One float32 rounding of the difference, one of the product and one of the sum (or a fused multiply-add).
        assert.ok(Math.abs(after[t]![i]! - exact) <= 3 * 2 ** -23 * 4, `tensor ${t}[${i}]: ${after[t]![i]} vs ${exact}`);
      }
    }
    assert.equal(bn(dst).numBatchesTracked.value, 7, "counters are copied, not averaged");
    assert.deepEqual(tensors(src), from, "the source is unchanged");

    dst.softUpdateFrom(src, 0);
    assert.deepEqual(tensors(dst), after, "τ = 0 leaves the weights");
    dst.softUpdateFrom(src, 1);
    assert.deepEqual(tensors(dst), from, "τ = 1 is an exact copy");
  });
}

test("copyFrom then softUpdateFrom from another source: each pairs its own source", () => {
  const arena = new Arena();
  const dst = net(arena, 1);
  const a = net(arena, 2);
  const b = net(arena, 3);
  dst.softUpdateFrom(a, 0.5);
  dst.copyFrom(b);
  assert.deepEqual(tensors(dst), tensors(b));
  dst.softUpdateFrom(a, 1);
  assert.deepEqual(tensors(dst), tensors(a));
});

test("copyFrom and softUpdateFrom refuse another architecture, another arena and τ outside [0, 1], naming them", () => {
  const arena = new Arena();
  const dst = net(arena, 1);
  const wider = new Sequential([new Linear(4, 6, { arena })], arena);
  assert.throws(() => dst.copyFrom(wider), /copyFrom: Sequential.* has 2 state entries, Sequential.* has 9/);
  assert.throws(() => dst.softUpdateFrom(net(new Arena(), 2), 0.5), /softUpdateFrom: Sequential.* lives in another arena/);
  assert.throws(() => dst.softUpdateFrom(wider, 0.5), /softUpdateFrom: Sequential.* has 2 state entries, Sequential.* has 9/);
  const before = tensors(dst);
  const other = new Sequential([new Linear(4, 6, { arena })], arena);
  assert.throws(
    () => new Sequential([new Linear(4, 5, { arena })], arena).copyFrom(other),
    /size mismatch for "0.weight": source \[6, 4\], destination \[5, 4\]/,
  );
  assert.throws(() => dst.softUpdateFrom(dst, 1.5), /tau must be in \[0, 1\], got 1.5/);
  assert.throws(() => dst.softUpdateFrom(dst, Number.NaN), /tau must be in \[0, 1\], got NaN/);
  assert.deepEqual(tensors(dst), before);
});

test("softUpdateFrom allocates no arrays per call after the first with a source, at most its boxed step", () => {
  const arena = new Arena();
  const dst = net(arena, 1);
  const src = net(arena, 2);
  // Without inlining the kernel calls' step −τ is boxed: one 16-byte heap number per call, shared by every tensor.
  const bound = 16 + 2;
  const bytes = bytesPerCall(() => dst.softUpdateFrom(src, 0.01), 2000, bound);
  assert.ok(bytes <= bound, `softUpdateFrom allocated ${bytes.toFixed(1)} bytes per call (bound ${bound})`);
});
