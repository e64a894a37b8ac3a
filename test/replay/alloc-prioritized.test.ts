import { test } from "node:test";
import assert from "node:assert/strict";
import { PrioritizedReplay } from "../../src/replay/index.js";
import { bytesPerCall, frame, imageBuffer, LIMIT } from "./alloc-util.js";

// Known defect, tracked in the issue notes: in about half of all processes this path settles at
// 256–512 B per step (optimized code keeps boxing doubles after the priorities stop being small
// integers — --trace-deopt shows SegmentTree.set and written deoptimizing on "not a Smi"). The
// measurement still runs and reports; `todo` keeps it from failing CI until the cause is fixed.
test("prioritized: sample, updatePriorities and new transitions allocate nothing in steady state", {
  todo: "allocates 256–512 B per step in about half of all processes; cause not yet found",
}, () => {
  const img = imageBuffer();
  const per = new PrioritizedReplay(img);
  const batch = per.createBatch(32);
  const td = new Float32Array(32).fill(0.3);
  const b = bytesPerCall(() => {
    per.sample(32, batch);
    per.updatePriorities(batch.indices, td);
    img.add(1, 1, frame, false, false);
  }, 3000);
  assert.ok(b < LIMIT, `${b} bytes per call`);
});
