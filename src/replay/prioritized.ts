/**
 * Proportional prioritized replay (Schaul et al. 2016, "Prioritized Experience Replay")
 * over any `TransitionStore` — the vector `ReplayBuffer` or the frame-deduplicating
 * `ImageReplayBuffer`. The store keeps the transitions; this class keeps one priority per
 * storage index in a sum tree (sampling ∝ p^α) and a min tree (the largest importance
 * weight), and follows the store's writes and invalidations through its listener:
 *
 * - a new transition gets the largest priority seen so far (so it is replayed at least once);
 * - a transition the store can no longer sample (an image whose frames were overwritten)
 *   gets priority 0 and drops out of both trees;
 * - `updatePriorities(indices, tdErrors)` sets p = (|δ| + eps)^α after a learning step.
 *
 * Sampling is stratified: the total mass is cut into `batchSize` equal segments and one
 * index is drawn in each. Importance weights w_i = (N·P(i))^−β are divided by the largest
 * possible weight, (N·P_min)^−β, so they lie in (0, 1]; that reduces to (p_i / p_min)^−β.
 * β is annealed towards 1 by the caller (`per.beta = schedule(step)`, see `linearBeta`) or
 * passed per call.
 *
 * Random draws come from the store's generator, so one seed drives the whole replay and
 * the store's checkpoint carries the generator state.
 */
import { checkInt } from "./check.js";
import { MinTree, SumTree } from "./sum-tree.js";
import type { Json, ReplayArray, ReplayBatch, ReplayState, StoreListener, TransitionStore } from "./types.js";

type AnyBatch = ReplayBatch<Float32Array | Uint8Array>;

export interface PrioritizedReplayOptions {
  /** Priority exponent α (0 = uniform); default 0.6. */
  alpha?: number;
  /** Initial importance-sampling exponent β; default 0.4. */
  beta?: number;
  /** Added to |δ| so no transition gets priority 0; default 1e-6. */
  eps?: number;
}

/** β from `beta0` at step 0 linearly to 1 at `steps` (then 1), as in Schaul et al. */
export function linearBeta(beta0: number, steps: number): (step: number) => number {
  checkUnit("linearBeta: beta0", beta0);
  checkInt("linearBeta: steps", steps, 1);
  return (step: number) => (step >= steps ? 1 : beta0 + ((1 - beta0) * Math.max(0, step)) / steps);
}

const PRIORITIES = "priorities";

export class PrioritizedReplay<B extends AnyBatch> implements StoreListener {
  readonly store: TransitionStore<B>;
  readonly alpha: number;
  readonly eps: number;
  private betaValue: number;
  /** Largest (|δ| + eps) seen, before the α power; new transitions get it. */
  private maxPriority = 1;
  private readonly sums: SumTree;
  private readonly mins: MinTree;
  /** `sample`'s per-row draws, turned in place into prefix sums, and the leaves they find; reused. */
  private draws = new Float64Array(0);
  private found = new Int32Array(0);
  /** `updatePriorities`' new p^α values, reused: the trees take doubles through typed arrays (see sum-tree.ts). */
  private newPriorities = new Float64Array(0);
  /** maxPriority^α, the priority `written` gives a new transition. */
  private readonly newcomerPriority = new Float64Array(1);

  constructor(store: TransitionStore<B>, opts: PrioritizedReplayOptions = {}) {
    this.store = store;
    this.alpha = opts.alpha ?? 0.6;
    if (!(this.alpha >= 0) || !Number.isFinite(this.alpha)) throw new RangeError(`PrioritizedReplay: alpha must be a finite number ≥ 0, got ${opts.alpha}`);
    this.betaValue = checkUnit("PrioritizedReplay: beta", opts.beta ?? 0.4);
    this.eps = opts.eps ?? 1e-6;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) throw new RangeError(`PrioritizedReplay: eps must be a finite number > 0, got ${opts.eps}`);
    this.sums = new SumTree(store.capacity);
    this.mins = new MinTree(store.capacity);
    this.newcomerPriority[0] = this.maxPriority ** this.alpha;
    // A store that already holds transitions: give them all the initial maximum.
    for (let i = 0; i < store.capacity; i++) if (store.isValid(i)) this.written(i);
    store.setListener(this);
  }

  /** Current importance-sampling exponent, in [0, 1]. */
  get beta(): number {
    return this.betaValue;
  }

  set beta(value: number) {
    this.betaValue = checkUnit("PrioritizedReplay: beta", value);
  }

  get capacity(): number {
    return this.store.capacity;
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    return this.store.size;
  }

  /** Bytes of the store plus the two trees. */
  get memoryBytes(): number {
    let leaves = 1;
    while (leaves < this.store.capacity) leaves *= 2;
    return this.store.memoryBytes + 2 * 2 * leaves * 8;
  }

  /** Σ p^α over the sampleable transitions. */
  get totalPriority(): number {
    return this.sums.total;
  }

  /** p^α of storage index `index` (0 when it cannot be sampled). */
  priority(index: number): number {
    return this.sums.get(index);
  }

  createBatch(capacity: number): B {
    return this.store.createBatch(capacity);
  }

  /**
   * Draws `batchSize` transitions with P(i) = p_i^α / Σ p^α (stratified), fills `out`
   * and its `weights` with normalized importance weights for exponent `beta`.
   */
  sample(batchSize: number, out: B, beta: number = this.betaValue): void {
    checkInt("PrioritizedReplay.sample: batchSize", batchSize, 1);
    if (batchSize > out.capacity) {
      throw new RangeError(
        `PrioritizedReplay.sample: batchSize ${batchSize} exceeds the batch object's capacity ${out.capacity}; create it with createBatch(${batchSize})`,
      );
    }
    const stored = this.store.size;
    if (batchSize > stored) {
      throw new RangeError(`PrioritizedReplay.sample: batchSize ${batchSize} exceeds the ${stored} transitions that can be sampled; add more first`);
    }
    if (beta !== this.betaValue) checkUnit("PrioritizedReplay.sample: beta", beta);
    // Doubles cross no call here: draws, prefix sums, tree roots and leaves are all typed-array reads.
    const total = this.sums.root[0]!;
    const pMin = this.mins.root[0]!;
    const segment = total / batchSize;
    if (this.draws.length < batchSize) {
      this.draws = new Float64Array(batchSize);
      this.found = new Int32Array(batchSize);
    }
    const draws = this.draws;
    this.store.rng.fillUniform(draws, batchSize);
    for (let row = 0; row < batchSize; row++) draws[row] = (row + draws[row]!) * segment;
    this.sums.findAll(draws, batchSize, this.found);
    const leaves = this.sums.leafView;
    for (let row = 0; row < batchSize; row++) {
      const index = this.found[row]!;
      this.store.fill(index, row, out);
      out.weights[row] = beta === 0 ? 1 : (leaves[index]! / pMin) ** -beta;
    }
    out.size = batchSize;
  }

  /**
   * Sets p = (|δ| + eps)^α for the first `count` entries (default all) of `indices`
   * (as `sample` wrote them into `batch.indices`). Indices the store can no longer sample
   * are skipped. Call it before adding more transitions, or a reused slot would get the
   * priority of the transition it replaced.
   */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>, count: number = indices.length): void {
    checkInt("PrioritizedReplay.updatePriorities: count", count, 0, Math.min(indices.length, tdErrors.length));
    if (this.newPriorities.length < count) this.newPriorities = new Float64Array(count);
    const pas = this.newPriorities;
    for (let k = 0; k < count; k++) {
      const index = indices[k]!;
      const td = tdErrors[k]!;
      if (!Number.isFinite(td))
        throw new RangeError(`PrioritizedReplay.updatePriorities: tdErrors[${k}] is ${td}; priorities must be finite (did the loss diverge?)`);
      if (!Number.isInteger(index) || index < 0 || index >= this.store.capacity) {
        throw new RangeError(`PrioritizedReplay.updatePriorities: indices[${k}] must be an integer in [0, ${this.store.capacity}), got ${index}`);
      }
      if (!this.store.isValid(index)) continue;
      const p = Math.abs(td) + this.eps;
      if (p > this.maxPriority) {
        this.maxPriority = p;
        this.newcomerPriority[0] = p ** this.alpha;
      }
      pas[k] = p ** this.alpha;
      this.sums.setFrom(index, pas, k);
      this.mins.setFrom(index, pas, k);
    }
  }

  /** StoreListener: a new transition at `index` gets the largest priority so far. */
  written(index: number): void {
    this.sums.setFrom(index, this.newcomerPriority, 0);
    this.mins.setFrom(index, this.newcomerPriority, 0);
  }

  /** StoreListener: `index` can no longer be sampled. */
  invalidated(index: number): void {
    this.sums.clear(index);
    this.mins.clear(index);
  }

  /** The store's state plus the priorities (`arrays.priorities`, p^α per index) and α, max priority, β. */
  state(): ReplayState {
    const inner = this.store.state();
    if (PRIORITIES in inner.arrays) throw new Error(`PrioritizedReplay.state: the store already has an array named "${PRIORITIES}"`);
    const arrays: Record<string, ReplayArray> = { ...inner.arrays, [PRIORITIES]: this.sums.leaves() };
    const header: { [key: string]: Json } = {
      kind: "prioritized",
      version: 1,
      alpha: this.alpha,
      maxPriority: this.maxPriority,
      beta: this.betaValue,
      store: inner.header,
    };
    return { header, arrays };
  }

  /** Restores `state()` output: the store's contents and the priorities (α must match). */
  load(state: ReplayState): void {
    const who = "PrioritizedReplay.load";
    const h = state.header;
    if (h["kind"] !== "prioritized") throw new Error(`${who}: checkpoint kind is ${JSON.stringify(h["kind"])}, expected "prioritized"`);
    if (h["alpha"] !== this.alpha) throw new Error(`${who}: checkpoint has alpha ${JSON.stringify(h["alpha"])}, this replay has ${this.alpha}`);
    const maxPriority = h["maxPriority"];
    if (typeof maxPriority !== "number" || !(maxPriority > 0) || !Number.isFinite(maxPriority)) {
      throw new Error(`${who}: header field "maxPriority" must be a positive number, got ${JSON.stringify(maxPriority)}`);
    }
    const beta = h["beta"];
    if (typeof beta !== "number") throw new Error(`${who}: header field "beta" must be a number, got ${JSON.stringify(beta)}`);
    const storeHeader = h["store"];
    if (storeHeader === null || typeof storeHeader !== "object" || Array.isArray(storeHeader)) {
      throw new Error(`${who}: header field "store" must be an object`);
    }
    const leaves = state.arrays[PRIORITIES];
    if (!(leaves instanceof Float64Array) || leaves.length !== this.store.capacity) {
      throw new Error(
        `${who}: array "${PRIORITIES}" must be Float64Array[${this.store.capacity}], got ${leaves === undefined ? "nothing" : `${leaves.constructor.name}[${leaves.length}]`}`,
      );
    }
    const { [PRIORITIES]: _, ...storeArrays } = state.arrays;
    this.store.load({ header: storeHeader, arrays: storeArrays });
    this.sums.setAll(leaves);
    const mins = new Float64Array(leaves.length);
    for (let i = 0; i < leaves.length; i++) mins[i] = leaves[i]! > 0 ? leaves[i]! : Number.POSITIVE_INFINITY;
    this.mins.setAll(mins);
    this.maxPriority = maxPriority;
    this.newcomerPriority[0] = maxPriority ** this.alpha;
    this.beta = beta;
  }
}

function checkUnit(what: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${value}`);
  return value;
}
