/**
 * Segment trees over a fixed number of leaves, for proportional prioritized replay
 * (Schaul et al. 2016): a sum tree (prefix-sum search in O(log n)) and a min tree (the
 * smallest priority, for the max importance weight). Both live in one Float64Array
 * each, heap-ordered: node 1 is the root, node i has children 2i and 2i+1, and the
 * leaves are nodes [size, 2·size), size the leaf count rounded up to a power of two.
 *
 * Every update recomputes the parents from their children (no running deltas), so the
 * sums never drift however many updates run.
 */
/** The shared heap layout: leaves, `combine` of two children, and the `identity` of empty leaves. */
abstract class SegmentTree {
  /** Leaves that can be set: [0, capacity). */
  readonly capacity: number;
  protected readonly size: number;
  protected readonly nodes: Float64Array;
  /** The leaves [0, capacity) as a view (read-only by contract: write through `set`). */
  readonly leafView: Float64Array;

  constructor(who: string, capacity: number, private readonly identity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`${who}: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    this.nodes = new Float64Array(2 * size).fill(identity);
    this.leafView = this.nodes.subarray(size, size + capacity);
  }

  protected abstract combine(a: number, b: number): number;

  get(index: number): number {
    return this.nodes[this.size + index]!;
  }

  /** Sets leaf `index` to `value` and recomputes its ancestors. */
  set(index: number, value: number): void {
    const nodes = this.nodes;
    let i = this.size + index;
    nodes[i] = value;
    i >>= 1;
    while (i >= 1) {
      nodes[i] = this.combine(nodes[2 * i]!, nodes[2 * i + 1]!);
      i >>= 1;
    }
  }

  /** Sets all leaves from `values` (length capacity) and rebuilds the inner nodes in O(n). */
  setAll(values: ArrayLike<number>): void {
    const nodes = this.nodes;
    nodes.fill(this.identity);
    for (let i = 0; i < this.capacity; i++) nodes[this.size + i] = values[i]!;
    for (let i = this.size - 1; i >= 1; i--) nodes[i] = this.combine(nodes[2 * i]!, nodes[2 * i + 1]!);
  }
}

export class SumTree extends SegmentTree {
  constructor(capacity: number) {
    super("SumTree", capacity, 0);
  }

  protected combine(a: number, b: number): number {
    return a + b;
  }

  /** Σ of all leaves. */
  get total(): number {
    return this.nodes[1]!;
  }

  /**
   * The leaf where the running prefix sum passes `u` ∈ [0, total): the smallest i with
   * Σ_{j≤i} leaf_j > u. It always returns a leaf with a positive value (when total > 0),
   * also when rounding puts `u` at or past the total.
   */
  find(u: number): number {
    const nodes = this.nodes;
    let i = 1;
    while (i < this.size) {
      const left = 2 * i;
      const l = nodes[left]!;
      if (u < l || nodes[left + 1]! <= 0) {
        i = left;
      } else {
        u -= l;
        i = left + 1;
      }
    }
    return i - this.size;
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

  protected combine(a: number, b: number): number {
    return a < b ? a : b;
  }

  /** min of all leaves (+∞ when none is set). */
  get min(): number {
    return this.nodes[1]!;
  }
}
