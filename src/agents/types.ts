/** What agents and algorithms exchange with the trainer. */
import type { Module } from "../nn/module.js";
import type { Arena } from "../nn/tensor.js";

/** What the agent needs to know about the env. */
export interface DQNSpec {
  /** One observation: [n] for vectors, [stack, H, W] for uint8 frame stacks. */
  observationShape: readonly number[];
  /** float32 vectors, or uint8 images scaled to [0, 1] once per batch. */
  observationType: "float32" | "uint8";
  nActions: number;
}

/** What a custom network factory is given: the env's spec and where its tensors must live. */
export interface NetworkContext {
  observationShape: readonly number[];
  nActions: number;
  /** Outputs per observation the head must give: nActions × the algorithm's outputs per action (1 for DQN). */
  outputs: number;
  /** Seed for the initial weights (the online and target networks get the same). */
  seed: number;
  /** The arena the agent computes in: build every layer with `{ arena }`. */
  arena: Arena;
}

/**
 * A user-built Q-network: a module mapping [n, ...observationShape] to [n, outputs]. Called
 * twice per agent (online and target network) with the same seed.
 */
export type NetworkFactory = (ctx: NetworkContext) => Module;

/** A minibatch as the replay buffers fill it (row-major, `size` rows used). */
export interface TrainingBatch {
  size: number;
  obs: Float32Array | Uint8Array;
  nextObs: Float32Array | Uint8Array;
  actions: Int32Array;
  /** n-step return R. */
  rewards: Float32Array;
  /** 1 where the window ended by termination (no bootstrap). */
  dones: Float32Array;
  /** γ^n' per row. */
  discounts: Float32Array;
  /** Importance weights (all 1 for uniform replay). */
  weights: Float32Array;
}
