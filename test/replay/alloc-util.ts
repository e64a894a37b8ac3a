/**
 * Measuring allocation per call on the replay hot paths. Each measured path gets a test file of
 * its own: type feedback left by another test's calls can keep a shared call site unoptimized.
 *
 * Importing this module turns off the optimizer's inlining for the process. Whether V8 inlines a
 * call depends on compile timing, and a call that is not inlined boxes every double (and every
 * integer outside the 31-bit small-integer range) it takes or returns in a fresh heap number: a
 * path that allocates only when a call is not inlined passed in some processes and failed in
 * others. Without inlining, every process measures that worst case.
 */
import assert from "node:assert/strict";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

setFlagsFromString("--no-turbo-inlining");

import { ImageReplayBuffer } from "../../src/replay/index.js";

// Any real allocation costs ≥ 16 bytes (a heap number); the bound leaves room for noise.
export const LIMIT = 2;

function newSpaceUsed(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === "new_space") return s.space_used_size;
  throw new Error("no new_space in v8 heap statistics");
}

/** How long trials go on while every one so far allocated: the optimizing compiler's background thread can be starved that long on a loaded machine. */
const PATIENCE_MS = 10_000;

/**
 * Bytes `op` allocates per call once warm: the growth of V8's young generation over
 * `calls` calls (a synchronous loop, so nothing else runs). A real per-call allocation
 * shows in every trial, so the smallest of the trials is taken: it ignores trials run
 * before the optimizing compiler finished (unoptimized code boxes numbers) and trials in
 * which a scavenge emptied the young generation (their growth is negative and is not
 * counted). On a loaded machine the optimized code can land seconds late (CI once measured
 * 15 bytes a call over all 8 trials), so trials continue, up to PATIENCE_MS, until one is
 * under `limit`; a path that really allocates fails after that time.
 */
export function bytesPerCall(op: () => void, calls: number, limit = LIMIT): number {
  for (let i = 0; i < 3 * calls; i++) op();
  let least = Number.POSITIVE_INFINITY;
  const deadline = Date.now() + PATIENCE_MS;
  for (let trial = 0; trial < 8 || (least >= limit && Date.now() < deadline); trial++) {
    const before = newSpaceUsed();
    for (let i = 0; i < calls; i++) op();
    const grown = newSpaceUsed() - before;
    if (grown >= 0) least = Math.min(least, grown / calls);
  }
  assert.ok(Number.isFinite(least), "every trial saw a scavenge; no measurement");
  return least;
}

export const stack = new Uint8Array(8 * 8 * 4);
export const frame = new Uint8Array(8 * 8);

export function imageBuffer(): ImageReplayBuffer {
  const b = new ImageReplayBuffer({ capacity: 2000, frameShape: [8, 8], stack: 4, nStep: 3, seed: 1 });
  b.addFirst(stack);
  for (let i = 0; i < 3000; i++) {
    b.add(i % 4, 1, stack, false, i % 97 === 96);
    if (i % 97 === 96) b.addFirst(frame);
  }
  return b;
}
