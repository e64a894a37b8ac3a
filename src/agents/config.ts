/**
 * Every hyperparameter of the DQN family in one object, each with its default and a
 * line of doc (CleanRL style). Defaults are Stable-Baselines3's DQN defaults;
 * presets override them.
 */
import { brief } from "../util/text.js";
import { ALGORITHM_NAMES, ALGORITHMS, type AlgorithmName } from "./algorithms/index.js";
import type { ExplorationConfig, LearningRateScheduleConfig } from "./schedules.js";

export type NetworkSpec =
  /** Fully connected: hidden layer sizes, e.g. [64, 64]. */
  | { kind: "mlp"; hidden: number[]; activation?: "relu" | "leaky_relu"; dueling?: boolean }
  /**
   * Mnih et al. 2015: conv 32 8×8 s4, 64 4×4 s2, 64 3×3 s1, fc 512. `dropout`: p of a Dropout
   * after the second conv layer (the best self-reported discrete CarRacing setting used 0.1).
   */
  | { kind: "nature-cnn"; dueling?: boolean; dropout?: number }
  /** Mnih et al. 2013 / the tutorial net: conv 16 8×8 s4, 32 4×4 s2, fc 256; `dropout` as above. */
  | { kind: "small-cnn"; dueling?: boolean; dropout?: number }
  /** Built by a user's `NetworkFactory` (DQNAgent's `network` option); model files record `name`, and loading needs the factory again. */
  | { kind: "custom"; name: string; dueling?: never };

export interface DQNConfig {
  /** The learning algorithm: "dqn", "qr-dqn", "c51", "iqn" or "m-dqn"; see `deepq list` and docs/algorithms.md. */
  algorithm: AlgorithmName;
  /** QR-DQN: quantiles per action (sb3-contrib's default 200). */
  quantiles: number;
  /** C51: atoms of the return distribution (CleanRL c51_atari.py's 51; c51.py uses 101). */
  atoms: number;
  /** C51: smallest atom v_min (c51_atari.py −10; c51.py −100). */
  vMin: number;
  /** C51: largest atom v_max (c51_atari.py 10; c51.py 100). */
  vMax: number;
  /** IQN: τ samples N of the online quantiles in the loss (Dopamine's Atari setting 64). */
  numTauSamples: number;
  /** IQN: τ' samples N′ of the target quantiles (Dopamine 64). */
  numTauPrimeSamples: number;
  /** IQN: τ samples K behind each expected Q for acting and target action selection (Dopamine 32). */
  numQuantileSamples: number;
  /** IQN: cosine features cos(iπτ), i = 1..n, of the quantile embedding (Dopamine 64). */
  cosEmbeddingDim: number;
  /** M-DQN: entropy temperature τ of the soft policy π = softmax(q/τ) (the paper's 0.03). */
  munchausenTau: number;
  /** M-DQN: scale α of the Munchausen bonus α·τ·log π(a|s) (the paper's 0.9). */
  munchausenAlpha: number;
  /** M-DQN: lower clip l0 of τ·log π(a|s) (the paper's −1; google-research's code defaults to −10). */
  munchausenL0: number;
  /**
   * NoisyNets (Fortunato et al. 2017): the fully connected layers get factorised Gaussian
   * parameter noise, resampled every update and every acting step; ε-greedy is then off and
   * `exploration` is ignored. Evaluation acts with the noise-free weights μ.
   */
  noisy: boolean;
  /** NoisyNets: σ0 of the initial σ = σ0/√fan_in (the paper's 0.5 for factorised noise). */
  noisySigma0: number;
  /**
   * Image augmentation of sampled batches: "shift" is DrQ's random shift (Kostrikov et al. 2020,
   * denisyarats/drq): each stack of s and, independently, of s′ is replicate-padded by
   * `augmentPad` pixels and cropped back at a random offset. Only for image observations.
   */
  augment: "none" | "shift";
  /** DrQ: padding of the random shift, in pixels (DrQ's 4 for 84×84 frames: shifts of up to ±4). */
  augmentPad: number;
  /** Q-network architecture; `dueling` splits it into value and advantage streams. */
  network: NetworkSpec;
  /** Double DQN: the online net picks the next action, the target net scores it. */
  double: boolean;
  /** n-step returns (1 = classic one-step TD). */
  nStep: number;
  /** Prioritized replay (proportional, Schaul et al. 2016). */
  prioritized: boolean;
  /** Priority exponent α of prioritized replay. */
  priorityAlpha: number;
  /** Initial importance-sampling exponent β, annealed linearly to 1 over the run. */
  priorityBeta: number;
  /** Added to |TD error| so no transition gets priority 0. */
  priorityEps: number;
  /** DQN's TD loss on Q(s, a): mean squared error or Huber (smooth L1). */
  loss: "mse" | "huber";
  /** Huber threshold β (PyTorch's smooth_l1 `beta`). */
  huberBeta: number;
  /** Optimizer, with PyTorch semantics. */
  optimizer: "adam" | "rmsprop" | "sgd";
  /** Learning rate (the start of `lrSchedule`). */
  lr: number;
  /** Learning rate over the run: constant, or linear from `lr` to `end` (see `LearningRateScheduleConfig`). */
  lrSchedule: LearningRateScheduleConfig;
  /** Adam ε (PyTorch default 1e-8). */
  adamEps: number;
  /** RMSprop smoothing constant α (PyTorch default 0.99). */
  rmspropAlpha: number;
  /** RMSprop ε (PyTorch default 1e-8). */
  rmspropEps: number;
  /** SGD/RMSprop momentum. */
  momentum: number;
  /** Discount factor γ. */
  gamma: number;
  /** Transitions per gradient step. */
  batchSize: number;
  /** Replay capacity in transitions. */
  bufferSize: number;
  /** Environment steps of pure exploration before learning starts. */
  learningStarts: number;
  /** Environment steps (summed over vector envs) between updates. */
  trainFreq: number;
  /** Gradient steps per update. */
  gradientSteps: number;
  /** Environment steps between hard target-network copies (ignored when `tau` < 1 or `targetUpdateOnEpisodeEnd`). */
  targetUpdateInterval: number;
  /** Polyak coefficient: target ← τ·online + (1−τ)·target every `targetUpdateInterval` steps; 1 = hard copy. */
  tau: number;
  /** Copy the target network at every episode end instead (the LunarLander notebook). */
  targetUpdateOnEpisodeEnd: boolean;
  /** ε-greedy schedule (ignored with `noisy`: NoisyNets explore through their noise). */
  exploration: ExplorationConfig;
  /** ε during evaluation (0 = greedy). */
  evalEpsilon: number;
  /** Clip the gradient's global 2-norm to this; null = no clipping. */
  maxGradNorm: number | null;
  /**
   * τ of a moving average of the online weights, which evaluation, `act` and saved models
   * use; null = off (they use the online weights). After gradient step t the average moves
   * by max(τ, 1/t) toward the online weights: a plain mean of every step's weights until
   * 1/t falls below τ, then an exponential one over about 1/τ steps. Exploration and the
   * TD targets keep the online and target networks (weight averaging as in Nikishin et al.
   * 2018, "Improving Stability in Deep RL with Weight Averaging").
   */
  weightAveragingTau: number | null;
  /** Seed of every random choice in the run. */
  seed: number;
  /** Environments stepped in lockstep; actions are chosen as one batch. */
  numEnvs: number;
}

export const DEFAULT_DQN_CONFIG: Readonly<DQNConfig> = Object.freeze({
  algorithm: "dqn",
  quantiles: 200,
  atoms: 51,
  vMin: -10,
  vMax: 10,
  numTauSamples: 8,
  numTauPrimeSamples: 8,
  numQuantileSamples: 32,
  cosEmbeddingDim: 64,
  munchausenTau: 0.03,
  munchausenAlpha: 0.9,
  munchausenL0: -1,
  noisy: false,
  noisySigma0: 0.5,
  augment: "none",
  augmentPad: 4,
  network: { kind: "mlp", hidden: [64, 64] },
  double: false,
  nStep: 1,
  prioritized: false,
  priorityAlpha: 0.6,
  priorityBeta: 0.4,
  priorityEps: 1e-6,
  loss: "huber",
  huberBeta: 1,
  optimizer: "adam",
  lr: 1e-4,
  lrSchedule: { kind: "constant" },
  adamEps: 1e-8,
  rmspropAlpha: 0.99,
  rmspropEps: 1e-8,
  momentum: 0,
  gamma: 0.99,
  batchSize: 32,
  bufferSize: 1_000_000,
  learningStarts: 100,
  trainFreq: 4,
  gradientSteps: 1,
  targetUpdateInterval: 10_000,
  tau: 1,
  targetUpdateOnEpisodeEnd: false,
  exploration: { kind: "linear", start: 1, end: 0.05, fraction: 0.1 },
  evalEpsilon: 0,
  maxGradNorm: 10,
  weightAveragingTau: null,
  seed: 0,
  numEnvs: 1,
}) as DQNConfig;

type Check = (v: unknown) => string | null;

const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : "a positive integer");
const nonNegInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : "a non-negative integer");
const positive: Check = (v) => (typeof v === "number" && v > 0 && Number.isFinite(v) ? null : "a positive number");
const nonNeg: Check = (v) => (typeof v === "number" && v >= 0 && Number.isFinite(v) ? null : "a non-negative number");
const unit: Check = (v) => (typeof v === "number" && v >= 0 && v <= 1 ? null : "a number in [0, 1]");
const unitOpenLow: Check = (v) => (typeof v === "number" && v > 0 && v <= 1 ? null : "a number in (0, 1]");
const finite: Check = (v) => (typeof v === "number" && Number.isFinite(v) ? null : "a finite number");
const nonPositive: Check = (v) => (typeof v === "number" && v <= 0 && Number.isFinite(v) ? null : "a number ≤ 0");
const bool: Check = (v) => (typeof v === "boolean" ? null : "true or false");
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    xs.includes(v as string) ? null : `one of ${xs.join(", ")}`;

const CHECKS: Record<keyof DQNConfig, Check> = {
  algorithm: oneOf(...ALGORITHM_NAMES),
  network: checkNetwork,
  double: bool,
  nStep: positiveInt,
  prioritized: bool,
  priorityAlpha: nonNeg,
  priorityBeta: unit,
  priorityEps: positive,
  loss: oneOf("mse", "huber"),
  huberBeta: positive,
  optimizer: oneOf("adam", "rmsprop", "sgd"),
  lr: positive,
  lrSchedule: checkLrSchedule,
  adamEps: positive,
  rmspropAlpha: unit,
  rmspropEps: positive,
  momentum: unit,
  gamma: unit,
  batchSize: positiveInt,
  bufferSize: positiveInt,
  learningStarts: nonNegInt,
  trainFreq: positiveInt,
  gradientSteps: positiveInt,
  targetUpdateInterval: positiveInt,
  tau: unitOpenLow,
  targetUpdateOnEpisodeEnd: bool,
  exploration: checkExploration,
  evalEpsilon: unit,
  maxGradNorm: (v) => (v === null ? null : positive(v) === null ? null : "a positive number or null"),
  weightAveragingTau: (v) => (v === null || unitOpenLow(v) === null ? null : "a number in (0, 1] or null"),
  seed: nonNegInt,
  numEnvs: positiveInt,

  // Keys of particular algorithms and options last, so messages list the common ones first.
  quantiles: positiveInt,
  atoms: (v) => (Number.isInteger(v) && (v as number) >= 2 ? null : "an integer ≥ 2"),
  vMin: finite,
  vMax: finite,
  numTauSamples: positiveInt,
  numTauPrimeSamples: positiveInt,
  numQuantileSamples: positiveInt,
  cosEmbeddingDim: positiveInt,
  munchausenTau: positive,
  munchausenAlpha: nonNeg,
  munchausenL0: nonPositive,
  noisy: bool,
  noisySigma0: nonNeg,
  augment: oneOf("none", "shift"),
  augmentPad: positiveInt,
};

function checkNetwork(v: unknown): string | null {
  const allowed =
    'an object { kind: "mlp", hidden: [sizes…], activation?: "relu" | "leaky_relu", dueling?: boolean } or { kind: "nature-cnn" | "small-cnn", dueling?: boolean, dropout?: p in [0, 1) } or { kind: "custom", name } (with a network factory)';
  if (v === null || typeof v !== "object") return allowed;
  const n = v as Record<string, unknown>;
  if (n.kind === "custom") {
    const extraCustom = Object.keys(n).filter((k) => k !== "kind" && k !== "name");
    if (extraCustom.length) return `{ kind: "custom", name } (unknown field ${brief(extraCustom[0], 40)})`;
    return typeof n.name === "string" && n.name.length > 0 && n.name.length <= 200 ? null : '{ kind: "custom", name: a non-empty string }';
  }
  const extra = Object.keys(n).filter((k) => !["kind", "hidden", "activation", "dueling", "dropout"].includes(k));
  if (extra.length) return `${allowed} (unknown field ${brief(extra[0], 40)})`;
  if (n.dueling !== undefined && typeof n.dueling !== "boolean") return allowed;
  if (n.kind === "mlp") {
    if (!Array.isArray(n.hidden) || !n.hidden.every((h) => Number.isInteger(h) && h > 0)) return allowed;
    if (n.activation !== undefined && n.activation !== "relu" && n.activation !== "leaky_relu") return allowed;
    return n.dropout === undefined ? null : `${allowed} (dropout is a CNN option)`;
  }
  if (n.kind === "nature-cnn" || n.kind === "small-cnn") {
    if (n.dropout !== undefined && !(typeof n.dropout === "number" && n.dropout >= 0 && n.dropout < 1)) return `${allowed} (dropout must be in [0, 1))`;
    return n.hidden === undefined && n.activation === undefined ? null : allowed;
  }
  return allowed;
}

function checkLrSchedule(v: unknown): string | null {
  const allowed = '{ kind: "constant" } or { kind: "linear", end ≥ 0, steps? | fraction? }';
  if (v === null || typeof v !== "object") return allowed;
  const e = v as Record<string, unknown>;
  const fields = e.kind === "linear" ? ["kind", "end", "steps", "fraction"] : ["kind"];
  const extra = Object.keys(e).filter((k) => !fields.includes(k));
  if (extra.length) return `${allowed} (unknown field ${brief(extra[0], 40)})`;
  if (e.kind === "constant") return null;
  if (e.kind !== "linear") return allowed;
  if (nonNeg(e.end)) return `${allowed} (end must be a non-negative number)`;
  return checkDuration(e, allowed);
}

/** A linear schedule's length: `steps` or `fraction` of the run, at most one of them. */
function checkDuration(e: Record<string, unknown>, allowed: string): string | null {
  if (e.steps !== undefined && positiveInt(e.steps)) return `${allowed} (steps must be a positive integer)`;
  if (e.fraction !== undefined && unitOpenLow(e.fraction)) return `${allowed} (fraction must be in (0, 1])`;
  if (e.steps !== undefined && e.fraction !== undefined) return `${allowed} (give steps or fraction, not both)`;
  return null;
}

function checkExploration(v: unknown): string | null {
  const allowed = '{ kind: "linear", start, end, steps? | fraction? } or { kind: "exponential", start, end, decay, per: "step" | "episode" }';
  if (v === null || typeof v !== "object") return allowed;
  const e = v as Record<string, unknown>;
  const fields = e.kind === "exponential" ? ["kind", "start", "end", "decay", "per"] : ["kind", "start", "end", "steps", "fraction"];
  const extra = Object.keys(e).filter((k) => !fields.includes(k));
  if (extra.length) return `${allowed} (unknown field ${brief(extra[0], 40)})`;
  if (unit(e.start) || unit(e.end)) return `${allowed} with start and end in [0, 1]`;
  if (e.kind === "linear") return checkDuration(e, allowed);
  if (e.kind === "exponential") {
    if (unitOpenLow(e.decay)) return `${allowed} (decay must be in (0, 1])`;
    return e.per === "step" || e.per === "episode" ? null : allowed;
  }
  return allowed;
}

/**
 * Fills defaults and validates: unknown keys and bad values throw errors that name
 * the key, the value and what is allowed.
 */
export function resolveDQNConfig(partial: Partial<DQNConfig> = {}): DQNConfig {
  if (partial === null || typeof partial !== "object" || Array.isArray(partial)) {
    throw new Error(`DQN config: expected an object of hyperparameters, got ${brief(partial)}`);
  }
  const out: Record<string, unknown> = structuredClone(DEFAULT_DQN_CONFIG);
  for (const [key, value] of Object.entries(partial)) {
    // Own keys only: `in` would let inherited names ("constructor", "__proto__") through.
    if (!Object.hasOwn(CHECKS, key)) {
      const keys = Object.keys(CHECKS);
      throw new Error(
        `DQN config: unknown key ${brief(key, 40)}; allowed: ${keys.slice(0, 24).join(", ")}, … and ${keys.length - 24} more (\`deepq list\` shows them all)`,
      );
    }
    if (value === undefined) continue;
    const problem = CHECKS[key as keyof DQNConfig](value);
    if (problem !== null) throw new Error(`DQN config: ${key} = ${brief(value)} is invalid; expected ${problem}`);
    out[key] = structuredClone(value);
  }
  const cfg = out as unknown as DQNConfig;
  if (cfg.batchSize > cfg.bufferSize) {
    throw new Error(`DQN config: batchSize ${cfg.batchSize} exceeds bufferSize ${cfg.bufferSize}`);
  }
  const combination = ALGORITHMS[cfg.algorithm].validate(cfg);
  if (combination !== null) throw new Error(`DQN config: ${combination}`);
  return cfg;
}

/** Keys of DQNConfig, for `--set key=value` and `deepq list`. */
export const DQN_CONFIG_KEYS = Object.keys(CHECKS) as (keyof DQNConfig)[];
