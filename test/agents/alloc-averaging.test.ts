import { test } from "node:test";
import { assertNoAllocation } from "./alloc-agent.js";

test("weight averaging: act, actBatch and trainStep (with the average's update) allocate nothing per call in steady state", () => {
  assertNoAllocation({ algorithm: "dqn", double: true, network: { kind: "mlp", hidden: [16, 16], dueling: true }, weightAveragingTau: 0.01 });
});
