/** Shared by the checkpoint, crash and corrupt-file tests: a small CartPole run and fault injection into node:fs. */
import fs, { mkdtempSync, readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResetArgs } from "../../src/envs/core.js";
import { register, registration } from "../../src/envs/registry.js";
import type { TrainConfig } from "../../src/train/config.js";
import { CounterEnv } from "../wrappers/fake-envs.js";

/** 3,000 CartPole steps, a checkpoint (with the replay buffer) every 1,000: about 2 s. */
export const quick: Partial<TrainConfig> & { env: string } = {
  env: "CartPole-v1",
  totalSteps: 3000,
  evalEvery: 500,
  evalEpisodes: 2,
  checkpointEvery: 1000,
  saveReplay: true,
  agent: {
    network: { kind: "mlp", hidden: [32, 32] },
    batchSize: 32,
    bufferSize: 5000,
    learningStarts: 200,
    trainFreq: 2,
    targetUpdateInterval: 300,
    exploration: { kind: "linear", start: 1, end: 0.05, fraction: 0.5 },
    seed: 7,
  },
};

export const tmp = (prefix = "deepq-ckpt-") => mkdtempSync(join(tmpdir(), prefix));

/** CSV rows without the wall-clock columns (the only ones that differ between equal runs). */
export const stripWall = (rows: Record<string, unknown>[]) => rows.map(({ wall_s: _w, steps_per_s: _s, ...rest }) => rest);

/** A model file's tensor bytes (its metadata holds nothing run-specific but may differ in key order). */
export function modelBody(path: string): Buffer {
  const f = readFileSync(path);
  return f.subarray(8 + f.readUInt32LE(0));
}

/**
 * Makes every `writeSync` to a file whose path matches `match` fail with `code` while
 * `active()` is true, as a full disk would (deepq's modules import node:fs by name, so
 * the patch reaches them through syncBuiltinESMExports). Returns the undo function.
 */
export function failWrites(match: RegExp, active: () => boolean, code = "ENOSPC"): () => void {
  const { openSync, writeSync } = fs;
  const paths = new Map<number, string>();
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (p: fs.PathLike, ...a: unknown[]) => number)(path, ...rest);
    paths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    if (active() && match.test(paths.get(fd) ?? "")) throw Object.assign(new Error(`${code}: simulated, write`), { code });
    return (writeSync as (fd: number, ...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  return () => {
    fs.openSync = openSync;
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
  };
}

/**
 * Registers `TestCounter84-v0` once: 84×84 RGB counter frames, 37 steps an episode, whose frames
 * depend on the episode's seed (not on how many resets the object has seen), as a real env's do.
 */
export function registerImageCounter(): void {
  if (registration("TestCounter84-v0") !== undefined) return;
  class SeededCounter extends CounterEnv {
    override reset(args: ResetArgs = {}) {
      this.episode = (args.seed ?? this.episode) % 251;
      return super.reset(args);
    }
  }
  register({ id: "TestCounter84-v0", create: () => new SeededCounter({ height: 84, width: 84, length: 37 }), maxEpisodeSteps: 50 });
}
