/**
 * The model file format, without file-system access (so browsers can load models too).
 *
 * A model file holds the online network's weights under PyTorch names (so it loads in
 * PyTorch into the matching `nn.Sequential`) and, in its metadata, everything needed
 * to rebuild the env and the network: `deepq eval model.safetensors` needs nothing else.
 */
import { DQNAgent, type DQNSpec } from "../agents/dqn.js";
import type { DQNConfig } from "../agents/config.js";
import type { AlgorithmSettings } from "../agents/algorithms/index.js";
import type { Arena } from "../nn/tensor.js";
import { parseSafeTensors, safeTensorsParts, type SafeTensorsFile } from "../nn/safetensors.js";
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
  /** The algorithm and its head's hyperparameters; files written before algorithms were recorded are DQN. */
  algorithm?: AlgorithmSettings;
  /** Environment steps of training behind these weights. */
  step: number;
  /** The evaluation that selected these weights, if any. */
  eval: { mean: number; std: number; episodes: number } | null;
}

/** The file's bytes, as consecutive parts (see `writeFileAtomic`). */
export function modelFileParts(agent: DQNAgent, info: Omit<ModelInfo, "format" | "spec" | "network" | "algorithm">): Uint8Array[] {
  const meta: ModelInfo = {
    format: MODEL_FORMAT, ...info, spec: agent.spec, network: agent.config.network, algorithm: agent.algorithm.modelSettings(),
  };
  return safeTensorsParts(agent.modelStateDict(), { deepq: JSON.stringify(meta) });
}

export function parseMeta<T>(path: string, raw: string | undefined, format: string): T {
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

/** A model from a file's bytes (`name` labels errors), in a fresh agent for greedy use. */
export function modelFromBytes(bytes: Uint8Array, name: string, opts: { arena?: Arena } = {}): { agent: DQNAgent; info: ModelInfo } {
  return modelFromFile(parseSafeTensors(bytes, name), name, opts);
}

/** A model from a parsed file (`name` labels errors), in a fresh agent for greedy use. */
export function modelFromFile(file: SafeTensorsFile, name: string, opts: { arena?: Arena } = {}): { agent: DQNAgent; info: ModelInfo } {
  const info = parseMeta<ModelInfo>(name, file.metadata.deepq, MODEL_FORMAT);
  const agent = new DQNAgent(info.spec, { ...info.algorithm, network: info.network, batchSize: 1, bufferSize: 1 }, opts);
  try {
    agent.loadModelStateDict(file.tensors);
  } catch (e) {
    throw new Error(`${name}: weights do not fit the network the file describes: ${(e as Error).message}`);
  }
  return { agent, info };
}
