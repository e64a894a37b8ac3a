import assert from "node:assert/strict";
import { test } from "node:test";
import { type ImageBatch, ImageReplayBuffer } from "../../src/replay/index.js";
import { FrameStack } from "../../src/wrappers/frame-stack.js";
import { VectorEnv } from "../../src/wrappers/vector.js";
import { assertSameBatch, checkImageRow, decodeStack, encodeFrame, expected, type Rec, roundTrip, StreamEnv } from "./helpers.js";

const FS = 16; // 4×4 frames
const K = 4;

function frame(id: number, size = FS): Uint8Array {
  const f = new Uint8Array(size);
  encodeFrame(id, f, 0, size);
  return f;
}

/** Checks every valid index of a buffer against per-env histories; returns the valid count. */
function verifyAll(buf: ImageReplayBuffer, hist: Rec[][], batch: ImageBatch, what: string): number {
  const m = buf.slotsPerEnv;
  let valid = 0;
  for (let index = 0; index < buf.capacity; index++) {
    if (!buf.isValid(index)) continue;
    valid++;
    const e = Math.floor(index / m);
    const local = index - e * m;
    const added = hist[e]!.length;
    const t = added - 1 - ((added - 1 - local) % m);
    buf.fill(index, 0, batch);
    checkImageRow(batch, 0, expected(hist[e]!, t, buf.nStep, buf.gamma), buf.stack, buf.frameSize, `${what}, env ${e} transition ${t}`);
  }
  assert.equal(valid, buf.size, `${what}: isValid count vs size`);
  // The newest transition of every stream (at the write cursor) is always sampleable.
  for (let e = 0; e < hist.length; e++) {
    const n = hist[e]!.length;
    if (n > 0) assert.ok(buf.isValid(e * m + ((n - 1) % m)), `${what}: newest transition of env ${e} is valid`);
  }
  return valid;
}

/** Samples a batch and checks each row against the reference through `indices`. */
function verifySample(buf: ImageReplayBuffer, hist: Rec[][], batch: ImageBatch, rows: number, what: string): void {
  buf.sample(rows, batch);
  assert.equal(batch.size, rows);
  const m = buf.slotsPerEnv;
  for (let row = 0; row < rows; row++) {
    const index = batch.indices[row]!;
    assert.ok(buf.isValid(index), `${what}: sampled index ${index} is valid`);
    const e = Math.floor(index / m);
    const added = hist[e]!.length;
    const t = added - 1 - ((added - 1 - (index - e * m)) % m);
    checkImageRow(batch, row, expected(hist[e]!, t, buf.nStep, buf.gamma), buf.stack, buf.frameSize, `${what}: row ${row}`);
    assert.equal(batch.weights[row], 1);
  }
}

for (const feed of ["stacks", "frames"] as const) {
  test(`single env (${feed}): every sampleable stack equals the FrameStack observation, across episode starts, wrap-around and the write cursor`, () => {
    const inner = new StreamEnv(0, 3, 9);
    const env = new FrameStack(inner, K);
    const buf = new ImageReplayBuffer({ capacity: 40, frameShape: [4, 4], stack: K, nStep: 3, gamma: 0.9, seed: 5 });
    const batch = buf.createBatch(16);
    const hist: Rec[][] = [[]];
    const give = (stack: Uint8Array) => (feed === "stacks" ? stack : stack.slice((K - 1) * FS));
    let obs = env.reset().obs as Uint8Array;
    buf.addFirst(give(obs));
    let obsIds = decodeStack(obs, 0, K, FS);
    let episodes = 0;
    for (let step = 0; step < 400; step++) {
      const a = step % 4;
      const r = env.step(a);
      const next = r.obs as Uint8Array;
      const nextIds = decodeStack(next, 0, K, FS);
      buf.add(a, r.reward, give(next), r.terminated, r.truncated);
      hist[0]!.push({ obs: obsIds, next: nextIds, action: a, reward: r.reward, terminated: r.terminated, truncated: r.truncated });
      if (r.terminated || r.truncated) {
        episodes++;
        obs = env.reset().obs as Uint8Array;
        buf.addFirst(give(obs));
        obsIds = decodeStack(obs, 0, K, FS);
      } else {
        obsIds = nextIds;
      }
      const valid = verifyAll(buf, hist, batch, `step ${step}`);
      // Short episodes cost one frame each; the default extra frames keep most transitions.
      if (step >= 40) assert.ok(valid >= 30, `step ${step}: only ${valid} of 40 transitions sampleable`);
      if (step % 20 === 0 && buf.size >= 16) verifySample(buf, hist, batch, 16, `step ${step}`);
    }
    assert.ok(episodes > 40, "the stream must cross many episode boundaries");
  });
}

test("explicit boundaries: reset frame repeated, final observation as next state, overwritten frames never sampled", () => {
  // capacity 5, stack 3, one extra frame: the frame ring holds 6 frames.
  const buf = new ImageReplayBuffer({ capacity: 5, frameShape: [4, 4], stack: 3, nStep: 3, gamma: 0.5, extraFrames: 1, seed: 2 });
  const batch = buf.createBatch(8);
  const ids = (arr: Uint8Array, row: number) => decodeStack(arr, row * 3 * FS, 3, FS);
  // Episode A: a0 → a1 … a4, terminated.
  buf.addFirst(frame(100));
  for (let i = 1; i <= 4; i++) buf.add(i, i, frame(100 + i), i === 4, false);
  // All 4 transitions sampleable; A3's next state is the final frame a4, and its return stops there.
  assert.equal(buf.size, 4);
  buf.fill(3, 0, batch);
  assert.deepEqual(ids(batch.obs, 0), [101, 102, 103]);
  assert.deepEqual(ids(batch.nextObs, 0), [102, 103, 104]);
  assert.equal(batch.dones[0], 1);
  assert.equal(batch.nSteps[0], 1);
  buf.fill(0, 0, batch);
  assert.deepEqual(ids(batch.obs, 0), [100, 100, 100], "first stack repeats the reset frame");
  assert.deepEqual(ids(batch.nextObs, 0), [101, 102, 103], "3-step window: next state is 3 steps on");
  assert.equal(batch.rewards[0], 1 + 0.5 * 2 + 0.25 * 3);
  assert.equal(batch.discounts[0], 0.125);
  // Episode B: b0 → b1 → b2 truncated. Episode C: c0 → c1 (in progress). 7 transitions: slots wrap.
  buf.addFirst(frame(200));
  buf.add(0, 10, frame(201), false, false);
  buf.add(1, 20, frame(202), false, true);
  buf.addFirst(frame(300));
  buf.add(2, 30, frame(301), false, false);
  // Frames a0..a3 are overwritten: A2 (slot 2) and A3 (slot 3) are gone, B0, B1, C0 (slots 4, 0, 1) remain.
  assert.equal(buf.size, 3);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => buf.isValid(i)),
    [true, true, false, false, true],
  );
  buf.fill(4, 0, batch); // B0
  assert.deepEqual(ids(batch.obs, 0), [200, 200, 200]);
  assert.deepEqual(ids(batch.nextObs, 0), [200, 201, 202], "2-step window ends at the truncation, bootstraps from the final frame");
  assert.equal(batch.dones[0], 0);
  assert.equal(batch.nSteps[0], 2);
  assert.equal(batch.discounts[0], 0.25);
  assert.equal(batch.rewards[0], 10 + 0.5 * 20);
  buf.fill(0, 0, batch); // B1, right after wrap-around
  assert.deepEqual(ids(batch.obs, 0), [200, 200, 201]);
  assert.deepEqual(ids(batch.nextObs, 0), [200, 201, 202], "truncated: next state is b2, not the reset frame c0");
  assert.equal(batch.dones[0], 0);
  buf.fill(1, 0, batch); // C0, at the write cursor
  assert.deepEqual(ids(batch.obs, 0), [300, 300, 300]);
  assert.deepEqual(ids(batch.nextObs, 0), [300, 300, 301]);
  assert.equal(batch.nSteps[0], 1, "the newest transition's window stops at the newest step");
  for (let s = 0; s < 200; s++) {
    buf.sample(3, batch);
    for (let r = 0; r < 3; r++) assert.ok([4, 0, 1].includes(batch.indices[r]!), `sampled invalid index ${batch.indices[r]}`);
  }
});

test("a long episode with no spare frames: transitions whose oldest stack frame was overwritten are not sampleable", () => {
  const buf = new ImageReplayBuffer({ capacity: 10, frameShape: [4, 4], stack: 4, extraFrames: 0 });
  buf.addFirst(frame(0));
  for (let t = 1; t <= 30; t++) buf.add(0, 0, frame(t), false, false);
  // Frames 21..30 remain; transition t needs frames t−3..t+1, so t ≥ 24 (and t ≥ 20 by slots).
  assert.equal(buf.size, 6);
  for (let t = 20; t < 30; t++) assert.equal(buf.isValid(t % 10), t >= 24, `transition ${t}`);
});

test("numEnvs 3 through VectorEnv + FrameStack: per-env streams, final observations from infos.finalObs, n-step per env", () => {
  const n = 3;
  const venv = new VectorEnv(n, (i) => new FrameStack(new StreamEnv(i, 11, 7), K));
  const buf = new ImageReplayBuffer({ capacity: 60, numEnvs: n, frameShape: [4, 4], stack: K, nStep: 4, gamma: 0.8, seed: 9 });
  assert.equal(buf.slotsPerEnv, 20);
  const batch = buf.createBatch(32);
  const hist: Rec[][] = [[], [], []];
  const row = K * FS;
  const obs = venv.reset().obs as Uint8Array;
  buf.addFirstBatch(obs);
  const obsIds = [0, 1, 2].map((e) => decodeStack(obs, e * row, K, FS));
  const actions = new Int32Array(n);
  const nextObs = new Uint8Array(n * row);
  for (let step = 0; step < 250; step++) {
    for (let e = 0; e < n; e++) actions[e] = (step + e) % 4;
    const r = venv.step(Array.from(actions));
    nextObs.set(r.obs as Uint8Array);
    for (let e = 0; e < n; e++) {
      const f = r.infos.finalObs[e];
      if (f) nextObs.set(f as Uint8Array, e * row);
    }
    buf.addBatch(actions, r.rewards, nextObs, r.terminated, r.truncated, r.obs as Uint8Array);
    for (let e = 0; e < n; e++) {
      const nextIds = decodeStack(nextObs, e * row, K, FS);
      hist[e]!.push({ obs: obsIds[e]!, next: nextIds, action: actions[e]!, reward: r.rewards[e]!, terminated: !!r.terminated[e], truncated: !!r.truncated[e] });
      obsIds[e] = decodeStack(r.obs as Uint8Array, e * row, K, FS);
    }
    verifyAll(buf, hist, batch, `step ${step}`);
    if (step >= n * 8) verifySample(buf, hist, batch, 32, `step ${step}`);
  }
});

test("per-env add/addFirst with an env argument equals addBatch", () => {
  const a = new ImageReplayBuffer({ capacity: 12, numEnvs: 2, frameShape: [4, 4], stack: 2, seed: 4 });
  const b = new ImageReplayBuffer({ capacity: 12, numEnvs: 2, frameShape: [4, 4], stack: 2, seed: 4 });
  const two = (x: number, y: number) => {
    const f = new Uint8Array(2 * FS);
    encodeFrame(x, f, 0, FS);
    encodeFrame(y, f, FS, FS);
    return f;
  };
  a.addFirstBatch(two(1, 1001));
  b.addFirst(frame(1), 0);
  b.addFirst(frame(1001), 1);
  for (let t = 2; t < 20; t++) {
    const endB = t % 5 === 0;
    a.addBatch([0, 1], [t, -t], two(t, 1000 + t), [0, endB ? 1 : 0], [0, 0], endB ? two(0, 5000 + t) : undefined);
    b.add(0, t, frame(t), false, false, 0);
    b.add(1, -t, frame(1000 + t), endB, false, 1);
    if (endB) b.addFirst(frame(5000 + t), 1);
  }
  const ba = a.createBatch(10);
  const bb = b.createBatch(10);
  a.sample(10, ba);
  b.sample(10, bb);
  assertSameBatch(bb, ba);
});

test("addFirst without an ending marks the previous episode's last transition truncated", () => {
  const buf = new ImageReplayBuffer({ capacity: 8, frameShape: [4, 4], stack: 2, nStep: 3 });
  buf.addFirst(frame(1));
  buf.add(0, 1, frame(2), false, false);
  buf.add(0, 1, frame(3), false, false);
  buf.addFirst(frame(10)); // the caller cut the episode short
  buf.add(0, 1, frame(11), false, false);
  const batch = buf.createBatch(1);
  buf.fill(0, 0, batch);
  assert.equal(batch.nSteps[0], 2, "window stops at the cut");
  assert.equal(batch.dones[0], 0);
  assert.deepEqual(decodeStack(batch.nextObs, 0, 2, FS), [2, 3]);
});

test("memory: 1M 84×84 transitions (stack 4) cost ≤ 7.1e9 bytes, reported up front, in chunks ≤ 1 GiB", () => {
  const opts = { capacity: 1_000_000, frameShape: [84, 84], stack: 4 };
  const bytes = ImageReplayBuffer.bytesFor(opts);
  assert.ok(bytes <= 7.1e9, `bytesFor = ${bytes}`);
  assert.ok(bytes >= 1_000_000 * 84 * 84, "every transition's frame is counted");
  // Lazy: constructing allocates only the per-transition arrays, but reports the full cost.
  const buf = new ImageReplayBuffer(opts);
  assert.equal(buf.memoryBytes, bytes);
  assert.ok(buf.allocatedBytes < 30e6, `allocated ${buf.allocatedBytes}`);
  assert.ok(buf.framesPerChunk * 84 * 84 <= 2 ** 30);
  buf.addFirst(new Uint8Array(84 * 84));
  assert.ok(buf.allocatedBytes < 30e6 + 2 ** 26 + 1);
  assert.throws(
    () => ImageReplayBuffer.bytesFor({ ...opts, chunkBytes: 2 ** 30 + 1 }),
    /chunkBytes must be an integer in \[7056 \(one frame\), 1073741824 \(1 GiB\)\]/,
  );
  // A 1 GiB chunk size is accepted; eager allocation of a small buffer allocates everything.
  assert.equal(ImageReplayBuffer.bytesFor({ ...opts, chunkBytes: 2 ** 30 }), bytes);
  const eager = new ImageReplayBuffer({ capacity: 100, frameShape: [84, 84], allocate: "eager", chunkBytes: 84 * 84 * 7 });
  assert.equal(eager.allocatedBytes, eager.memoryBytes);
});

test("state/load round trip reproduces identical subsequent samples and additions", () => {
  const opts = { capacity: 30, numEnvs: 2, frameShape: [4, 4], stack: 3, nStep: 2, seed: 17, chunkBytes: FS * 8 };
  const a = new ImageReplayBuffer(opts);
  const envs = [new StreamEnv(0, 1, 6), new StreamEnv(1, 1, 6)];
  const step = (bufs: ImageReplayBuffer[], e: number) => {
    const r = envs[e]!.step(0);
    for (const b of bufs) b.add(1, r.reward, r.obs, r.terminated, r.truncated, e);
    if (r.terminated || r.truncated) {
      const o = envs[e]!.reset().obs;
      for (const b of bufs) b.addFirst(o, e);
    }
  };
  for (let e = 0; e < 2; e++) a.addFirst(envs[e]!.reset().obs, e);
  for (let i = 0; i < 47; i++) step([a], i % 2);
  const batchA = a.createBatch(12);
  a.sample(12, batchA);
  const saved = roundTrip(a.state());
  const b = new ImageReplayBuffer({ ...opts, seed: 999 });
  b.load(saved);
  assert.equal(b.size, a.size);
  const batchB = b.createBatch(12);
  for (let round = 0; round < 5; round++) {
    a.sample(12, batchA);
    b.sample(12, batchB);
    assertSameBatch(batchB, batchA);
    for (let i = 0; i < 7; i++) step([a, b], (i + round) % 2);
  }
  // A different layout is refused with a clear message.
  const c = new ImageReplayBuffer({ ...opts, stack: 4 });
  assert.throws(() => c.load(saved), /checkpoint has stack 3, this buffer has 4/);
  const missing = roundTrip(a.state());
  delete missing.arrays["rewards"];
  assert.throws(() => b.load(missing), /missing array "rewards"/);
});

test("sampling is seeded and allocation-free in its outputs (the same batch arrays are refilled)", () => {
  const make = (seed: number) => {
    const buf = new ImageReplayBuffer({ capacity: 50, frameShape: [4, 4], seed });
    buf.addFirst(frame(0));
    for (let t = 1; t <= 60; t++) {
      buf.add(t % 3, t, frame(t), t % 13 === 0, false);
      if (t % 13 === 0) buf.addFirst(frame(1000 + t));
    }
    return buf;
  };
  const a = make(1);
  const b = make(1);
  const c = make(2);
  const ba = a.createBatch(20);
  const { obs, indices } = ba;
  const bb = b.createBatch(20);
  const bc = c.createBatch(20);
  a.sample(20, ba);
  b.sample(20, bb);
  c.sample(20, bc);
  assert.deepEqual(ba.indices, bb.indices);
  assert.notDeepEqual(ba.indices, bc.indices);
  a.sample(20, ba);
  assert.equal(ba.obs, obs);
  assert.equal(ba.indices, indices);
});

test("non-word-sized frames (3×3×3) and HWC frame shapes round-trip exactly", () => {
  const size = 27;
  const buf = new ImageReplayBuffer({ capacity: 10, frameShape: [3, 3, 3], stack: 2, chunkBytes: size * 4 });
  buf.addFirst(frame(5, size));
  buf.add(0, 0, frame(6, size), false, false);
  buf.add(0, 0, frame(7, size), true, false);
  const batch = buf.createBatch(2);
  buf.fill(1, 0, batch);
  assert.deepEqual(decodeStack(batch.obs, 0, 2, size), [5, 6]);
  assert.deepEqual(decodeStack(batch.nextObs, 0, 2, size), [6, 7]);
});

test("bad inputs fail with clear errors", () => {
  const ok = { capacity: 10, frameShape: [4, 4] };
  assert.throws(() => new ImageReplayBuffer({ ...ok, capacity: 0 }), /ImageReplayBuffer: capacity must be an integer in \[1, 2147483647\], got 0/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, capacity: 2.5 }), /capacity must be an integer/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, capacity: Number.NaN }), /capacity must be an integer/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, capacity: 2, numEnvs: 3 }), /capacity must be an integer in \[3,/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, frameShape: [] }), /frameShape must be a non-empty array/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, frameShape: [4, 0] }), /frameShape\[1\] must be an integer ≥ 1, got 0/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, stack: 0 }), /stack must be an integer in \[1, 255\]/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, nStep: 0 }), /nStep must be an integer ≥ 1/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, gamma: 1.5 }), /gamma must be in \[0, 1\]/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, capacity: 2, extraFrames: 0 }), /must be ≥ stack \+ 1 = 5/);
  assert.throws(() => new ImageReplayBuffer({ ...ok, seed: -1 }), /seed must be a non-negative safe integer/);
  const buf = new ImageReplayBuffer(ok);
  assert.throws(() => buf.add(0, 0, frame(1), false, false), /no episode in progress; call addFirst/);
  assert.throws(() => buf.addFirst(new Uint8Array(15)), /frame must have 16 bytes \(4×4\) or 64 \(a stack of 4\), got 15/);
  assert.throws(() => buf.addFirst([1, 2] as unknown as Uint8Array), /must be a Uint8Array/);
  buf.addFirst(frame(1));
  assert.throws(() => buf.add(0.5, 0, frame(2), false, false), /action must be an integer, got 0.5/);
  assert.throws(() => buf.add(0, 0, frame(2), false, false, 1), /env must be an integer in \[0, 1\), got 1/);
  assert.throws(() => buf.addBatch([0, 1], [0], frame(2), [0], [0]), /actions must have length 1, got 2/);
  const batch = buf.createBatch(4);
  assert.throws(() => buf.sample(1, batch), /exceeds the 0 transitions that can be sampled/);
  buf.add(0, 0, frame(2), false, false);
  assert.throws(() => buf.sample(5, batch), /exceeds the batch object's capacity 4; create it with createBatch\(5\)/);
  assert.throws(() => buf.sample(0, batch), /batchSize must be an integer ≥ 1, got 0/);
  const two = new ImageReplayBuffer({ ...ok, numEnvs: 2 });
  assert.throws(() => two.addFirstBatch(new Uint8Array(16)), /addFirstBatch: obs must have 2×16 bytes/);
});
