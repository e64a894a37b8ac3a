/**
 * deepq/train: the `DQN` user API, the training loop and its events, evaluation, configs,
 * model files. `train()` and the file-based parts need Node (node.ts); the rest also runs
 * in browsers.
 */
export {
  DQN, CUSTOM_ENV_PREFIX,
  type DQNOptions, type DQNEvaluateOptions, type EnvSource, type LearnCallbacks, type LearnOptions, type LearnResult, type LoadOptions, type PredictOptions,
} from "./dqn.js";
export {
  TrainLoop, TrainingDivergedError, episodeSeed,
  type BuildOptions, type EpisodeRecord, type LoopResult, type ResumePoint, type RunReport, type RunStore, type StopReason, type TrainEvent,
} from "./loop.js";
export { evaluate, type EvalResult, type EvaluateOptions } from "./evaluate.js";
export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, type TrainConfig } from "./config.js";
export { agentSpec, checkSpecFits, makeTrainEnv } from "./env.js";
export { MODEL_FORMAT, agentFromWeights, modelFileParts, modelFromBytes, type ModelInfo } from "./model-format.js";
export {
  train, loadModel, saveModel, readCheckpoint, recordVideo, returnsPlotPng, returnsPlotSvg, RunDirectory,
  type TrainOptions, type TrainResult, type CheckpointMeta, type RunProgress, type RunDirOptions, type RecordOptions, type RecordResult, type ReturnsPlotData, type EpisodePoint, type EvalPoint,
} from "./node.js";
