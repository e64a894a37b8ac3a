/**
 * Model files and checkpoints, both safetensors.
 *
 * A model file holds the online network's weights under PyTorch names (so it loads in
 * PyTorch into the matching `nn.Sequential`) and, in its metadata, everything needed
 * to rebuild the env and the network: `deepq eval model.safetensors` needs nothing else.
 *
 * A checkpoint adds the target network, the optimizer state, the counters and the RNG
 * states; the replay buffer, when saved, sits beside it in its own file.
 */
import { readFileSync } from "node:fs";
import { DQNAgent, type DQNAgentState, type DQNSpec } from "../agents/dqn.js";
import type { DQNConfig } from "../agents/config.js";
import { parseSafeTensors, serializeSafeTensors, type SafeTensor } from "../nn/safetensors.js";
import { writeFileAtomic } from "./files.js";
import type { TrainConfig } from "./config.js";

export const MODEL_FORMAT = "deepq-model/1";
export const CHECKPOINT_FORMAT = "deepq-checkpoint/1";

/** What a model file says about itself. */
export interface ModelInfo {
  format: typeof MODEL_FORMAT;
  env: string;
  envOptions: Record<string, unknown>;
  pipeline: TrainConfig["pipeline"];
  spec: DQNSpec;
  network: DQNConfig["network"];
  /** Environment steps of training behind these weights. */
  step: number;
  /** The evaluation that selected these weights, if any. */
  eval: { mean: number; std: number; episodes: number } | null;
}

export function saveModel(path: string, agent: DQNAgent, info: Omit<ModelInfo, "format" | "spec" | "network">): void {
  const meta: ModelInfo = { format: MODEL_FORMAT, ...info, spec: agent.spec, network: agent.config.network };
  writeFileAtomic(path, serializeSafeTensors(agent.modelStateDict(), { deepq: JSON.stringify(meta) }));
}

function readSafeTensorsFile(path: string) {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSafeTensors(bytes, path);
}

function parseMeta<T>(path: string, raw: string | undefined, format: string): T {
  if (raw === undefined) {
    throw new Error(`${path}: no "deepq" metadata; is this a ${format === MODEL_FORMAT ? "deepq model" : "deepq checkpoint"} file?`);
  }
  let meta: { format?: unknown };
  try {
    meta = JSON.parse(raw) as { format?: unknown };
  } catch {
    throw new Error(`${path}: the "deepq" metadata is not valid JSON`);
  }
  if (meta.format !== format) {
    throw new Error(`${path}: format is ${JSON.stringify(meta.format)}, expected "${format}"`);
  }
  return meta as T;
}

/** Loads a model file into a fresh agent (greedy use: eval, record, play). */
export function loadModel(path: string): { agent: DQNAgent; info: ModelInfo } {
  const file = readSafeTensorsFile(path);
  const info = parseMeta<ModelInfo>(path, file.metadata.deepq, MODEL_FORMAT);
  const agent = new DQNAgent(info.spec, { network: info.network, batchSize: 1, bufferSize: 1 });
  try {
    agent.loadModelStateDict(file.tensors);
  } catch (e) {
    throw new Error(`${path}: weights do not fit the network the file describes: ${(e as Error).message}`);
  }
  return { agent, info };
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
  writeFileAtomic(path, serializeSafeTensors(tensors, { deepq: JSON.stringify(meta) }));
}

export function readCheckpoint(path: string): { tensors: Map<string, SafeTensor>; meta: CheckpointMeta } {
  const file = readSafeTensorsFile(path);
  return { tensors: file.tensors, meta: parseMeta<CheckpointMeta>(path, file.metadata.deepq, CHECKPOINT_FORMAT) };
}
