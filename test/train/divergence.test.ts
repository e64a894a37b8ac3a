/**
 * The divergence guard: a TD error or |mean Q| beyond divergenceFactor × max|r| / (1 − γ)
 * stops the run with a message naming the step, the value and the threshold (lr = 1e6
 * used to train to the end with a loss of 8e18 and exit code 0).
 */

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { TrainingDivergedError, train } from "../../src/train/trainer.js";
import { quick, tmp } from "./helpers.js";

test("an exploding loss stops the run, naming the step, the value, the threshold and the last good checkpoint", async () => {
  const dir = tmp();
  try {
    // CartPole: rewards of 1, γ 0.99, so no return exceeds 100 and the threshold is 100 × 100.
    await assert.rejects(train({ ...quick, totalSteps: 2000, agent: { ...quick.agent, lr: 1e6 } }, { runDir: dir }), (e: unknown) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.match(
        e.message,
        /^at step \d+ the TD error \(about [\d.]+e\+\d+, loss [\d.]+e\+\d+\) exceeds the divergence threshold 1\.00e\+4 = divergenceFactor 100 × max\|r\| 1 × horizon 100; no checkpoint was written yet \(try a lower lr, now 1000000, or maxGradNorm\)$/,
      );
      return true;
    });
    // Diverging after a checkpoint names it.
    const late = tmp();
    try {
      await assert.rejects(
        train({ ...quick, totalSteps: 2000, checkpointEvery: 200, agent: { ...quick.agent, lr: 1e6, learningStarts: 300 } }, { runDir: late }),
        new RegExp(
          `exceeds the divergence threshold .*; the last good checkpoint is ${join(late, "checkpoints", "last.safetensors").replace(/[/\\.]/g, "\\$&")} \\(step 200\\)`,
        ),
      );
      assert.equal(readCheckpoint(join(late, "checkpoints", "last.safetensors")).meta.progress.step, 200);
    } finally {
      rmSync(late, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("divergenceFactor is validated", async () => {
  await assert.rejects(
    train({ ...quick, divergenceFactor: 0.5 }, { runDir: "/nonexistent/never" }),
    /divergenceFactor = 0\.5 is invalid; expected a number ≥ 1 or null/,
  );
});
