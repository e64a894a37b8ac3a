/** Shapes shared by the replay storages and the prioritized sampler. */
import type { Xoshiro128 } from "./rng.js";

/**
 * A caller-owned minibatch, allocated once (`createBatch`) and refilled by every
 * `sample`, so steady-state training allocates nothing. Row `i` of every array is one
 * transition; arrays are sized for `capacity` rows and `size` says how many the last
 * `sample` filled.
 *
 * The TD target is `rewards[i] + discounts[i] * (1 - dones[i]) * V(nextObs[i])`:
 * `rewards` already holds the n-step return and `discounts` γ^n', so the agent needs
 * neither `gamma` nor `nStep` to form it.
 */
export interface ReplayBatch<Obs extends Float32Array | Uint8Array> {
  /** Rows the arrays hold. */
  readonly capacity: number;
  /** Rows filled by the last `sample` (≤ capacity). */
  size: number;
  /** s_t, row-major [capacity × obsSize]. */
  readonly obs: Obs;
  /** s_{t+n'}: the state to bootstrap from (the true final observation when the episode ended within n'). */
  readonly nextObs: Obs;
  /** a_t: [capacity] discrete actions. */
  readonly actions: Int32Array;
  /** R = Σ_{i<n'} γ^i r_{t+i}. */
  readonly rewards: Float32Array;
  /** 1 if the window ended by termination (no bootstrap), else 0 — truncation is not done. */
  readonly dones: Float32Array;
  /** γ^n', the factor on the bootstrap value. */
  readonly discounts: Float32Array;
  /** n' ≤ nStep: transitions summed into `rewards`. */
  readonly nSteps: Int32Array;
  /** Storage index of each row, to pass back to `PrioritizedReplay.updatePriorities`. */
  readonly indices: Int32Array;
  /** Importance-sampling weights (all 1 for uniform sampling). */
  readonly weights: Float32Array;
}

/** A batch of `capacity` rows around the given observation and action arrays; the other columns are fresh. */
export function createReplayBatch<Obs extends Float32Array | Uint8Array>(capacity: number, obs: Obs, nextObs: Obs): ReplayBatch<Obs> {
  return {
    capacity,
    size: 0,
    obs,
    nextObs,
    actions: new Int32Array(capacity),
    rewards: new Float32Array(capacity),
    dones: new Float32Array(capacity),
    discounts: new Float32Array(capacity),
    nSteps: new Int32Array(capacity),
    indices: new Int32Array(capacity),
    weights: new Float32Array(capacity),
  };
}

export type VectorBatch = ReplayBatch<Float32Array>;
/** Image batch: `obs`/`nextObs` are uint8 [capacity, stack, ...frameShape]; the agent scales to [0, 1] once per batch. */
export type ImageBatch = ReplayBatch<Uint8Array>;

/** JSON value, for checkpoint headers. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type ReplayArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A checkpoint: a JSON-able header (configuration, cursors, RNG state) plus the raw
 * contents as typed arrays, ready for safetensors. The arrays are the storage's own
 * (no copies — a 1e5-image buffer would otherwise double its memory to save), so
 * serialize them before adding more transitions.
 */
export interface ReplayState {
  header: { [key: string]: Json };
  arrays: Record<string, ReplayArray>;
}

/** Told about every change of a storage's index space; `PrioritizedReplay` keeps its trees in step through this. */
export interface StoreListener {
  /** A transition was written at `index` (it replaces whatever was there). */
  written(index: number): void;
  /** The transition at `index` can no longer be sampled (its frames were overwritten). */
  invalidated(index: number): void;
}

/**
 * What `PrioritizedReplay` needs from a storage: an index space [0, capacity), a
 * validity rule, a way to write one transition (with its n-step return) into a batch
 * row, and change notifications. Both `ReplayBuffer` and `ImageReplayBuffer` implement it.
 */
export interface TransitionStore<B extends ReplayBatch<Float32Array | Uint8Array>> {
  /** Size of the index space. */
  readonly capacity: number;
  /** Transitions that can be sampled now. */
  readonly size: number;
  /** The storage's generator; prioritized sampling draws from it too, so one seed drives every choice. */
  readonly rng: Xoshiro128;
  /** Bytes of all storage arrays at full capacity (whether or not allocated yet). */
  readonly memoryBytes: number;
  isValid(index: number): boolean;
  /** Writes transition `index` into row `row` of `out` (everything but `weights`). */
  fill(index: number, row: number, out: B): void;
  createBatch(capacity: number): B;
  setListener(listener: StoreListener | null): void;
  state(): ReplayState;
  load(state: ReplayState): void;
}
