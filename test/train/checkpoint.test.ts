/**
 * The checkpoint unit: a manifest (last.safetensors) written last, naming a replay file
 * with the same id; a replay file of another checkpoint or none at all is refused (or
 * dropped on request, with a warning); leftovers of interrupted writes are removed on
 * start; a full disk in the middle of a checkpoint leaves the previous unit intact and
 * the run resumes exactly; the replay file has the buffer's filled size, not its capacity.
 */

import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { parseSafeTensors } from "../../src/nn/safetensors.js";
import { Xoshiro128 } from "../../src/replay/index.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { CsvLog } from "../../src/train/files.js";
import { nonzeroExtents, replayFileParts, replayStateFromFile } from "../../src/train/replay-file.js";
import { type TrainEvent, train } from "../../src/train/trainer.js";
import { failWrites, modelBody, quick, stripWall, tmp } from "./helpers.js";

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

let reference: string | null = null;
/** The uninterrupted run of `quick`, trained once for the tests that compare against it. */
async function referenceRun(): Promise<string> {
  if (reference === null) {
    reference = tmp();
    await train(quick, { runDir: reference });
  }
  return reference;
}

test.after(() => {
  if (reference !== null) rmSync(reference, { recursive: true, force: true });
});

function assertSameAsReference(dir: string, ref: string): void {
  assert.deepEqual(modelBody(join(dir, "model.safetensors")), modelBody(join(ref, "model.safetensors")), "final weights differ from the uninterrupted run");
  assert.deepEqual(stripWall(CsvLog.read(join(dir, "episodes.csv"))), stripWall(CsvLog.read(join(ref, "episodes.csv"))));
  assert.deepEqual(stripWall(CsvLog.read(join(dir, "progress.csv"))), stripWall(CsvLog.read(join(ref, "progress.csv"))));
}

/** The checkpoint directory holds exactly the manifest and the replay file it names. */
function assertCleanUnit(dir: string): void {
  const { meta } = readCheckpoint(join(dir, "checkpoints/last.safetensors"));
  assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["last.safetensors", `replay-${meta.id}.safetensors`]);
}

test("replay files: only nonzero extents are stored (-0 included), and they rebuild the arrays bit for bit", () => {
  const f32 = new Float32Array(200_000);
  f32[5] = 1.5;
  f32[150_000] = -0;
  const u8 = new Uint8Array(70_000);
  const i32 = new Int32Array(10);
  const f64 = new Float64Array(3).fill(2);
  assert.deepEqual(nonzeroExtents(f32), [
    [5, 6],
    [150_000, 150_001],
  ]);
  assert.deepEqual(nonzeroExtents(u8), []);
  assert.deepEqual(nonzeroExtents(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0)), [[3, 11]]);
  assert.deepEqual(nonzeroExtents(new Uint8Array(new ArrayBuffer(16), 1, 7).fill(1, 2, 3)), [[2, 3]], "unaligned bytes");
  const state = { header: { kind: "test", rng: new Xoshiro128(1).getState() }, arrays: { f32, u8, i32, f64 } };
  const bytes = concat(replayFileParts(state, "7-0123abcd"));
  assert.ok(bytes.byteLength < 1000, `${bytes.byteLength} bytes for ${f32.byteLength + u8.byteLength} of mostly zeros`);
  const back = replayStateFromFile(parseSafeTensors(bytes), "r", 10 ** 7);
  assert.deepEqual(back.header, state.header);
  for (const [k, a] of Object.entries(state.arrays)) {
    const b = back.arrays[k]!;
    assert.equal(b.constructor, a.constructor);
    assert.deepEqual(Buffer.from(b.buffer, b.byteOffset, b.byteLength), Buffer.from(a.buffer, a.byteOffset, a.byteLength), k);
  }
  assert.throws(
    () => replayStateFromFile(parseSafeTensors(bytes), "r.safetensors", 1000),
    /r\.safetensors: arrays\.f32\.length = 200000 is invalid; expected arrays that fit this replay buffer's 1000 bytes/,
  );
});

test("the replay file is written at the buffer's filled size, not its capacity", async () => {
  const dir = tmp();
  try {
    // bufferSize 1e6 CartPole transitions is 42 MB at capacity; 1,000 steps fill 42 kB of it.
    await train({ ...quick, totalSteps: 1000, evalEvery: 1000, agent: { ...quick.agent, bufferSize: 1_000_000 } }, { runDir: dir });
    const { meta } = readCheckpoint(join(dir, "checkpoints/last.safetensors"));
    const size = statSync(join(dir, "checkpoints", meta.replay!.file)).size;
    assert.ok(size < 50_000, `replay file is ${size} bytes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume refuses a replay file of another checkpoint or none, and --drop-replay continues without it", async () => {
  const a = tmp();
  const b = tmp();
  try {
    await train({ ...quick, totalSteps: 2000 }, { runDir: a });
    await train({ ...quick, totalSteps: 1000 }, { runDir: b });
    const metaA = readCheckpoint(join(a, "checkpoints/last.safetensors")).meta;
    const metaB = readCheckpoint(join(b, "checkpoints/last.safetensors")).meta;
    const logBefore = readFileSync(join(b, "episodes.csv"));
    // b's replay file replaced by a's (renamed to b's name): the ids inside disagree.
    copyFileSync(join(a, "checkpoints", metaA.replay!.file), join(b, "checkpoints", metaB.replay!.file));
    await assert.rejects(
      train({ env: "CartPole-v1" }, { runDir: b, resume: true, totalSteps: 3000 }),
      new RegExp(
        `cannot resume exactly: .*replay-${metaB.id}\\.safetensors belongs to checkpoint ${metaA.id}, not to checkpoint ${metaB.id} \\(step 1000.*--drop-replay`,
      ),
    );
    rmSync(join(b, "checkpoints", metaB.replay!.file));
    await assert.rejects(
      train({ env: "CartPole-v1" }, { runDir: b, resume: true }),
      /replay-.*\.safetensors is missing, but checkpoint .* was saved with it; pass --drop-replay/,
    );
    assert.deepEqual(readFileSync(join(b, "episodes.csv")), logBefore, "a refused resume must not touch the logs");
    const events: TrainEvent[] = [];
    const res = await train({ env: "CartPole-v1" }, { runDir: b, resume: true, dropReplay: true, totalSteps: 1500, onEvent: (e) => events.push(e) });
    assert.equal(res.step, 1500);
    assert.ok(events.some((e) => e.kind === "warning" && /without the saved replay buffer/.test(e.message)));
    assertCleanUnit(b);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("leftovers of interrupted writes are removed on start; a live process's temp file is kept", async () => {
  const dir = tmp();
  try {
    const stop = new AbortController();
    await train(quick, { runDir: dir, signal: stop.signal, onEvent: (e) => e.kind === "checkpoint" && stop.abort() });
    const ck = join(dir, "checkpoints");
    const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
    writeFileSync(join(ck, `.replay-1000-0123abcd.safetensors.${dead}.tmp`), new Uint8Array(1000));
    writeFileSync(join(dir, `.returns.png.${dead}.tmp`), "x");
    writeFileSync(join(ck, "replay-999-deadbeef.safetensors"), "orphan");
    const live = `.other.${process.ppid}.tmp`;
    writeFileSync(join(ck, live), "in progress");
    const events: TrainEvent[] = [];
    await train({ env: "CartPole-v1" }, { runDir: dir, resume: true, onEvent: (e) => events.push(e) });
    assert.ok(existsSync(join(ck, live)));
    rmSync(join(ck, live));
    assertCleanUnit(dir);
    assert.ok(!existsSync(join(dir, `.returns.png.${dead}.tmp`)));
    assert.ok(
      events.some((e) => e.kind === "warning" && /removed 3 leftover/.test(e.message)),
      JSON.stringify(events.filter((e) => e.kind === "warning")),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [what, match] of [
  ["the replay file", /\.replay-.*\.tmp$/],
  ["the checkpoint manifest", /\.last\.safetensors\..*\.tmp$/],
] as const) {
  test(`a full disk while writing ${what} keeps the previous checkpoint, names the file, and the run resumes exactly`, async () => {
    const ref = await referenceRun();
    const dir = tmp();
    let full = false;
    const undo = failWrites(match, () => full);
    try {
      await assert.rejects(
        train(quick, { runDir: dir, onEvent: (e) => e.kind === "checkpoint" && e.step === 1000 && (full = true) }),
        /cannot write .*checkpoints\/(replay-2000-[0-9a-f]{8}|last)\.safetensors: no space left on device \(ENOSPC\); the checkpoint of step 1000 is intact/,
      );
    } finally {
      undo();
    }
    try {
      assert.equal(readCheckpoint(join(dir, "checkpoints/last.safetensors")).meta.progress.step, 1000);
      assertCleanUnit(dir);
      await train({ env: "CartPole-v1" }, { runDir: dir, resume: true });
      assertSameAsReference(dir, ref);
      assertCleanUnit(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a fresh run refuses a directory with the logs of a run that died before its first checkpoint", async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, "episodes.csv"), "step,episode,return,length,epsilon,wall_s\n12,1,12,12,1,0.1\n");
    await assert.rejects(
      train(quick, { runDir: dir }),
      /holds the logs of a run that stopped before its first checkpoint .*episodes\.csv.*delete them or choose another --run-dir/,
    );
    // Only a header (killed at once): nothing is lost by starting over.
    writeFileSync(join(dir, "episodes.csv"), "step,episode,return,length,epsilon,wall_s\n");
    await train({ ...quick, totalSteps: 500 }, { runDir: dir });
    const steps = CsvLog.read(join(dir, "episodes.csv")).map((r) => Number(r.step));
    assert.ok(
      steps.every((s, i) => i === 0 || s > steps[i - 1]!),
      "steps go backwards",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume drops torn CSV rows and rows past the checkpoint, and says so", async () => {
  const ref = await referenceRun();
  const dir = tmp();
  try {
    const stop = new AbortController();
    await train(quick, { runDir: dir, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 1500 && stop.abort() });
    // What a crash after the checkpoint leaves: rows of steps the checkpoint does not cover, and a row cut short by a full disk.
    writeFileSync(join(dir, "episodes.csv"), `${readFileSync(join(dir, "episodes.csv"), "utf8")}2999,400,20,20,0.05,9.9\n3000,401,2`);
    writeFileSync(join(dir, "progress.csv"), `${readFileSync(join(dir, "progress.csv"), "utf8")}1,2\n`);
    const events: TrainEvent[] = [];
    await train({ env: "CartPole-v1" }, { runDir: dir, resume: true, onEvent: (e) => events.push(e) });
    const warnings = events.filter((e) => e.kind === "warning").map((e) => (e as { message: string }).message);
    assert.ok(
      warnings.some((m) => /episodes\.csv: dropped 1 torn row/.test(m)),
      warnings.join("\n"),
    );
    assert.ok(
      warnings.some((m) => /progress\.csv: dropped 1 torn row/.test(m)),
      warnings.join("\n"),
    );
    assertSameAsReference(dir, ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
