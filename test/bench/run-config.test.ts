import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { assertRunMatches } from "../../bench/run-config.js";

const ran = { env: "CarRacing-v3", skippedTilePenalty: 10, agent: { seed: 1, lr: 1e-4 } };

test("assertRunMatches: a run directory of another config is refused, naming the directory and the fields", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-run-config-"));
  try {
    assertRunMatches(dir, { skippedTilePenalty: 20 }, "bench/runs/x");
    writeFileSync(join(dir, "config.json"), JSON.stringify(ran));
    assertRunMatches(dir, { skippedTilePenalty: 10, agent: { seed: 1 } }, "bench/runs/x");
    assert.throws(
      () => assertRunMatches(dir, { skippedTilePenalty: 20, agent: { seed: 1 } }, "bench/runs/x"),
      /^Error: bench\/runs\/x holds a run of another config \(skippedTilePenalty: 10 → 20\); move or delete it to train this one$/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
