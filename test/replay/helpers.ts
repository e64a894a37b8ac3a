/** Deterministic envs and a brute-force reference model for the replay tests. */
import assert from "node:assert/strict";
import type { Env, EnvMetadata, ResetResult, StepResult } from "../../src/envs/core.js";
import { Box, Discrete } from "../../src/envs/spaces.js";
import type { ReplayBatch, ReplayState } from "../../src/replay/index.js";

/** A tiny LCG, so the tests need no other source of randomness. */
export class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761 + 12345) >>> 0;
  }
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Writes frame `id` into `dst` at `off`: 3 id bytes, then a pattern that depends on id and position. */
export function encodeFrame(id: number, dst: Uint8Array, off: number, frameSize: number): void {
  dst[off] = id & 255;
  dst[off + 1] = (id >>> 8) & 255;
  dst[off + 2] = (id >>> 16) & 255;
  for (let i = 3; i < frameSize; i++) dst[off + i] = (id * 7 + i * 13) & 255;
}

/** The id of the frame at `off`, or -1 if its bytes are not a valid encoding. */
export function decodeFrame(src: Uint8Array, off: number, frameSize: number): number {
  const id = src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16);
  for (let i = 3; i < frameSize; i++) if (src[off + i] !== ((id * 7 + i * 13) & 255)) return -1;
  return id;
}

/** Frame ids of a [k × frame] stack starting at `off`. */
export function decodeStack(src: Uint8Array, off: number, k: number, frameSize: number): number[] {
  const ids: number[] = [];
  for (let j = 0; j < k; j++) ids.push(decodeFrame(src, off + j * frameSize, frameSize));
  return ids;
}

/**
 * Episodes of random length 1..maxLen ending by termination or truncation at random; every
 * frame (reset and step) has a unique id (env index in the high bits). Reward of a step is
 * a function of the new frame's id. The observation buffer is reused, as real envs do.
 */
export class StreamEnv implements Env<Uint8Array, number> {
  readonly observationSpace: Box<Uint8Array>;
  readonly actionSpace = new Discrete(4);
  readonly metadata: EnvMetadata = { renderFps: 30 };
  readonly frameSize: number;
  private readonly rng: Lcg;
  private readonly obs: Uint8Array;
  private nextId: number;
  private t = 0;
  private length = 0;
  private endTerminated = false;

  constructor(
    readonly envIndex: number,
    seed: number,
    readonly maxLen = 12,
    shape: readonly number[] = [4, 4],
  ) {
    this.observationSpace = new Box<Uint8Array>(0, 255, shape, "uint8");
    this.frameSize = shape.reduce((a, b) => a * b, 1);
    this.obs = new Uint8Array(this.frameSize);
    this.rng = new Lcg(seed * 31 + envIndex);
    this.nextId = envIndex * 100000 + 1;
  }

  static reward(id: number): number {
    return ((id * 37) % 11) - 5 + 0.25;
  }

  private frame(): Uint8Array {
    encodeFrame(this.nextId++, this.obs, 0, this.frameSize);
    return this.obs;
  }

  reset(): ResetResult<Uint8Array> {
    this.t = 0;
    this.length = 1 + this.rng.int(this.maxLen);
    this.endTerminated = this.rng.next() < 0.5;
    return { obs: this.frame(), info: {} };
  }

  step(_action: number): StepResult<Uint8Array> {
    this.t++;
    const obs = this.frame();
    const over = this.t >= this.length;
    return { obs, reward: StreamEnv.reward(this.nextId - 1), terminated: over && this.endTerminated, truncated: over && !this.endTerminated, info: {} };
  }

  render() {
    return { width: 1, height: 1, data: new Uint8Array(3) };
  }

  close(): void {}
}

/** One transition as the agent saw it. */
export interface Rec {
  obs: number[];
  next: number[];
  action: number;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/** What a batch row must hold for transition `t` of `history` (n-step window as documented). */
export function expected(history: readonly Rec[], t: number, nStep: number, gamma: number) {
  const newest = history.length - 1;
  let ret = 0;
  let discount = 1;
  let last = t;
  let steps = 0;
  for (;;) {
    last = t + steps;
    ret += discount * history[last]!.reward;
    discount *= gamma;
    steps++;
    if (history[last]!.terminated || history[last]!.truncated || steps >= nStep || last === newest) break;
  }
  const r = history[t]!;
  return { obs: r.obs, next: history[last]!.next, action: r.action, ret, discount, done: history[last]!.terminated ? 1 : 0, steps };
}

/** Asserts row `row` of an image batch against the reference. */
export function checkImageRow(batch: ReplayBatch<Uint8Array>, row: number, exp: ReturnType<typeof expected>, k: number, frameSize: number, what: string): void {
  const off = row * k * frameSize;
  assert.deepEqual(decodeStack(batch.obs, off, k, frameSize), exp.obs, `${what}: obs stack`);
  assert.deepEqual(decodeStack(batch.nextObs, off, k, frameSize), exp.next, `${what}: nextObs stack`);
  assert.equal(batch.actions[row], exp.action, `${what}: action`);
  assert.ok(Math.abs(batch.rewards[row]! - exp.ret) < 1e-4, `${what}: reward ${batch.rewards[row]} vs ${exp.ret}`);
  assert.ok(Math.abs(batch.discounts[row]! - exp.discount) < 1e-6, `${what}: discount ${batch.discounts[row]} vs ${exp.discount}`);
  assert.equal(batch.dones[row], exp.done, `${what}: done`);
  assert.equal(batch.nSteps[row], exp.steps, `${what}: nSteps`);
}

/** What a safetensors save/load does to a replay state: JSON header, copied arrays. */
export function roundTrip(st: ReplayState): ReplayState {
  const arrays: ReplayState["arrays"] = {};
  for (const [k, a] of Object.entries(st.arrays)) arrays[k] = a.slice();
  return { header: JSON.parse(JSON.stringify(st.header)), arrays };
}

/** Two batches drew the same transitions: every column equal. */
export function assertSameBatch(actual: ReplayBatch<Float32Array | Uint8Array>, expected: ReplayBatch<Float32Array | Uint8Array>): void {
  assert.equal(actual.size, expected.size);
  for (const column of ["indices", "obs", "nextObs", "actions", "rewards", "dones", "discounts", "nSteps", "weights"] as const) {
    assert.deepEqual(actual[column], expected[column], column);
  }
}
