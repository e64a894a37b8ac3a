import assert from "node:assert/strict";
import { test } from "node:test";
import type { StepResult } from "../../src/envs/core.js";
import { findSkippableObservation, type SkippableObservation } from "../../src/wrappers/frame-skip.js";
import { Crop, FrameSkip, NoopReset, RecordEpisodeStatistics, TimeLimit } from "../../src/wrappers/index.js";
import { CounterEnv, type CounterEnvOptions } from "./fake-envs.js";

/** CounterEnv that honours skipObservation(): a skipped step leaves the buffer as it was. */
class SkippingCounterEnv extends CounterEnv implements SkippableObservation {
  /** Per step: whether it was skipped (and not completed afterwards). */
  readonly skipped: boolean[] = [];
  completions = 0;
  private skipNext = false;
  private pending = false;
  private last: Uint8Array | undefined;

  constructor(options: CounterEnvOptions = {}) {
    super(options);
  }

  skipObservation(): void {
    this.skipNext = true;
  }

  completeObservation(): void {
    if (!this.pending) return;
    this.pending = false;
    this.completions++;
    this.skipped[this.skipped.length - 1] = false;
    // Draw the current step's frame into the buffer, as the step would have.
    (this as unknown as { fill(): Uint8Array }).fill();
  }

  override step(action: number): StepResult<Uint8Array> {
    const before = this.last?.slice();
    const r = super.step(action);
    this.last = r.obs;
    this.skipped.push(this.skipNext);
    this.pending = this.skipNext;
    if (this.skipNext && before !== undefined) r.obs.set(before);
    this.skipNext = false;
    return r;
  }
}

test("FrameSkip skips the repeated steps' observations when the env supports it, through pass-through wrappers", () => {
  const inner = new SkippingCounterEnv({ length: 100 });
  const env = new FrameSkip(new RecordEpisodeStatistics(new TimeLimit(inner, 1000)), 4);
  assert.equal(env.skipsObservations, true);
  env.reset();
  inner.step(0); // gives the stale-buffer logic a previous frame
  inner.skipped.length = 0;
  const r = env.step(2);
  assert.deepEqual(inner.skipped, [true, true, true, false]);
  assert.equal(r.obs[0], 5, "observation of the last inner step");
  assert.equal(r.reward, 2 + 3 + 4 + 5);
  assert.equal(inner.completions, 0);
});

test("FrameSkip completes a skipped observation when the episode ends on it", () => {
  // Truncated by TimeLimit on the second inner step (6 = 4 + 2).
  const inner = new SkippingCounterEnv({ length: 100 });
  const env = new FrameSkip(new TimeLimit(inner, 6), 4);
  env.reset();
  env.step(1);
  const r = env.step(1);
  assert.ok(r.truncated);
  assert.equal(inner.t, 6);
  assert.equal(r.obs[0], 6, "the truncating step's observation");
  assert.equal(inner.completions, 1);
  assert.deepEqual(inner.skipped, [true, true, true, false, true, false]);
  // Terminated by the env on the first inner step.
  const ends = new SkippingCounterEnv({ length: 5 });
  const e2 = new FrameSkip(ends, 4);
  e2.reset();
  e2.step(0);
  const r2 = e2.step(0);
  assert.ok(r2.terminated);
  assert.equal(r2.obs[0], 5);
  assert.equal(r2.reward, 5);
  assert.equal(ends.completions, 1);
});

test("FrameSkip does not skip through observation-changing wrappers, without support, or when told not to", () => {
  const viaCrop = new FrameSkip(new Crop(new SkippingCounterEnv({ height: 6, width: 5 }), { rows: [0, 2], cols: [0, 2] }), 4);
  assert.equal(viaCrop.skipsObservations, false);
  assert.equal(new FrameSkip(new CounterEnv(), 4).skipsObservations, false);
  assert.equal(new FrameSkip(new SkippingCounterEnv(), 4, { skipObservations: false }).skipsObservations, false);
  assert.equal(new FrameSkip(new SkippingCounterEnv(), 1).skipsObservations, false);
  const noop = new NoopReset(new SkippingCounterEnv(), { noops: 2 });
  assert.ok(findSkippableObservation(noop) !== null);
  // Results are the same either way.
  const a = new FrameSkip(new TimeLimit(new SkippingCounterEnv({ length: 100 }), 23), 4);
  const b = new FrameSkip(new TimeLimit(new SkippingCounterEnv({ length: 100 }), 23), 4, { skipObservations: false });
  a.reset();
  b.reset();
  for (let k = 0; k < 6; k++) {
    const ra = a.step(k % 3);
    const rb = b.step(k % 3);
    assert.deepEqual(ra.obs, rb.obs);
    assert.deepEqual([ra.reward, ra.terminated, ra.truncated, ra.info], [rb.reward, rb.terminated, rb.truncated, rb.info]);
  }
});

test("NoopReset skips all but the last no-op's observation; the reset observation is unchanged", () => {
  const inner = new SkippingCounterEnv({ length: 100 });
  const fast = new NoopReset(new TimeLimit(inner, 1000), { noops: 5 });
  const slow = new NoopReset(new TimeLimit(new CounterEnv({ length: 100 }), 1000), { noops: 5, skipObservations: false });
  const a = fast.reset().obs.slice();
  const b = slow.reset().obs.slice();
  assert.deepEqual(inner.skipped, [true, true, true, true, false]);
  assert.deepEqual(a, b);
  // An episode that ends during the no-ops is reset; its skipped frames never surface.
  const short = new SkippingCounterEnv({ length: 3 });
  const r = new NoopReset(short, { noops: 5 }).reset();
  assert.equal(r.obs[0], 2, "t = 2 after the re-reset and the two remaining no-ops");
});

test("FrameSkip reports the step rate as its render fps", () => {
  const env = new FrameSkip(new CounterEnv(), 4);
  assert.equal(env.metadata.renderFps, 30 / 4);
});
