/**
 * deepq/train: the `DQN` user API, the training loop and its events, evaluation, configs,
 * model files. `train()` and the file-based parts need Node (node.ts); the rest also runs
 * in browsers.
 */

export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, type TrainConfig } from "./config.js";
export {
  CUSTOM_ENV_PREFIX,
  DQN,
  type DQNEvaluateOptions,
  type DQNOptions,
  type EnvSource,
  type LearnCallbacks,
  type LearnOptions,
  type LearnResult,
  type LoadOptions,
  type PredictOptions,
} from "./dqn.js";
export { agentSpec, checkSpecFits, makeTrainEnv } from "./env.js";
export { type EvalResult, type EvaluateOptions, evaluate } from "./evaluate.js";
export {
  type BuildOptions,
  type EpisodeRecord,
  episodeSeed,
  type LoopResult,
  type ResumePoint,
  type RunReport,
  type RunStore,
  type StopReason,
  type TrainEvent,
  TrainingDivergedError,
  TrainLoop,
} from "./loop.js";
export { agentFromWeights, MODEL_FORMAT, type ModelInfo, modelFileParts, modelFromBytes } from "./model-format.js";
export {
  type CheckpointMeta,
  type EpisodePoint,
  type EvalPoint,
  loadModel,
  type RecordOptions,
  type RecordResult,
  type ReturnsPlotData,
  RunDirectory,
  type RunDirOptions,
  type RunProgress,
  readCheckpoint,
  recordVideo,
  returnsPlotPng,
  returnsPlotSvg,
  saveModel,
  type TrainOptions,
  type TrainResult,
  train,
} from "./node.js";
