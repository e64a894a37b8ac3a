/**
 * Crash consistency with real processes: `deepq train --save-replay` is SIGKILLed at the
 * dangerous moments of its second checkpoint (the test hook DEEPQ_TEST_CRASH_AT, see
 * src/train/crash-hook.ts): halfway through the replay file, after the replay file's
 * rename (the first of the two), halfway through the manifest, and after the manifest's
 * rename. `--resume` must then end with the same weights and logs as an uninterrupted run,
 * with no leftovers. SIGTERM and SIGINT stop a run resumably with exit codes 143 and 130.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { CsvLog } from "../../src/train/files.js";
import { projectRoot } from "../helpers/fixtures.js";
import { modelBody, stripWall, tmp } from "./helpers.js";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
}

function deepq(args: string[], env: Record<string, string> = {}, onSpawn?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "src/cli/bin.ts"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, err }));
    onSpawn?.(child.pid!);
  });
}

/** 1,200 CartPole steps, a checkpoint with the replay buffer every 400: a couple of seconds. */
const trainArgs = (dir: string, steps = 1200) => [
  "train",
  "CartPole-v1",
  "--run-dir",
  dir,
  "--quiet",
  "--save-replay",
  "--steps",
  String(steps),
  "--seed",
  "7",
  "--set",
  "evalEvery=400",
  "--set",
  "evalEpisodes=2",
  "--set",
  "checkpointEvery=400",
  "--set",
  "network.hidden=[16,16]",
  "--set",
  "learningStarts=100",
  "--set",
  "bufferSize=2000",
  "--set",
  "trainFreq=4",
  "--set",
  "gradientSteps=1",
  "--set",
  "targetUpdateInterval=200",
];

/** Runs `jobs` two at a time (the machine has two cores). */
async function inPairs<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) out.push(...(await Promise.all(jobs.slice(i, i + 2).map((j) => j()))));
  return out;
}

const POINTS = ["replay-partial", "replay-written", "checkpoint-partial", "checkpoint-written"] as const;

test("SIGKILL at each dangerous point of a checkpoint: --resume ends exactly like the uninterrupted run", { timeout: 180_000 }, async () => {
  const root = tmp("deepq-crash-");
  try {
    const ref = join(root, "ref");
    const runs = await inPairs<Run>([
      () => deepq(trainArgs(ref)),
      ...POINTS.map((p) => () => deepq(trainArgs(join(root, p)), { DEEPQ_TEST_CRASH_AT: `${p}@2` })),
    ]);
    assert.equal(runs[0]!.code, 0, runs[0]!.err);
    POINTS.forEach((p, i) => assert.equal(runs[i + 1]!.signal, "SIGKILL", `${p}: ${runs[i + 1]!.err}`));
    // What each crash leaves behind.
    const ck = (p: string) => readdirSync(join(root, p, "checkpoints"));
    assert.ok(
      ck("replay-partial").some((f) => /^\.replay-.*\.tmp$/.test(f)),
      "a torn temp file of the replay",
    );
    assert.equal(ck("replay-written").filter((f) => f.startsWith("replay-")).length, 2, "the new replay beside the old one");
    assert.equal(readCheckpoint(join(root, "replay-written", "checkpoints/last.safetensors")).meta.progress.step, 400);
    assert.equal(readCheckpoint(join(root, "checkpoint-written", "checkpoints/last.safetensors")).meta.progress.step, 800);

    const resumed = await inPairs<Run>(POINTS.map((p) => () => deepq(["train", "--resume", join(root, p), "--quiet"])));
    POINTS.forEach((p, i) => {
      const dir = join(root, p);
      assert.equal(resumed[i]!.code, 0, `${p}: ${resumed[i]!.err}`);
      assert.deepEqual(modelBody(join(dir, "model.safetensors")), modelBody(join(ref, "model.safetensors")), `${p}: final weights differ`);
      for (const log of ["episodes.csv", "progress.csv"]) {
        assert.deepEqual(stripWall(CsvLog.read(join(dir, log))), stripWall(CsvLog.read(join(ref, log))), `${p}: ${log} differs`);
      }
      const { meta } = readCheckpoint(join(dir, "checkpoints/last.safetensors"));
      assert.deepEqual(ck(p).sort(), ["last.safetensors", `replay-${meta.id}.safetensors`], `${p}: leftovers`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("SIGTERM and SIGINT write a checkpoint and exit 143 and 130; --resume continues from it", { timeout: 120_000 }, async () => {
  const root = tmp("deepq-signal-");
  try {
    const stopOnce = (dir: string, signal: NodeJS.Signals) =>
      deepq(trainArgs(dir, 200_000), {}, (pid) => {
        // Stop once the run is properly under way (its first episodes are logged).
        const timer = setInterval(() => {
          if (existsSync(join(dir, "episodes.csv")) && CsvLog.rowCount(join(dir, "episodes.csv")) > 5) {
            clearInterval(timer);
            process.kill(pid, signal);
          }
        }, 50);
      });
    const [term, int] = await Promise.all([stopOnce(join(root, "term"), "SIGTERM"), stopOnce(join(root, "int"), "SIGINT")]);
    assert.equal(term.code, 143, term.err);
    assert.equal(int.code, 130, int.err);
    assert.match(term.err, /SIGTERM: writing a checkpoint, then stopping[\s\S]*interrupted at step \d+[\s\S]*continue with: deepq train --resume/);
    const at = readCheckpoint(join(root, "term", "checkpoints/last.safetensors")).meta.progress.step;
    assert.ok(at > 0 && at < 200_000);
    const again = await deepq(["train", "--resume", join(root, "term"), "--quiet", "--steps", String(at + 400)]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, new RegExp(`resuming at step ${at}:`));
    assert.equal(readCheckpoint(join(root, "term", "checkpoints/last.safetensors")).meta.progress.step, at + 400);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
