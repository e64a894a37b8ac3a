/**
 * deepq/agents: the DQN family's learner (`DQNAgent`), its configuration, the algorithms
 * behind the seam (DQN, QR-DQN), the TD targets and loss, and the ε schedules.
 */

export {
  ALGORITHM_NAMES,
  ALGORITHMS,
  Algorithm,
  type AlgorithmInfo,
  type AlgorithmName,
  type AlgorithmSettings,
  C51,
  createAlgorithm,
  DQN,
  type ForwardRole,
  IQN,
  MunchausenDQN,
  type QNetworks,
  QRDQN,
} from "./algorithms/index.js";
export { DEFAULT_DQN_CONFIG, DQN_CONFIG_KEYS, type DQNConfig, type NetworkSpec, resolveDQNConfig } from "./config.js";
export { DQNAgent, type DQNAgentOptions, type DQNAgentState, type TrainStepResult } from "./dqn.js";
export {
  type ExplorationConfig,
  epsilonExponential,
  epsilonLinear,
  explorationSchedule,
  type LearningRateScheduleConfig,
  learningRateSchedule,
} from "./schedules.js";
export { doubleTdTargets, QLoss, type QLossKind, type QLossOptions, tdTargets } from "./td.js";
export type { DQNSpec, NetworkContext, NetworkFactory, TrainingBatch } from "./types.js";
