/**
 * Model files and checkpoints on disk, both safetensors (the model format itself is in
 * model-format.ts). A checkpoint adds the target network, the optimizer state, the
 * counters and the RNG states; the replay buffer, when saved, sits beside it in its own file.
 */
import type { DQNAgent, DQNAgentState } from "../agents/dqn.js";
import { safeTensorsParts, type SafeTensor } from "../nn/safetensors.js";
import { writeFileAtomic } from "./files.js";
import type { TrainConfig } from "./config.js";
import { CHECKPOINT_FORMAT, modelFileParts, modelFromFile, parseMeta, type ModelInfo } from "./model-format.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";

export { CHECKPOINT_FORMAT, MODEL_FORMAT, type ModelInfo } from "./model-format.js";

export function saveModel(path: string, agent: DQNAgent, info: Omit<ModelInfo, "format" | "spec" | "network" | "algorithm">): void {
  writeFileAtomic(path, modelFileParts(agent, info));
}

/** Loads a model file into a fresh agent (greedy use: eval, record, play). */
export function loadModel(path: string): { agent: DQNAgent; info: ModelInfo } {
  return modelFromFile(readSafeTensorsFile(path), path);
}

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
  /** Replay sampler RNG state and cursor are in the replay file; this says whether it exists. */
  replaySaved: boolean;
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
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  train: TrainConfig;
  agent: DQNAgentState;
  progress: RunProgress;
}

export function saveCheckpoint(path: string, agent: DQNAgent, train: TrainConfig, progress: RunProgress): void {
  const { tensors, state } = agent.checkpoint();
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, train, agent: state, progress };
  writeFileAtomic(path, safeTensorsParts(tensors, { deepq: JSON.stringify(meta) }));
}

export function readCheckpoint(path: string): { tensors: Map<string, SafeTensor>; meta: CheckpointMeta } {
  const file = readSafeTensorsFile(path);
  return { tensors: file.tensors, meta: parseMeta<CheckpointMeta>(path, file.metadata.deepq, CHECKPOINT_FORMAT) };
}
