import assert from "node:assert/strict";
import { test } from "node:test";
import { ImageReplayBuffer, linearBeta, MinTree, PrioritizedReplay, ReplayBuffer, SumTree } from "../../src/replay/index.js";
import { assertSameBatch, decodeStack, encodeFrame, Lcg, roundTrip } from "./helpers.js";

function filled(n: number, capacity = n, seed = 0): ReplayBuffer {
  const buf = new ReplayBuffer({ capacity, obsSize: 1, seed });
  for (let i = 0; i < n; i++) buf.add([i], i % 3, i, [i + 1], false, false);
  return buf;
}

test("SumTree: prefix-sum lookup at exact boundaries, zeros skipped, totals exact", () => {
  const tree = new SumTree(6); // not a power of two
  [1, 0, 3, 2, 0, 4].forEach((v, i) => tree.set(i, v));
  assert.equal(tree.total, 10);
  const cases: [number, number][] = [
    [0, 0],
    [0.999, 0],
    [1, 2],
    [3.999, 2],
    [4, 3],
    [5.999, 3],
    [6, 5],
    [9.999, 5],
  ];
  for (const [u, leaf] of cases) assert.equal(tree.find(u), leaf, `find(${u})`);
  // At or past the total (rounding), still a positive leaf, never an empty one.
  assert.equal(tree.find(10), 5);
  assert.equal(tree.find(10.5), 5);
  tree.set(5, 0);
  assert.equal(tree.total, 6);
  assert.equal(tree.find(6), 3, "trailing zero leaves are skipped");
  tree.set(0, 0.5);
  assert.equal(tree.total, 5.5);
  assert.deepEqual(Array.from(tree.leaves()), [0.5, 0, 3, 2, 0, 0]);
});

test("SumTree: find agrees with a brute-force prefix scan on random trees", () => {
  const rng = new Lcg(3);
  for (const cap of [1, 2, 7, 64, 100]) {
    const tree = new SumTree(cap);
    const vals = new Float64Array(cap);
    for (let i = 0; i < cap * 3; i++) {
      const k = rng.int(cap);
      vals[k] = rng.next() < 0.2 ? 0 : rng.next() * 5;
      tree.set(k, vals[k]!);
    }
    const total = vals.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(tree.total - total) < 1e-9);
    if (total === 0) continue;
    for (let q = 0; q < 300; q++) {
      const u = rng.next() * total;
      let acc = 0;
      let want = -1;
      for (let i = 0; i < cap; i++) {
        acc += vals[i]!;
        if (acc > u) {
          want = i;
          break;
        }
      }
      const got = tree.find(u);
      // Floating-point ties at a boundary may pick the neighbour; both must be positive leaves.
      if (got !== want) {
        let before = 0;
        for (let i = 0; i < Math.max(got, want); i++) before += vals[i]!;
        assert.ok(Math.abs(before - u) < 1e-9, `cap ${cap}: find(${u}) = ${got}, scan says ${want}`);
      }
      assert.ok(vals[got]! > 0);
    }
  }
});

test("MinTree: minimum over set leaves, +∞ when empty", () => {
  const t = new MinTree(5);
  assert.equal(t.min, Number.POSITIVE_INFINITY);
  t.set(3, 2);
  t.set(1, 5);
  assert.equal(t.min, 2);
  t.set(3, Number.POSITIVE_INFINITY);
  assert.equal(t.min, 5);
  t.setAll([4, 9, 1, 7, 8]);
  assert.equal(t.min, 1);
});

test("sampling frequency is proportional to p^α (statistically)", () => {
  const buf = filled(8, 8, 1);
  const per = new PrioritizedReplay(buf, { alpha: 0.7, beta: 0.5, eps: 1e-6 });
  const td = [0.5, 1, 2, 4, 0, 3, 1, 0.25];
  per.updatePriorities([0, 1, 2, 3, 4, 5, 6, 7], td);
  const p = td.map((d) => (Math.abs(d) + 1e-6) ** 0.7);
  const total = p.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(per.totalPriority - total) < 1e-9);
  const batch = per.createBatch(8);
  const counts = new Array<number>(8).fill(0);
  const draws = 8000 * 8;
  for (let s = 0; s < 8000; s++) {
    per.sample(8, batch);
    for (let r = 0; r < 8; r++) counts[batch.indices[r]!]!++;
  }
  for (let i = 0; i < 8; i++) {
    const prob = p[i]! / total;
    const sd = Math.sqrt(draws * prob * (1 - prob));
    assert.ok(Math.abs(counts[i]! - draws * prob) <= 5 * sd + 1, `index ${i}: ${counts[i]} draws, expected ${(draws * prob).toFixed(0)} ± ${sd.toFixed(0)}`);
  }
  assert.ok(counts[4]! < draws * 1e-3, "a zero TD error leaves only eps^α mass");
});

test("importance weights: (N·P(i))^−β divided by the largest possible weight", () => {
  const n = 6;
  const buf = filled(n, 10, 2);
  const per = new PrioritizedReplay(buf, { alpha: 0.6, beta: 0.4 });
  const td = [0.1, 2, 0.5, 1, 3, 0.7];
  per.updatePriorities([0, 1, 2, 3, 4, 5], td);
  const p = td.map((d) => (d + 1e-6) ** 0.6);
  const total = p.reduce((a, b) => a + b, 0);
  const beta = 0.4;
  const w = p.map((pi) => (n * (pi / total)) ** -beta);
  const wMax = Math.max(...w);
  const batch = per.createBatch(n);
  for (let s = 0; s < 50; s++) {
    per.sample(n, batch);
    for (let r = 0; r < n; r++) {
      const i = batch.indices[r]!;
      assert.ok(Math.abs(batch.weights[r]! - w[i]! / wMax) < 1e-6, `index ${i}: weight ${batch.weights[r]} vs ${w[i]! / wMax}`);
      assert.ok(batch.weights[r]! <= 1 && batch.weights[r]! > 0);
    }
  }
  // The lowest-priority transition has weight exactly 1; β = 0 gives all ones.
  per.sample(n, batch, 0);
  assert.deepEqual(Array.from(batch.weights.subarray(0, n)), new Array(n).fill(1));
  per.beta = 1;
  per.sample(n, batch);
  for (let r = 0; r < n; r++) {
    const i = batch.indices[r]!;
    assert.ok(Math.abs(batch.weights[r]! - p[0]! / p[i]!) < 1e-6);
  }
});

test("new transitions get the largest priority seen; updatePriorities adds eps and skips nothing valid", () => {
  const buf = new ReplayBuffer({ capacity: 4, obsSize: 1 });
  const per = new PrioritizedReplay(buf, { alpha: 0.5, eps: 0.01 });
  buf.add([0], 0, 0, [1], false, false);
  assert.equal(per.priority(0), 1, "max priority starts at 1");
  per.updatePriorities([0], [-8.99]);
  assert.ok(Math.abs(per.priority(0) - 3) < 1e-12, "(|−8.99| + 0.01)^0.5 = 3");
  buf.add([1], 0, 0, [2], false, false);
  assert.ok(Math.abs(per.priority(1) - 3) < 1e-12, "new transition at max priority");
  per.updatePriorities(Int32Array.from([1, 0]), Float32Array.from([0, 0]), 1);
  assert.ok(Math.abs(per.priority(1) - 0.1) < 1e-9);
  assert.ok(Math.abs(per.priority(0) - 3) < 1e-12, "count limits the update");
  assert.equal(per.priority(2), 0, "unwritten slots have no mass");
  // Wrapping overwrites slot 0 with a fresh max-priority transition.
  buf.add([2], 0, 0, [3], false, false);
  buf.add([3], 0, 0, [4], false, false);
  buf.add([4], 0, 0, [5], false, false);
  assert.ok(Math.abs(per.priority(0) - 3) < 1e-12);
  // Wrapping a store that already has transitions gives them max priority.
  const per2 = new PrioritizedReplay(filled(3, 5));
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => per2.priority(i)),
    [1, 1, 1, 0, 0],
  );
});

test("with the image buffer: invalidated transitions leave the trees and are never sampled; rows are exact", () => {
  const fs = 16;
  const frame = (id: number) => {
    const f = new Uint8Array(fs);
    encodeFrame(id, f, 0, fs);
    return f;
  };
  const buf = new ImageReplayBuffer({ capacity: 12, frameShape: [4, 4], stack: 3, extraFrames: 1, seed: 3 });
  const per = new PrioritizedReplay(buf, { alpha: 0.6 });
  const batch = per.createBatch(4);
  let id = 1;
  for (let ep = 0; ep < 12; ep++) {
    buf.addFirst(frame(id++));
    for (let t = 0; t < 3; t++) {
      buf.add(t, 1, frame(id), t === 2, false);
      id++;
    }
    let mass = 0;
    for (let i = 0; i < buf.capacity; i++) {
      if (!buf.isValid(i)) assert.equal(per.priority(i), 0, `ep ${ep}: invalid slot ${i} has mass`);
      else mass += per.priority(i);
    }
    assert.ok(Math.abs(mass - per.totalPriority) < 1e-9);
    if (buf.size < 4) continue;
    for (let s = 0; s < 20; s++) {
      per.sample(4, batch);
      for (let r = 0; r < 4; r++) {
        assert.ok(buf.isValid(batch.indices[r]!));
        const ids = decodeStack(batch.obs, r * 3 * fs, 3, fs);
        assert.ok(
          ids.every((x) => x > 0),
          "frames intact",
        );
        const next = decodeStack(batch.nextObs, r * 3 * fs, 3, fs);
        assert.equal(next[2], ids[2]! + 1);
      }
      per.updatePriorities(
        batch.indices,
        batch.rewards.map((_, r) => r + 0.5),
        4,
      );
    }
  }
  // 12 episodes of 4 frames, 3 transitions each; 13 frames fit: only the last 3 episodes' transitions survive.
  assert.equal(buf.size, 9);
});

test("linearBeta anneals to 1 and stays there; beta is validated", () => {
  const f = linearBeta(0.4, 100);
  assert.equal(f(0), 0.4);
  assert.ok(Math.abs(f(50) - 0.7) < 1e-12);
  assert.equal(f(100), 1);
  assert.equal(f(1e9), 1);
  const per = new PrioritizedReplay(filled(2));
  per.beta = f(50);
  assert.ok(Math.abs(per.beta - 0.7) < 1e-12);
  assert.throws(() => {
    per.beta = 1.5;
  }, /beta must be in \[0, 1\], got 1.5/);
});

test("state/load round trip reproduces identical subsequent prioritized samples", () => {
  const make = (seed: number) => {
    const store = new ReplayBuffer({ capacity: 16, obsSize: 1, nStep: 2, seed });
    return { store, per: new PrioritizedReplay(store, { alpha: 0.6, beta: 0.5 }) };
  };
  const { store: sa, per: a } = make(5);
  for (let i = 0; i < 20; i++) sa.add([i], i % 2, i, [i + 1], i % 7 === 6, false);
  const ba = a.createBatch(8);
  for (let s = 0; s < 3; s++) {
    a.sample(8, ba);
    a.updatePriorities(
      ba.indices,
      ba.rewards.map((r) => r / 3),
    );
  }
  const { store: sb, per: b } = make(77);
  b.load(roundTrip(a.state()));
  assert.equal(b.totalPriority, a.totalPriority);
  assert.equal(b.beta, 0.5);
  const bb = b.createBatch(8);
  for (let s = 0; s < 5; s++) {
    a.sample(8, ba);
    b.sample(8, bb);
    assertSameBatch(bb, ba);
    a.updatePriorities(ba.indices, ba.rewards);
    b.updatePriorities(bb.indices, bb.rewards);
    sa.add([100 + s], 0, 1, [101 + s], false, false);
    sb.add([100 + s], 0, 1, [101 + s], false, false);
  }
  const c = new PrioritizedReplay(new ReplayBuffer({ capacity: 16, obsSize: 1 }), { alpha: 0.5 });
  assert.throws(() => c.load(roundTrip(a.state())), /checkpoint has alpha 0.6, this replay has 0.5/);
  assert.throws(() => c.load(roundTrip(a.store.state())), /checkpoint kind is "vector", expected "prioritized"/);
});

test("bad inputs fail with clear errors", () => {
  const buf = filled(4);
  assert.throws(() => new PrioritizedReplay(buf, { alpha: -1 }), /alpha must be a finite number ≥ 0, got -1/);
  assert.throws(() => new PrioritizedReplay(buf, { beta: 2 }), /beta must be in \[0, 1\], got 2/);
  assert.throws(() => new PrioritizedReplay(buf, { eps: 0 }), /eps must be a finite number > 0, got 0/);
  const per = new PrioritizedReplay(buf);
  assert.throws(() => per.updatePriorities([0], [Number.NaN]), /tdErrors\[0\] is NaN; priorities must be finite/);
  assert.throws(() => per.updatePriorities([4], [1]), /indices\[0\] must be an integer in \[0, 4\), got 4/);
  assert.throws(() => per.updatePriorities([0, 1], [1], 2), /count must be an integer in \[0, 1\], got 2/);
  const batch = per.createBatch(2);
  assert.throws(() => per.sample(3, batch), /exceeds the batch object's capacity 2/);
  assert.throws(() => per.sample(2, batch, -0.1), /beta must be in \[0, 1\], got -0.1/);
  const empty = new PrioritizedReplay(new ReplayBuffer({ capacity: 4, obsSize: 1 }));
  assert.throws(() => empty.sample(1, empty.createBatch(1)), /exceeds the 0 transitions that can be sampled/);
  assert.throws(() => new SumTree(0), /capacity must be a positive integer/);
});
