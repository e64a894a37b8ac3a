/** What agents and algorithms exchange with the trainer. */

/** What the agent needs to know about the env. */
export interface DQNSpec {
  /** One observation: [n] for vectors, [stack, H, W] for uint8 frame stacks. */
  observationShape: readonly number[];
  /** float32 vectors, or uint8 images scaled to [0, 1] once per batch. */
  observationType: "float32" | "uint8";
  nActions: number;
}

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
