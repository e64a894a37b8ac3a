import { test } from "node:test";
import { assertNoAllocation } from "./alloc-agent.js";

test("iqn (noisy): act, actBatch and trainStep allocate nothing per call in steady state", () => {
  assertNoAllocation({ algorithm: "iqn", noisy: true, network: { kind: "mlp", hidden: [16] } });
});
