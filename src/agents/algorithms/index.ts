/** The algorithms behind the seam (`config.algorithm`), and how to build one. */
import type { Arena } from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec } from "../types.js";
import type { Algorithm } from "./base.js";
import { C51 } from "./c51.js";
import { DQN } from "./dqn.js";
import { IQN, validateIQN } from "./iqn.js";
import { MunchausenDQN, validateMunchausen } from "./m-dqn.js";
import { QRDQN } from "./qr-dqn.js";

export {
  Algorithm,
  type AlgorithmSettings,
  type AlgorithmState,
  type BatchInputs,
  type ForwardRole,
  type QNetworks,
} from "./base.js";
export { C51, linspaceF32, projectDistribution } from "./c51.js";
export { DQN } from "./dqn.js";
export { IQN, type TauSource } from "./iqn.js";
export { ImplicitQuantileNetwork } from "./iqn-network.js";
export { MunchausenDQN, scaledLogSoftmax, scaledSoftmax } from "./m-dqn.js";
export { QRDQN } from "./qr-dqn.js";

export interface AlgorithmInfo {
  /** One line for `deepq list`. */
  description: string;
  /** The implementation whose equations this one follows. */
  reference: string;
  /** Why this configuration cannot run the algorithm, in one line naming the keys; null when it can. */
  validate(config: DQNConfig): string | null;
  create(spec: DQNSpec, config: DQNConfig, arena: Arena): Algorithm;
}

const anyCombination = (): null => null;

export const ALGORITHMS = {
  dqn: {
    description: "DQN: one Q-value per action, TD target (Double with `double`), MSE or Huber loss",
    reference: "Mnih et al. 2015; Stable-Baselines3 dqn.py",
    validate: anyCombination,
    create: (spec, config, arena) => new DQN(spec, config, arena),
  },
  "qr-dqn": {
    description: "QR-DQN: `quantiles` return quantiles per action, quantile Huber loss (κ = 1)",
    reference: "Dabney et al. 2018; sb3-contrib qrdqn.py",
    validate: anyCombination,
    create: (spec, config, arena) => new QRDQN(spec, config, arena),
  },
  c51: {
    description: "C51: a categorical return distribution on `atoms` atoms in [vMin, vMax], projected target, cross-entropy loss",
    reference: "Bellemare et al. 2017; CleanRL c51.py",
    validate: (c) => (c.vMin < c.vMax ? null : `algorithm "c51" needs vMin < vMax, got vMin = ${c.vMin} and vMax = ${c.vMax}`),
    create: (spec, config, arena) => new C51(spec, config, arena),
  },
  iqn: {
    description: "IQN: quantiles at sampled fractions τ through a cosine embedding (N, N′, K samples), quantile Huber loss (κ = 1)",
    reference: "Dabney et al. 2018 (IQN); Dopamine implicit_quantile_agent.py",
    validate: validateIQN,
    create: (spec, config, arena) => new IQN(spec, config, arena),
  },
  "m-dqn": {
    description: "Munchausen-DQN: DQN's loss on a target with the bonus α·clip(τ·log π(a|s), l0, 0) and the soft value of s′",
    reference: "Vieillard et al. 2020; google-research munchausen_rl m_dqn.py",
    validate: validateMunchausen,
    create: (spec, config, arena) => new MunchausenDQN(spec, config, arena),
  },
} as const satisfies Record<string, AlgorithmInfo>;

export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];

export function createAlgorithm(spec: DQNSpec, config: DQNConfig, arena: Arena): Algorithm {
  return ALGORITHMS[config.algorithm].create(spec, config, arena);
}
