/**
 * Model files on disk (the format itself is in model-format.ts). Checkpoints, which add
 * the target network, optimizer, counters, RNG states and optionally the replay buffer,
 * are in checkpoint.ts.
 */
import type { DQNAgent } from "../agents/dqn.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import { type ModelFileInfo, type ModelInfo, modelFileParts, modelFromFile } from "./model-format.js";

export { CHECKPOINT_FORMAT, type CheckpointMeta, type RunProgress, readCheckpoint } from "./checkpoint.js";
export { MODEL_FORMAT, type ModelInfo } from "./model-format.js";

export function saveModel(path: string, agent: DQNAgent, info: ModelFileInfo): void {
  writeFileAtomic(path, modelFileParts(agent, info));
}

/** Loads a model file into a fresh agent (greedy use: eval, record, play). */
export function loadModel(path: string): { agent: DQNAgent; info: ModelInfo } {
  return modelFromFile(readSafeTensorsFile(path), path);
}
