import { test } from "node:test";
import { assertNoAllocation } from "./alloc-agent.js";

test("dqn (double, dueling): act, actBatch and trainStep allocate nothing per call in steady state", () => {
  assertNoAllocation({ algorithm: "dqn", double: true, network: { kind: "mlp", hidden: [16, 16], dueling: true } });
});
