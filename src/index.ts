/**
 * deepq: deep Q-learning in TypeScript. The `DQN` class is the user API; the lower-level
 * pieces are exported here too and, grouped, from the subpaths deepq/nn, deepq/envs,
 * deepq/wrappers, deepq/agents, deepq/replay and deepq/train.
 */

export * as agents from "./agents/index.js";
export {
  ALGORITHM_NAMES,
  ALGORITHMS,
  Algorithm,
  type AlgorithmName,
  type AlgorithmSettings,
  C51,
  createAlgorithm,
  DEFAULT_DQN_CONFIG,
  /** The plain DQN algorithm behind the seam (`DQN` is the user API). */
  DQN as DQNAlgorithm,
  DQNAgent,
  type DQNConfig,
  type DQNSpec,
  IQN,
  MunchausenDQN,
  type NetworkContext,
  type NetworkFactory,
  type NetworkSpec,
  QRDQN,
  resolveDQNConfig,
} from "./agents/index.js";
export {
  type ExplorationConfig,
  epsilonExponential,
  epsilonLinear,
  explorationSchedule,
  type LearningRateScheduleConfig,
  learningRateSchedule,
} from "./agents/schedules.js";
export * from "./envs/index.js";
export { type GifOptions, GifWriter } from "./media/gif.js";
export * as nn from "./nn/index.js";
export * as replay from "./replay/index.js";
export { ImageReplayBuffer, linearBeta, PrioritizedReplay, ReplayBuffer, type ReplayState } from "./replay/index.js";
export {
  checkSpecFits,
  DEFAULT_TRAIN_CONFIG,
  DQN,
  type DQNEvaluateOptions,
  type DQNOptions,
  type EnvSource,
  type EpisodePoint,
  type EvalPoint,
  type EvalResult,
  type EvaluateOptions,
  evaluate,
  type LearnCallbacks,
  type LearnOptions,
  type LearnResult,
  type LoadOptions,
  loadModel,
  type ModelInfo,
  makeTrainEnv,
  modelFromBytes,
  type PredictOptions,
  type ReturnsPlotData,
  type RunReport,
  recordVideo,
  resolveTrainConfig,
  returnsPlotPng,
  returnsPlotSvg,
  type StopReason,
  saveModel,
  type TrainConfig,
  type TrainEvent,
  TrainingDivergedError,
  TrainLoop,
  type TrainOptions,
  type TrainResult,
  train,
} from "./train/index.js";
export * as wrappers from "./wrappers/index.js";
