/**
 * Uniform replay for vector observations (CartPole, LunarLander): a ring buffer on
 * preallocated typed arrays, as SB3's `ReplayBuffer` without `optimize_memory_usage`.
 *
 * `nextObs` is stored explicitly (twice the observation memory, which is small for
 * vector observations) rather than read from the next slot: the next slot belongs to
 * the next episode after a reset, and SB3's memory-optimised variant gets the final
 * observation wrong at truncation for exactly that reason.
 *
 * With `numEnvs` N the layout is SB3's [positions, N]: slot = position·N + env, so the
 * next step of the same env is N slots later — which is what n-step returns follow.
 */
import { checkGamma, checkHeader, checkInt, checkLength, checkSample, headerNumber, headerRng, loadArray } from "./check.js";
import { NStepReturn } from "./n-step.js";
import { Xoshiro128 } from "./rng.js";
import { createReplayBatch, type ReplayState, type StoreListener, type TransitionStore, type VectorBatch } from "./types.js";

/**
 * The checkpoint header's action field. Actions are discrete (int32), as the DQN family
 * needs; the field stays so checkpoints written when continuous actions were stored load.
 */
const DISCRETE_ACTIONS = { type: "discrete" };

export interface ReplayBufferOptions {
  /** Transitions kept (rounded down to a multiple of `numEnvs`, as SB3 does). */
  capacity: number;
  /** Length of one observation vector. */
  obsSize: number;
  /** Parallel envs fed through `addBatch`; default 1. */
  numEnvs?: number;
  /** n of the n-step return; default 1. */
  nStep?: number;
  /** Discount for the n-step return and the `discounts` column; default 0.99. */
  gamma?: number;
  /** Seed of the sampling generator; default 0. */
  seed?: number;
  /** Reward storage; default "float32" (the batch is float32 either way; float64 keeps n-step sums of tiny rewards exact). */
  rewardDtype?: "float32" | "float64";
}

export class ReplayBuffer implements TransitionStore<VectorBatch> {
  readonly capacity: number;
  readonly obsSize: number;
  readonly numEnvs: number;
  readonly nStep: number;
  readonly gamma: number;
  readonly rng: Xoshiro128;
  readonly memoryBytes: number;

  private readonly positions: number;
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array | Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly rewardDtype: "float32" | "float64";
  private readonly nStepReturn: NStepReturn;
  /** Next position to write. */
  private pos = 0;
  private full = false;
  private listener: StoreListener | null = null;
  /** `sample`'s drawn indices, reused (drawn as a batch: see `Xoshiro128.fillUniform`). */
  private picks = new Int32Array(0);

  constructor(opts: ReplayBufferOptions) {
    const who = "ReplayBuffer";
    this.numEnvs = checkInt(`${who}: numEnvs`, opts.numEnvs ?? 1, 1);
    checkInt(`${who}: capacity`, opts.capacity, this.numEnvs);
    this.positions = Math.floor(opts.capacity / this.numEnvs);
    this.capacity = this.positions * this.numEnvs;
    if (this.capacity > 2 ** 31 - 1) throw new RangeError(`${who}: capacity must be < 2^31 (indices are int32), got ${opts.capacity}`);
    this.obsSize = checkInt(`${who}: obsSize`, opts.obsSize, 1);
    this.nStep = checkInt(`${who}: nStep`, opts.nStep ?? 1, 1);
    this.gamma = checkGamma(who, opts.gamma ?? 0.99);
    this.rewardDtype = opts.rewardDtype ?? "float32";
    if (this.rewardDtype !== "float32" && this.rewardDtype !== "float64") {
      throw new RangeError(`${who}: rewardDtype must be "float32" or "float64", got ${JSON.stringify(this.rewardDtype)}`);
    }
    this.rng = new Xoshiro128(opts.seed ?? 0);

    const n = this.capacity;
    this.obs = new Float32Array(n * this.obsSize);
    this.nextObs = new Float32Array(n * this.obsSize);
    this.actions = new Int32Array(n);
    this.rewards = this.rewardDtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.nStepReturn = new NStepReturn(this.nStep, this.gamma, this.rewards, this.terminated, this.truncated);
    this.memoryBytes =
      this.obs.byteLength +
      this.nextObs.byteLength +
      this.actions.byteLength +
      this.rewards.byteLength +
      this.terminated.byteLength +
      this.truncated.byteLength;
  }

  /**
   * Bytes a buffer with these options allocates (it allocates everything up front),
   * computed without allocating: check before building a large buffer. Options are
   * validated as the constructor does.
   */
  static bytesFor(opts: ReplayBufferOptions): number {
    const numEnvs = checkInt("ReplayBuffer.bytesFor: numEnvs", opts.numEnvs ?? 1, 1);
    checkInt("ReplayBuffer.bytesFor: capacity", opts.capacity, numEnvs);
    const n = Math.floor(opts.capacity / numEnvs) * numEnvs;
    const obsSize = checkInt("ReplayBuffer.bytesFor: obsSize", opts.obsSize, 1);
    const rewardBytes = opts.rewardDtype === "float64" ? 8 : 4;
    return n * (2 * 4 * obsSize + 4 + rewardBytes + 2);
  }

  /** Bytes per stored transition. */
  get bytesPerTransition(): number {
    return this.memoryBytes / this.capacity;
  }

  /** Transitions stored (all of them can be sampled). */
  get size(): number {
    return this.full ? this.capacity : this.pos * this.numEnvs;
  }

  /**
   * Stores one transition (numEnvs = 1). `nextObs` must be the observation the step
   * returned, i.e. the final observation when the episode ended — not the reset one.
   */
  add(obs: ArrayLike<number>, action: number, reward: number, nextObs: ArrayLike<number>, terminated: boolean, truncated: boolean): void {
    if (this.numEnvs !== 1) throw new Error(`ReplayBuffer.add: this buffer has numEnvs ${this.numEnvs}; use addBatch`);
    checkLength("ReplayBuffer.add: obs", obs, this.obsSize);
    checkLength("ReplayBuffer.add: nextObs", nextObs, this.obsSize);
    const slot = this.pos;
    // The action is checked first, so a bad call leaves the buffer unchanged.
    if (!Number.isInteger(action)) throw new RangeError(`ReplayBuffer.add: discrete action must be an integer, got ${JSON.stringify(action)}`);
    this.actions[slot] = action;
    copyRow(obs, 0, this.obs, slot * this.obsSize, this.obsSize);
    copyRow(nextObs, 0, this.nextObs, slot * this.obsSize, this.obsSize);
    this.rewards[slot] = reward;
    this.terminated[slot] = terminated ? 1 : 0;
    this.truncated[slot] = truncated ? 1 : 0;
    this.advance();
  }

  /**
   * Stores one step of N vector envs. `obs`/`nextObs` are [N × obsSize]; `actions` is
   * [N] like the rest. For an env that just ended, `nextObs`
   * must hold its final observation (Gymnasium's `final_obs`), not the auto-reset one.
   */
  addBatch(
    obs: ArrayLike<number>,
    actions: ArrayLike<number>,
    rewards: ArrayLike<number>,
    nextObs: ArrayLike<number>,
    terminated: ArrayLike<boolean | number>,
    truncated: ArrayLike<boolean | number>,
  ): void {
    const n = this.numEnvs;
    const d = this.obsSize;
    checkLength("ReplayBuffer.addBatch: obs", obs, n * d);
    checkLength("ReplayBuffer.addBatch: nextObs", nextObs, n * d);
    checkLength("ReplayBuffer.addBatch: actions", actions, n);
    checkLength("ReplayBuffer.addBatch: rewards", rewards, n);
    checkLength("ReplayBuffer.addBatch: terminated", terminated, n);
    checkLength("ReplayBuffer.addBatch: truncated", truncated, n);
    const base = this.pos * n;
    copyRow(obs, 0, this.obs, base * d, n * d);
    copyRow(nextObs, 0, this.nextObs, base * d, n * d);
    for (let e = 0; e < n; e++) {
      this.actions[base + e] = actions[e]!;
      this.rewards[base + e] = rewards[e]!;
      this.terminated[base + e] = terminated[e] ? 1 : 0;
      this.truncated[base + e] = truncated[e] ? 1 : 0;
    }
    this.advance();
  }

  /** Samples `batchSize` transitions uniformly, with replacement (as SB3/CleanRL), into `out`. */
  sample(batchSize: number, out: VectorBatch): void {
    const stored = this.size;
    checkSample("ReplayBuffer", batchSize, out, stored);
    // Valid slots are exactly [0, size): positions fill from 0 and, once full, all are valid.
    if (this.picks.length < batchSize) this.picks = new Int32Array(batchSize);
    this.rng.fillBelow(this.picks, batchSize, stored);
    for (let row = 0; row < batchSize; row++) {
      this.fill(this.picks[row]!, row, out);
      out.weights[row] = 1;
    }
    out.size = batchSize;
  }

  isValid(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.capacity && (this.full || Math.floor(index / this.numEnvs) < this.pos);
  }

  /** Writes transition `index` with its n-step return (see `NStepReturn`) into row `row`. */
  fill(index: number, row: number, out: VectorBatch): void {
    const n = this.numEnvs;
    const p = Math.floor(index / n);
    const env = index - p * n;
    const newer = (this.pos - 1 - p + this.positions) % this.positions;
    const last = this.nStepReturn.write(env, p, this.positions, n, newer + 1, out, row);
    const d = this.obsSize;
    copyRow(this.obs, index * d, out.obs, row * d, d);
    copyRow(this.nextObs, last * d, out.nextObs, row * d, d);
    out.actions[row] = this.actions[index]!;
    out.indices[row] = index;
  }

  /** Allocates a batch object for up to `capacity` rows; do this once and reuse it. */
  createBatch(capacity: number): VectorBatch {
    checkInt("ReplayBuffer.createBatch: capacity", capacity, 1);
    return createReplayBatch(capacity, new Float32Array(capacity * this.obsSize), new Float32Array(capacity * this.obsSize));
  }

  setListener(listener: StoreListener | null): void {
    this.listener = listener;
  }

  /** Contents, cursor and RNG state; the arrays are the live storage (see `ReplayState`). */
  state(): ReplayState {
    return {
      header: {
        kind: "vector",
        version: 1,
        capacity: this.capacity,
        obsSize: this.obsSize,
        numEnvs: this.numEnvs,
        action: DISCRETE_ACTIONS,
        rewardDtype: this.rewardDtype,
        pos: this.pos,
        full: this.full,
        rng: this.rng.getState(),
      },
      arrays: {
        obs: this.obs,
        nextObs: this.nextObs,
        actions: this.actions,
        rewards: this.rewards,
        terminated: this.terminated,
        truncated: this.truncated,
      },
    };
  }

  /**
   * Restores `state()` output into this buffer, which must have the same storage layout
   * (capacity, obsSize, numEnvs, action, rewardDtype); nStep and gamma are this buffer's.
   */
  load(state: ReplayState): void {
    const who = "ReplayBuffer";
    const own = this.state();
    for (const f of ["kind", "version", "capacity", "obsSize", "numEnvs", "action", "rewardDtype"]) checkHeader(who, state, f, own.header[f]);
    const pos = headerNumber(who, state, "pos");
    checkInt(`${who}.load: pos`, pos, 0, this.positions - 1);
    const full = state.header["full"];
    if (typeof full !== "boolean") throw new Error(`${who}.load: header field "full" must be a boolean, got ${JSON.stringify(full)}`);
    const rng = headerRng(who, state);
    for (const name of Object.keys(own.arrays)) loadArray(who, state, name, own.arrays[name]!);
    this.rng.setState(rng);
    this.pos = pos;
    this.full = full;
  }

  private advance(): void {
    const base = this.pos * this.numEnvs;
    this.pos++;
    if (this.pos === this.positions) {
      this.pos = 0;
      this.full = true;
    }
    if (this.listener !== null) for (let e = 0; e < this.numEnvs; e++) this.listener.written(base + e);
  }
}

function copyRow(src: ArrayLike<number>, srcOff: number, dst: Float32Array, dstOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
}
