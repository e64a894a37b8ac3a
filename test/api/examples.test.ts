/** Every examples/*.ts runs to the end with a tiny step budget and writes what it says, so the examples cannot rot. */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../helpers/fixtures.js";
import { tmp } from "../train/helpers.js";

const expected: Record<string, string[]> = {
  "custom-env.ts": ["corridor.safetensors"],
  "cartpole.ts": ["cartpole.safetensors", "cartpole-returns.png", "cartpole.gif"],
};

test("the examples list matches the files", () => {
  assert.deepEqual(
    readdirSync(join(projectRoot, "examples"))
      .filter((f) => f.endsWith(".ts"))
      .sort(),
    Object.keys(expected).sort(),
  );
});

for (const [file, outputs] of Object.entries(expected)) {
  test(`examples/${file} runs with a tiny step budget`, () => {
    const out = tmp("deepq-example-");
    try {
      const run = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "examples", file)], {
        cwd: projectRoot,
        env: { ...process.env, DEEPQ_EXAMPLE_STEPS: "400", DEEPQ_EXAMPLE_OUT: out },
        encoding: "utf8",
      });
      assert.equal(run.status, 0, `${file} failed:\n${run.stderr}`);
      for (const f of outputs) assert.ok(existsSync(join(out, f)), `${file} did not write ${f}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
