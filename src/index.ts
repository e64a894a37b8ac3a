/**
 * deepq: deep Q-learning in TypeScript. The `DQN` class is the user API; the lower-level
 * pieces are exported here too and, grouped, from the subpaths deepq/nn, deepq/envs,
 * deepq/wrappers, deepq/agents, deepq/replay and deepq/train.
 */
export * from "./envs/index.js";
export * as agents from "./agents/index.js";
export * as nn from "./nn/index.js";
export * as replay from "./replay/index.js";
export * as wrappers from "./wrappers/index.js";
export {
  DQN, train, evaluate, loadModel, saveModel, modelFromBytes, recordVideo, returnsPlotPng, returnsPlotSvg, TrainLoop, TrainingDivergedError, resolveTrainConfig, DEFAULT_TRAIN_CONFIG,
  type DQNOptions, type DQNEvaluateOptions, type EnvSource, type LearnCallbacks, type LearnOptions, type LearnResult, type LoadOptions, type PredictOptions,
  type EvalResult, type EvaluateOptions, type ReturnsPlotData, type EpisodePoint, type EvalPoint, type ModelInfo,
  type RunReport, type StopReason, type TrainConfig, type TrainEvent, type TrainOptions, type TrainResult,
} from "./train/index.js";
export { GifWriter, type GifOptions } from "./media/gif.js";
export { ReplayBuffer, ImageReplayBuffer, PrioritizedReplay, linearBeta, type ReplayState } from "./replay/index.js";
export { epsilonExponential, epsilonLinear, explorationSchedule, type ExplorationConfig } from "./agents/schedules.js";
export {
  DQNAgent, DEFAULT_DQN_CONFIG, resolveDQNConfig, ALGORITHMS, ALGORITHM_NAMES, Algorithm, createAlgorithm, C51, IQN, MunchausenDQN, QRDQN,
  /** The plain DQN algorithm behind the seam (`DQN` is the user API). */
  DQN as DQNAlgorithm,
  type DQNConfig, type DQNSpec, type NetworkContext, type NetworkFactory, type NetworkSpec, type AlgorithmName, type AlgorithmSettings,
} from "./agents/index.js";
export { checkSpecFits, makeTrainEnv } from "./train/index.js";
