/**
 * A run's checkpoint: one unit of at most two files in `checkpoints/`.
 *
 * - `last.safetensors`: weights, target network, optimizer state, counters, RNG states and
 *   config, with the checkpoint's id; when the replay buffer is saved, it names the replay
 *   file that goes with it. It is the unit's manifest and is always written last.
 * - `replay-<id>.safetensors`: the replay buffer, carrying the same id.
 *
 * Writing order: the replay file under its new, unique name; then `last.safetensors`,
 * whose rename publishes the unit; only then is the previous replay file deleted. A crash
 * at any moment leaves a complete published unit (the old or the new) and at most some
 * garbage (a temp file, an unreferenced replay file) that the next start removes. On
 * resume, a replay file whose id differs from the manifest's is refused.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { resolveDQNConfig } from "../agents/config.js";
import type { DQNAgent, DQNAgentState } from "../agents/dqn.js";
import type { RngState } from "../nn/rng.js";
import { type SafeTensor, safeTensorsParts } from "../nn/safetensors.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";
import type { ReplayState } from "../replay/index.js";
import { removeStaleTempFiles, writeFileAtomic } from "../util/atomic-file.js";
import { resolveTrainConfig, type TrainConfig } from "./config.js";
import { crashPoint } from "./crash-hook.js";
import { MetaCheck } from "./meta-check.js";
import { checkSpec, parseMeta } from "./model-format.js";
import { replayCheckpointId, replayFileParts, replayStateFromFile } from "./replay-file.js";

export const CHECKPOINT_FORMAT = "deepq-checkpoint/2";
/** The manifest's name in a run's `checkpoints/` directory. */
export const CHECKPOINT_FILE = "last.safetensors";
const REPLAY_FILE = /^replay-.+\.safetensors$/;

/** Counters and records of a run, saved in every checkpoint. */
export interface RunProgress {
  step: number;
  episodes: number;
  /** Episodes finished by each vector-env copy (their reset seeds derive from it). */
  envEpisodes: number[];
  bestEval: { step: number; mean: number; std: number } | null;
  lastEval: { step: number; mean: number; std: number } | null;
  /** Seconds of training before this session (the plot and solve timings use total time). */
  elapsedSeconds: number;
  /**
   * Actions taken so far in each copy's unfinished episode. Envs are deterministic given
   * their episode seed and actions, so a resumed run replays these to restore the exact
   * env state (Box2D worlds cannot be serialized).
   */
  inFlightActions: number[][];
  /** Loss and mean-Q sums since the last evaluation (for progress.csv). */
  lossSum: number;
  qSum: number;
  lossCount: number;
  /** Largest |reward| of a single step so far: the reward scale of the divergence guard. */
  maxAbsReward: number;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  /** Unique per written checkpoint; the replay file carries it too. */
  id: string;
  train: TrainConfig;
  agent: DQNAgentState;
  progress: RunProgress;
  /** The replay file of this unit (in the same directory), or null when the buffer is not saved. */
  replay: { file: string } | null;
}

/** Yields `parts`, calling the test crash hook once half of them are written (a torn temp file). */
function* withCrashPoint(parts: readonly Uint8Array[], point: string): Generator<Uint8Array> {
  for (let i = 0; i < parts.length; i++) {
    yield parts[i]!;
    if (i + 1 === Math.ceil(parts.length / 2)) crashPoint(point);
  }
}

/**
 * Writes a checkpoint unit into `dir` (see the file comment for the order) and returns
 * its id. On failure the previous unit is still the published one.
 */
export function writeCheckpoint(dir: string, unit: { agent: DQNAgent; train: TrainConfig; progress: RunProgress; replay: ReplayState | null }): string {
  // Random, not seeded: an id must never repeat, even when a resumed run reaches the same
  // step again, and it affects no training choice.
  const id = `${unit.progress.step}-${randomBytes(4).toString("hex")}`;
  const replayFile = unit.replay === null ? null : `replay-${id}.safetensors`;
  if (unit.replay !== null) {
    writeFileAtomic(join(dir, replayFile!), withCrashPoint(replayFileParts(unit.replay, id), "replay-partial"));
    crashPoint("replay-written");
  }
  const { tensors, state } = unit.agent.checkpoint();
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    id,
    train: unit.train,
    agent: state,
    progress: unit.progress,
    replay: replayFile === null ? null : { file: replayFile },
  };
  try {
    writeFileAtomic(join(dir, CHECKPOINT_FILE), withCrashPoint(safeTensorsParts(tensors, { deepq: JSON.stringify(meta) }), "checkpoint-partial"));
  } catch (e) {
    if (replayFile !== null) rmSync(join(dir, replayFile), { force: true });
    throw e;
  }
  crashPoint("checkpoint-written");
  removeUnreferenced(dir, replayFile);
  return id;
}

/** Deletes replay files other than `keep` (older units, or the leftovers of a crash). */
function removeUnreferenced(dir: string, keep: string | null): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (REPLAY_FILE.test(name) && name !== keep) {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * Removes what interrupted writes left in a checkpoint directory: temp files of dead
 * processes and replay files no published checkpoint names. Returns the names removed.
 */
export function cleanCheckpointDir(dir: string, meta: CheckpointMeta | null): string[] {
  if (!existsSync(dir)) return [];
  return [...removeStaleTempFiles(dir), ...removeUnreferenced(dir, meta?.replay?.file ?? null)];
}

function checkEval(c: MetaCheck, field: string, v: unknown, maxStep: number): RunProgress["bestEval"] {
  if (v === null) return null;
  const o = c.object(field, v);
  return { step: c.int(`${field}.step`, o.step, 0, maxStep), mean: c.finite(`${field}.mean`, o.mean), std: c.finite(`${field}.std`, o.std, 0) };
}

/** Validates a checkpoint's metadata field by field (a crafted or damaged file fails here, before anything is touched). */
function checkCheckpointMeta(path: string, raw: string | undefined): CheckpointMeta {
  const meta = parseMeta(path, raw, CHECKPOINT_FORMAT);
  const c = new MetaCheck(path);
  const id = c.string("id", meta.id, /^\d+-[0-9a-f]{8}$/, "<step>-<8 hex digits>");
  const train = c.wrap("train", () => resolveTrainConfig(c.object("train", meta.train) as unknown as TrainConfig));
  const agentCfg = resolveDQNConfig(train.agent);

  const a = c.object("agent", meta.agent);
  const config = c.wrap("agent.config", () => resolveDQNConfig(c.object("agent.config", a.config)));
  if (JSON.stringify(config) !== JSON.stringify(agentCfg)) c.fail("agent.config", a.config, "the agent config of train.agent");
  const spec = checkSpec(c, "agent.spec", a.spec);
  const rngState = (field: string, v: unknown): RngState => {
    const words = c.array(field, v, 4).map((w, i) => c.int(`${field}[${i}]`, w, 0, 0xffffffff));
    if (words.every((w) => w === 0)) c.fail(field, words, "a nonzero generator state");
    return words as RngState;
  };
  const rng = rngState("agent.rng", a.rng);
  // The algorithm's own streams (noise, dropout masks, IQN's τ): absent for algorithms without any.
  const algorithm =
    a.algorithm === undefined
      ? undefined
      : Object.fromEntries(Object.entries(c.object("agent.algorithm", a.algorithm)).map(([name, st]) => [name, rngState(`agent.algorithm.${name}`, st)]));
  const o = c.object("agent.optimizer", a.optimizer);
  if (o.kind !== agentCfg.optimizer) c.fail("agent.optimizer.kind", o.kind, `"${agentCfg.optimizer}" (the config's optimizer)`);
  const hyper = c.object("agent.optimizer.hyper", o.hyper);
  for (const [k, v] of Object.entries(hyper))
    if (typeof v !== "number" && typeof v !== "boolean") c.fail(`agent.optimizer.hyper.${k}`, v, "a number or boolean");
  const agent: DQNAgentState = {
    config,
    spec,
    rng,
    algorithm,
    updates: c.int("agent.updates", a.updates, 0),
    ...(a.augment === undefined ? {} : { augment: rngState("agent.augment", a.augment) }),
    optimizer: { kind: agentCfg.optimizer, step: c.int("agent.optimizer.step", o.step, 0), hyper: hyper as Record<string, number | boolean> },
  };

  const p = c.object("progress", meta.progress);
  const n = agentCfg.numEnvs;
  // The loop steps all n copies at once, so it may end up to n − 1 steps past totalSteps.
  const step = c.int("progress.step", p.step, 0, train.totalSteps + n - 1);
  const envEpisodes = c.array("progress.envEpisodes", p.envEpisodes, n).map((k, i) => c.int(`progress.envEpisodes[${i}]`, k, 0, step));
  const episodes = c.int("progress.episodes", p.episodes, 0, step);
  if (envEpisodes.reduce((s, k) => s + k, 0) !== episodes) c.fail("progress.envEpisodes", envEpisodes, `counts summing to progress.episodes (${episodes})`);
  const inFlightActions = c
    .array("progress.inFlightActions", p.inFlightActions, n)
    .map((log, i) => c.array(`progress.inFlightActions[${i}]`, log).map((act, t) => c.int(`progress.inFlightActions[${i}][${t}]`, act, 0, spec.nActions - 1)));
  const progress: RunProgress = {
    step,
    episodes,
    envEpisodes,
    bestEval: checkEval(c, "progress.bestEval", p.bestEval, step),
    lastEval: checkEval(c, "progress.lastEval", p.lastEval, step),
    elapsedSeconds: c.finite("progress.elapsedSeconds", p.elapsedSeconds, 0),
    inFlightActions,
    lossSum: c.finite("progress.lossSum", p.lossSum),
    qSum: c.finite("progress.qSum", p.qSum),
    lossCount: c.int("progress.lossCount", p.lossCount, 0),
    maxAbsReward: c.finite("progress.maxAbsReward", p.maxAbsReward, 0),
  };

  const expectedReplay = train.saveReplay ? `replay-${id}.safetensors` : null;
  const replayFile = meta.replay === null ? null : c.object("replay", meta.replay).file;
  if (replayFile !== expectedReplay)
    c.fail("replay.file", replayFile, expectedReplay === null ? "no replay file (saveReplay is false)" : `"${expectedReplay}"`);
  return { format: CHECKPOINT_FORMAT, id, train, agent, progress, replay: expectedReplay === null ? null : { file: expectedReplay } };
}

/** Reads and validates a checkpoint manifest (`checkpoints/last.safetensors`). */
export function readCheckpoint(path: string): { tensors: Map<string, SafeTensor>; meta: CheckpointMeta } {
  const file = readSafeTensorsFile(path);
  return { tensors: file.tensors, meta: checkCheckpointMeta(path, file.metadata.deepq) };
}

/**
 * The replay state of checkpoint `meta` in `dir`, checked to belong to it: a missing
 * file, a file of another checkpoint or a damaged one is refused, naming both.
 * `maxBytes` is the buffer's size (the most a file may ask to allocate).
 */
export function readCheckpointReplay(dir: string, meta: CheckpointMeta, maxBytes: number): ReplayState {
  const file = meta.replay!.file;
  const path = join(dir, file);
  const where = `checkpoint ${meta.id} (step ${meta.progress.step}, ${join(dir, CHECKPOINT_FILE)})`;
  if (!existsSync(path)) throw new Error(`${path} is missing, but ${where} was saved with it`);
  const f = readSafeTensorsFile(path);
  const owner = replayCheckpointId(f, path);
  if (owner !== meta.id) throw new Error(`${path} belongs to checkpoint ${owner}, not to ${where}`);
  return replayStateFromFile(f, path, maxBytes);
}
