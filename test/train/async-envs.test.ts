import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import type { TrainConfig } from "../../src/train/config.js";
import { CsvLog } from "../../src/train/files.js";
import { readCheckpoint } from "../../src/train/model-file.js";
import { type TrainEvent, train } from "../../src/train/trainer.js";
import { modelBody, quick, stripWall, tmp as tmpDir } from "./helpers.js";

const tmp = () => tmpDir("deepq-async-");
const asyncRun: Partial<TrainConfig> & { env: string } = { ...quick, asyncEnvs: true, agent: { ...quick.agent, numEnvs: 2 } };

function sameRun(a: string, b: string): void {
  assert.deepEqual(stripWall(CsvLog.read(join(b, "episodes.csv"))), stripWall(CsvLog.read(join(a, "episodes.csv"))));
  assert.deepEqual(stripWall(CsvLog.read(join(b, "progress.csv"))), stripWall(CsvLog.read(join(a, "progress.csv"))));
  assert.deepEqual(modelBody(join(b, "model.safetensors")), modelBody(join(a, "model.safetensors")));
}

test("asyncEnvs: envs stepped in a worker thread give the same run as the same schedule stepped in this thread", async () => {
  const worker = tmp();
  const inThread = tmp();
  try {
    const warnings: string[] = [];
    await train(asyncRun, { runDir: worker, onEvent: (e: TrainEvent) => e.kind === "warning" && warnings.push(e.message) });
    assert.deepEqual(warnings, [], "the worker was used");
    // Recording videos keeps the envs in this thread (with the same schedule).
    await train({ ...asyncRun, video: { every: 1_000_000, stride: 50 } }, { runDir: inThread });
    sameRun(worker, inThread);
  } finally {
    rmSync(worker, { recursive: true, force: true });
    rmSync(inThread, { recursive: true, force: true });
  }
});

test("asyncEnvs: an interrupted and resumed run equals the uninterrupted run (in-flight actions replayed in the worker)", async () => {
  const a = tmp();
  const b = tmp();
  try {
    await train(asyncRun, { runDir: a });
    const stop = new AbortController();
    const res = await train(asyncRun, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 1500 && stop.abort() });
    assert.equal(res.reason, "interrupted");
    const mid = readCheckpoint(join(b, "checkpoints/last.safetensors")).meta.progress;
    assert.ok(
      mid.inFlightActions.some((log) => log.length > 0),
      "the checkpoint has unfinished episodes to replay",
    );
    await train({ env: "CartPole-v1" }, { runDir: b, resume: true });
    sameRun(a, b);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("asyncEnvs must be a boolean", async () => {
  const dir = tmp();
  try {
    await assert.rejects(train({ ...quick, asyncEnvs: "yes" as unknown as boolean }, { runDir: dir }), /asyncEnvs must be true or false, got "yes"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
