/** The algorithms behind the seam (`config.algorithm`), and how to build one. */
import type { Arena } from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec } from "../types.js";
import type { Algorithm } from "./base.js";
import { DQN } from "./dqn.js";
import { QRDQN } from "./qr-dqn.js";

export { Algorithm, type AlgorithmSettings, type ForwardRole, type QNetworks } from "./base.js";
export { DQN } from "./dqn.js";
export { QRDQN } from "./qr-dqn.js";

export interface AlgorithmInfo {
  /** One line for `deepq list`. */
  description: string;
  /** The implementation whose equations this one follows. */
  reference: string;
  create(spec: DQNSpec, config: DQNConfig, arena: Arena): Algorithm;
}

export const ALGORITHMS = {
  dqn: {
    description: "DQN: one Q-value per action, TD target (Double with `double`), MSE or Huber loss",
    reference: "Mnih et al. 2015; Stable-Baselines3 dqn.py",
    create: (spec, config, arena) => new DQN(spec, config, arena),
  },
  "qr-dqn": {
    description: "QR-DQN: `quantiles` return quantiles per action, quantile Huber loss (κ = 1)",
    reference: "Dabney et al. 2018; sb3-contrib qrdqn.py",
    create: (spec, config, arena) => new QRDQN(spec, config, arena),
  },
} as const satisfies Record<string, AlgorithmInfo>;

export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];

export function createAlgorithm(spec: DQNSpec, config: DQNConfig, arena: Arena): Algorithm {
  return ALGORITHMS[config.algorithm].create(spec, config, arena);
}
