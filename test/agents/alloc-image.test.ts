import { test } from "node:test";
import { assertNoAllocation } from "./alloc-agent.js";

test("c51 on uint8 frames (small-cnn): act, actBatch and trainStep allocate nothing per call in steady state", () => {
  assertNoAllocation({ algorithm: "c51", atoms: 11, network: { kind: "small-cnn" } }, "image");
});
