/**
 * Segment trees over a fixed number of leaves, for proportional prioritized replay
 * (Schaul et al. 2016): a sum tree (prefix-sum search in O(log n)) and a min tree (the
 * smallest priority, for the max importance weight). Both live in one Float64Array
 * each, heap-ordered: node 1 is the root, node i has children 2i and 2i+1, and the
 * leaves are nodes [size, 2·size), size the leaf count rounded up to a power of two.
 *
 * Every update recomputes the parents from their children (no running deltas), so the
 * sums never drift however many updates run.
 *
 * The hot paths (`setFrom`, `findAll`) take and give doubles only through typed arrays:
 * a double passed to or returned from a call the optimizer does not inline is boxed in a
 * fresh heap number, and whether it inlines depends on compile timing, so a per-value API
 * allocated on every update in some processes and not in others.
 */
/** The shared heap layout: leaves, the recomputation of ancestors, and the `identity` of empty leaves. */
abstract class SegmentTree {
  /** Leaves that can be set: [0, capacity). */
  readonly capacity: number;
  protected readonly size: number;
  protected readonly nodes: Float64Array;
  /** The leaves [0, capacity) as a view (read-only by contract: write through `set`/`setFrom`). */
  readonly leafView: Float64Array;
  /** The root node (Σ or min of all leaves) as a one-element view, read-only: for hot loops, where a getter's double may be boxed. */
  readonly root: Float64Array;

  constructor(
    who: string,
    capacity: number,
    private readonly identity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`${who}: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    this.nodes = new Float64Array(2 * size).fill(identity);
    this.leafView = this.nodes.subarray(size, size + capacity);
    this.root = this.nodes.subarray(1, 2);
  }

  /** Recomputes the ancestors of leaf `index` from their children. */
  protected abstract propagate(index: number): void;

  get(index: number): number {
    return this.nodes[this.size + index]!;
  }

  /** Sets leaf `index` to `value` and recomputes its ancestors (cold paths; loops use `setFrom`). */
  set(index: number, value: number): void {
    this.nodes[this.size + index] = value;
    this.propagate(index);
  }

  /** Sets leaf `index` to `values[at]` and recomputes its ancestors. */
  setFrom(index: number, values: Float64Array, at: number): void {
    this.nodes[this.size + index] = values[at]!;
    this.propagate(index);
  }

  /** Sets leaf `index` back to the empty value (0 for sums, +∞ for minima). */
  clear(index: number): void {
    this.nodes[this.size + index] = this.identity;
    this.propagate(index);
  }

  /** Sets all leaves from `values` (length capacity) and rebuilds the inner nodes in O(n). */
  setAll(values: ArrayLike<number>): void {
    const nodes = this.nodes;
    nodes.fill(this.identity);
    for (let i = 0; i < this.capacity; i++) nodes[this.size + i] = values[i]!;
    for (let i = this.size - 1; i >= 1; i--) this.propagateNode(i);
  }

  /** Recomputes inner node `i` from its two children. */
  protected abstract propagateNode(i: number): void;
}

export class SumTree extends SegmentTree {
  private readonly one = new Float64Array(1);
  private readonly oneIndex = new Int32Array(1);

  constructor(capacity: number) {
    super("SumTree", capacity, 0);
  }

  protected propagate(index: number): void {
    const nodes = this.nodes;
    for (let i = (this.size + index) >> 1; i >= 1; i >>= 1) nodes[i] = nodes[2 * i]! + nodes[2 * i + 1]!;
  }

  protected propagateNode(i: number): void {
    this.nodes[i] = this.nodes[2 * i]! + this.nodes[2 * i + 1]!;
  }

  /** Σ of all leaves. */
  get total(): number {
    return this.nodes[1]!;
  }

  /** `findAll` for one prefix sum `u` (cold paths and tests). */
  find(u: number): number {
    this.one[0] = u;
    this.findAll(this.one, 1, this.oneIndex);
    return this.oneIndex[0]!;
  }

  /**
   * For each of `prefixes[0, count)` = u, the leaf where the running prefix sum passes u ∈
   * [0, total): the smallest i with Σ_{j≤i} leaf_j > u, written to `out`. It always gives
   * a leaf with a positive value (when total > 0), also when rounding puts u at or past
   * the total.
   */
  findAll(prefixes: Float64Array, count: number, out: Int32Array): void {
    const nodes = this.nodes;
    const size = this.size;
    for (let k = 0; k < count; k++) {
      let u = prefixes[k]!;
      let i = 1;
      while (i < size) {
        const left = 2 * i;
        const l = nodes[left]!;
        if (u < l || nodes[left + 1]! <= 0) {
          i = left;
        } else {
          u -= l;
          i = left + 1;
        }
      }
      out[k] = i - size;
    }
  }

  /** The leaves [0, capacity) (a copy). */
  leaves(): Float64Array {
    return this.nodes.slice(this.size, this.size + this.capacity);
  }
}

export class MinTree extends SegmentTree {
  constructor(capacity: number) {
    super("MinTree", capacity, Number.POSITIVE_INFINITY);
  }

  protected propagate(index: number): void {
    const nodes = this.nodes;
    for (let i = (this.size + index) >> 1; i >= 1; i >>= 1) {
      const a = nodes[2 * i]!;
      const b = nodes[2 * i + 1]!;
      nodes[i] = a < b ? a : b;
    }
  }

  protected propagateNode(i: number): void {
    const a = this.nodes[2 * i]!;
    const b = this.nodes[2 * i + 1]!;
    this.nodes[i] = a < b ? a : b;
  }

  /** min of all leaves (+∞ when none is set). */
  get min(): number {
    return this.nodes[1]!;
  }
}
