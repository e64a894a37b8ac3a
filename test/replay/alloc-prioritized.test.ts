import assert from "node:assert/strict";
import { test } from "node:test";
import { PrioritizedReplay } from "../../src/replay/index.js";
import { bytesPerCall, frame, imageBuffer, LIMIT } from "./alloc-util.js";

// This path used to allocate 256–512 B per step in about half of all processes: the replay
// RNG's draws came back from a call as uint32 values, which need a heap number when the call is
// not inlined. alloc-util turns inlining off, so every process now checks that worst case.
test("prioritized: sample, updatePriorities and new transitions allocate nothing in steady state", () => {
  const img = imageBuffer();
  const per = new PrioritizedReplay(img);
  const batch = per.createBatch(32);
  const td = new Float32Array(32).fill(0.3);
  const b = bytesPerCall(() => {
    per.sample(32, batch);
    per.updatePriorities(batch.indices, td);
    img.add(1, -0.1, frame, false, false);
  }, 3000);
  assert.ok(b < LIMIT, `${b} bytes per call`);
});
