import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplayBuffer, type VectorBatch } from "../../src/replay/index.js";
import { assertSameBatch, expected, Lcg, type Rec, roundTrip } from "./helpers.js";

const D = 3; // obs = [id, env, id * 0.5]

function obsOf(id: number, env: number, dst: Float32Array, off: number): void {
  dst[off] = id;
  dst[off + 1] = env;
  dst[off + 2] = id * 0.5;
}

/**
 * N vector env streams with random episode lengths, ends by termination or truncation,
 * fed through addBatch exactly as the trainer does (nextObs = final observation for
 * ended envs); keeps the per-env reference histories.
 */
class Streams {
  readonly hist: Rec[][];
  private readonly rng: Lcg;
  private readonly ids: number[];
  private readonly t: number[];
  private readonly len: number[];
  private readonly obs: Float32Array;
  private readonly next: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float64Array;
  private readonly term: Uint8Array;
  private readonly trunc: Uint8Array;
  private counter = 1;

  constructor(
    readonly n: number,
    seed: number,
    readonly maxLen = 8,
  ) {
    this.rng = new Lcg(seed);
    this.hist = Array.from({ length: n }, () => []);
    this.ids = Array.from({ length: n }, () => this.counter++);
    this.t = new Array<number>(n).fill(0);
    this.len = Array.from({ length: n }, () => 1 + this.rng.int(maxLen));
    this.obs = new Float32Array(n * D);
    this.next = new Float32Array(n * D);
    this.actions = new Int32Array(n);
    this.rewards = new Float64Array(n);
    this.term = new Uint8Array(n);
    this.trunc = new Uint8Array(n);
  }

  step(buf: ReplayBuffer): void {
    const n = this.n;
    for (let e = 0; e < n; e++) {
      obsOf(this.ids[e]!, e, this.obs, e * D);
      const nextId = this.counter++;
      obsOf(nextId, e, this.next, e * D);
      this.actions[e] = this.rng.int(5);
      this.rewards[e] = Math.round((this.rng.next() * 4 - 2) * 8) / 8;
      this.t[e]!++;
      const over = this.t[e]! >= this.len[e]!;
      const kind = this.rng.next() < 0.5;
      this.term[e] = over && kind ? 1 : 0;
      this.trunc[e] = over && !kind ? 1 : 0;
      this.hist[e]!.push({
        obs: [this.ids[e]!],
        next: [nextId],
        action: this.actions[e]!,
        reward: this.rewards[e]!,
        terminated: this.term[e] === 1,
        truncated: this.trunc[e] === 1,
      });
      if (over) {
        this.ids[e] = this.counter++; // the auto-reset observation, never stored as a next state
        this.t[e] = 0;
        this.len[e] = 1 + this.rng.int(this.maxLen);
      } else {
        this.ids[e] = nextId;
      }
    }
    if (n === 1) {
      buf.add(this.obs, this.actions[0]!, this.rewards[0]!, this.next, this.term[0] === 1, this.trunc[0] === 1);
    } else {
      buf.addBatch(this.obs, this.actions, this.rewards, this.next, this.term, this.trunc);
    }
  }
}

function checkRow(batch: VectorBatch, row: number, exp: ReturnType<typeof expected>, env: number, what: string): void {
  assert.equal(batch.obs[row * D], exp.obs[0], `${what}: obs id`);
  assert.equal(batch.obs[row * D + 1], env, `${what}: obs env`);
  assert.equal(batch.obs[row * D + 2], exp.obs[0]! * 0.5, `${what}: obs[2]`);
  assert.equal(batch.nextObs[row * D], exp.next[0], `${what}: nextObs id`);
  assert.equal(batch.nextObs[row * D + 1], env, `${what}: nextObs env`);
  assert.equal(batch.actions[row], exp.action, `${what}: action`);
  assert.ok(Math.abs(batch.rewards[row]! - exp.ret) < 1e-5, `${what}: reward ${batch.rewards[row]} vs ${exp.ret}`);
  assert.ok(Math.abs(batch.discounts[row]! - exp.discount) < 1e-6, `${what}: discount`);
  assert.equal(batch.dones[row], exp.done, `${what}: done`);
  assert.equal(batch.nSteps[row], exp.steps, `${what}: nSteps`);
}

/** Checks every stored index against the reference; slot = position·N + env. */
function verifyAll(buf: ReplayBuffer, s: Streams, batch: VectorBatch, what: string): void {
  const n = buf.numEnvs;
  const positions = buf.capacity / n;
  const added = s.hist[0]!.length;
  let valid = 0;
  for (let index = 0; index < buf.capacity; index++) {
    const p = Math.floor(index / n);
    const e = index - p * n;
    assert.equal(buf.isValid(index), p < added, `${what}: isValid(${index})`);
    if (p >= added) continue;
    valid++;
    const t = added - 1 - ((added - 1 - p) % positions);
    buf.fill(index, 0, batch);
    checkRow(batch, 0, expected(s.hist[e]!, t, buf.nStep, buf.gamma), e, `${what}: env ${e} t ${t}`);
  }
  assert.equal(buf.size, valid);
}

test("wrap-around: the ring keeps the newest capacity transitions", () => {
  const buf = new ReplayBuffer({ capacity: 5, obsSize: D, seed: 1 });
  const s = new Streams(1, 1, 100);
  const batch = buf.createBatch(5);
  for (let i = 0; i < 12; i++) {
    s.step(buf);
    assert.equal(buf.size, Math.min(i + 1, 5));
    verifyAll(buf, s, batch, `add ${i}`);
  }
  // The stored ids are exactly the last 5 observations.
  const stored = [0, 1, 2, 3, 4]
    .map((i) => {
      buf.fill(i, 0, batch);
      return batch.obs[0]!;
    })
    .sort((a, b) => a - b);
  assert.deepEqual(
    stored,
    s.hist[0]!.slice(-5).map((r) => r.obs[0]!),
  );
});

test("terminated vs truncated: only termination stops bootstrapping; truncation keeps the final observation", () => {
  const buf = new ReplayBuffer({ capacity: 10, obsSize: 2 });
  buf.add([1, 1], 0, 1, [2, 2], true, false); // terminated
  buf.add([3, 3], 1, 1, [4, 4], false, true); // truncated at a time limit
  buf.add([5, 5], 2, 1, [6, 6], false, false);
  const batch = buf.createBatch(3);
  for (let i = 0; i < 3; i++) buf.fill(i, i, batch);
  assert.deepEqual(Array.from(batch.dones), [1, 0, 0]);
  assert.deepEqual(Array.from(batch.nextObs), [2, 2, 4, 4, 6, 6]);
  assert.deepEqual(Array.from(batch.discounts), [0.99, 0.99, 0.99].map(Math.fround));
  const st = buf.state();
  assert.deepEqual(Array.from(st.arrays["terminated"]!.slice(0, 3)), [1, 0, 0]);
  assert.deepEqual(Array.from(st.arrays["truncated"]!.slice(0, 3)), [0, 1, 0]);
});

test("n-step returns at termination, truncation and the newest step (one env, with wrap-around)", () => {
  for (const nStep of [1, 3, 5]) {
    const buf = new ReplayBuffer({ capacity: 17, obsSize: D, nStep, gamma: 0.9, seed: 3 });
    const s = new Streams(1, 7 + nStep);
    const batch = buf.createBatch(8);
    for (let i = 0; i < 80; i++) {
      s.step(buf);
      verifyAll(buf, s, batch, `nStep ${nStep}, add ${i}`);
    }
  }
});

test("n-step hand-computed: terminated stops with no bootstrap, truncated bootstraps from the final obs with γ^k", () => {
  const g = 0.5;
  const buf = new ReplayBuffer({ capacity: 10, obsSize: 1, nStep: 3, gamma: g });
  // Episode 1: r = 1, 2 then terminated (3 steps ≥ window for t = 0).
  buf.add([10], 0, 1, [11], false, false);
  buf.add([11], 0, 2, [12], false, false);
  buf.add([12], 0, 4, [13], true, false);
  // Episode 2: r = 8, then truncated after 2 steps.
  buf.add([20], 0, 8, [21], false, false);
  buf.add([21], 0, 16, [22], false, true);
  buf.add([30], 0, 1, [31], false, false);
  const b = buf.createBatch(6);
  for (let i = 0; i < 6; i++) buf.fill(i, i, b);
  assert.deepEqual(Array.from(b.rewards), [1 + g * 2 + g * g * 4, 2 + g * 4, 4, 8 + g * 16, 16, 1]);
  assert.deepEqual(Array.from(b.dones), [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(b.nextObs), [13, 13, 13, 22, 22, 31]);
  assert.deepEqual(Array.from(b.nSteps), [3, 2, 1, 2, 1, 1]);
  assert.deepEqual(Array.from(b.discounts), [g ** 3, g ** 2, g, g ** 2, g, g]);
});

test("numEnvs 4: per-env n-step windows never mix envs, through wrap-around", () => {
  const buf = new ReplayBuffer({ capacity: 42, obsSize: D, numEnvs: 4, nStep: 4, gamma: 0.8, seed: 5 });
  assert.equal(buf.capacity, 40, "rounded down to a multiple of numEnvs");
  const s = new Streams(4, 21, 6);
  const batch = buf.createBatch(16);
  for (let i = 0; i < 40; i++) {
    s.step(buf);
    verifyAll(buf, s, batch, `step ${i}`);
  }
  // Sampled rows agree with the reference too.
  buf.sample(16, batch);
  for (let row = 0; row < 16; row++) {
    const index = batch.indices[row]!;
    const p = Math.floor(index / 4);
    const e = index % 4;
    const added = s.hist[e]!.length;
    const t = added - 1 - ((added - 1 - p) % 10);
    checkRow(batch, row, expected(s.hist[e]!, t, 4, 0.8), e, `row ${row}`);
    assert.equal(batch.weights[row], 1);
  }
});

test("sampling is seeded, uniform over stored transitions, and refills the same batch arrays", () => {
  const make = (seed: number) => {
    const buf = new ReplayBuffer({ capacity: 20, obsSize: D, seed });
    const s = new Streams(1, 2);
    for (let i = 0; i < 10; i++) s.step(buf);
    return buf;
  };
  const a = make(4);
  const b = make(4);
  const c = make(5);
  const ba = a.createBatch(10);
  const bb = b.createBatch(10);
  const bc = c.createBatch(10);
  const arrays = [ba.obs, ba.nextObs, ba.actions, ba.rewards, ba.indices, ba.weights];
  a.sample(10, ba);
  b.sample(10, bb);
  c.sample(10, bc);
  assert.deepEqual(ba.indices, bb.indices);
  assert.notDeepEqual(ba.indices, bc.indices);
  assert.deepEqual([ba.obs, ba.nextObs, ba.actions, ba.rewards, ba.indices, ba.weights], arrays);
  const counts = new Array<number>(20).fill(0);
  for (let i = 0; i < 2000; i++) {
    a.sample(10, ba);
    for (let r = 0; r < 10; r++) counts[ba.indices[r]!]!++;
  }
  for (let i = 10; i < 20; i++) assert.equal(counts[i], 0, "never samples unwritten slots");
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(counts[i]! - 2000) < 250, `slot ${i} drawn ${counts[i]} times of ~2000`);
});

test("memory cost: bytesFor equals memoryBytes, before allocating", () => {
  const opts = { capacity: 1001, obsSize: 8, numEnvs: 2, rewardDtype: "float64" as const };
  const bytes = ReplayBuffer.bytesFor(opts);
  assert.equal(bytes, 1000 * (2 * 4 * 8 + 4 + 8 + 2));
  const buf = new ReplayBuffer(opts);
  assert.equal(buf.memoryBytes, bytes);
});

test("state/load round trip reproduces identical subsequent samples", () => {
  const opts = { capacity: 30, obsSize: D, numEnvs: 3, nStep: 3, gamma: 0.9, seed: 8 };
  const a = new ReplayBuffer(opts);
  const s = new Streams(3, 4);
  for (let i = 0; i < 14; i++) s.step(a); // wrapped: 42 > 30
  const ba = a.createBatch(16);
  a.sample(16, ba);
  const b = new ReplayBuffer({ ...opts, seed: 1234 });
  b.load(roundTrip(a.state()));
  assert.equal(b.size, a.size);
  const bb = b.createBatch(16);
  for (let round = 0; round < 4; round++) {
    a.sample(16, ba);
    b.sample(16, bb);
    assertSameBatch(bb, ba);
  }
  const other = new ReplayBuffer({ ...opts, obsSize: 4 });
  assert.throws(() => other.load(roundTrip(a.state())), /checkpoint has obsSize 3, this buffer has 4/);
  const bad = roundTrip(a.state());
  bad.arrays["obs"] = new Float64Array(bad.arrays["obs"]!.length);
  assert.throws(() => b.load(bad), /array "obs" must be Float32Array\[90\], got Float64Array\[90\]/);
});

test("bad inputs fail with clear errors", () => {
  assert.throws(() => new ReplayBuffer({ capacity: 0, obsSize: 4 }), /ReplayBuffer: capacity must be an integer ≥ 1, got 0/);
  assert.throws(() => new ReplayBuffer({ capacity: 1.5, obsSize: 4 }), /capacity must be an integer ≥ 1, got 1.5/);
  assert.throws(() => new ReplayBuffer({ capacity: Number.NaN, obsSize: 4 }), /capacity must be an integer/);
  assert.throws(() => new ReplayBuffer({ capacity: 3, obsSize: 4, numEnvs: 4 }), /capacity must be an integer ≥ 4, got 3/);
  assert.throws(() => new ReplayBuffer({ capacity: 3, obsSize: 0 }), /obsSize must be an integer ≥ 1, got 0/);
  assert.throws(() => new ReplayBuffer({ capacity: 3, obsSize: 1, nStep: 0 }), /nStep must be an integer ≥ 1/);
  assert.throws(() => new ReplayBuffer({ capacity: 3, obsSize: 1, gamma: -0.1 }), /gamma must be in \[0, 1\]/);
  assert.throws(() => new ReplayBuffer({ capacity: 3, obsSize: 1, seed: 0.5 }), /seed must be a non-negative safe integer/);
  assert.throws(() => ReplayBuffer.bytesFor({ capacity: -1, obsSize: 1 }), /capacity must be an integer/);
  const buf = new ReplayBuffer({ capacity: 4, obsSize: 3 });
  assert.throws(() => buf.add([1, 2], 0, 0, [1, 2, 3], false, false), /ReplayBuffer.add: obs must have length 3, got 2/);
  assert.throws(() => buf.add([1, 2, 3], 0, 0, [1, 2, 3, 4], false, false), /nextObs must have length 3, got 4/);
  assert.throws(() => buf.add([1, 2, 3], 1.5, 0, [1, 2, 3], false, false), /discrete action must be an integer, got 1.5/);
  assert.throws(() => buf.add([1, 2, 3], [1] as never, 0, [1, 2, 3], false, false), /discrete action must be an integer, got \[1\]/);
  assert.equal(buf.size, 0, "a rejected add stores nothing");
  const multi = new ReplayBuffer({ capacity: 4, obsSize: 1, numEnvs: 2 });
  assert.throws(() => multi.add([1], 0, 0, [1], false, false), /numEnvs 2; use addBatch/);
  assert.throws(() => multi.addBatch([1, 2], [0, 0], [0, 0], [1], [0, 0], [0, 0]), /addBatch: nextObs must have length 2, got 1/);
  const batch = buf.createBatch(2);
  assert.throws(() => buf.sample(1, batch), /exceeds the 0 transitions that can be sampled/);
  buf.add([1, 2, 3], 0, 0, [1, 2, 3], false, false);
  assert.throws(() => buf.sample(3, batch), /exceeds the batch object's capacity 2/);
  assert.throws(() => buf.createBatch(0), /createBatch: capacity must be an integer ≥ 1, got 0/);
});
