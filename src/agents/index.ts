/**
 * deepq/agents: the DQN family's learner (`DQNAgent`), its configuration, the algorithms
 * behind the seam (DQN, QR-DQN), the TD targets and loss, and the ε schedules.
 */
export { DQNAgent, type DQNAgentOptions, type DQNAgentState, type TrainStepResult } from "./dqn.js";
export type { DQNSpec, NetworkContext, NetworkFactory, TrainingBatch } from "./types.js";
export { DEFAULT_DQN_CONFIG, DQN_CONFIG_KEYS, resolveDQNConfig, type DQNConfig, type NetworkSpec } from "./config.js";
export {
  ALGORITHMS, ALGORITHM_NAMES, Algorithm, C51, DQN, IQN, MunchausenDQN, QRDQN, createAlgorithm,
  type AlgorithmInfo, type AlgorithmName, type AlgorithmSettings, type ForwardRole, type QNetworks,
} from "./algorithms/index.js";
export { QLoss, doubleTdTargets, tdTargets, type QLossKind, type QLossOptions } from "./td.js";
export { epsilonExponential, epsilonLinear, explorationSchedule, type ExplorationConfig } from "./schedules.js";
