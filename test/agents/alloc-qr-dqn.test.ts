import { test } from "node:test";
import { assertNoAllocation } from "./alloc-agent.js";

test("qr-dqn: act, actBatch and trainStep allocate nothing per call in steady state", () => {
  assertNoAllocation({ algorithm: "qr-dqn", quantiles: 8, network: { kind: "mlp", hidden: [16, 16] } });
});
