/**
 * Modules with explicit forward and backward passes (Lua Torch style). A module keeps
 * what its backward pass needs from the most recent forward pass, owns its parameters
 * (each with a `.grad` that backward accumulates into, as in PyTorch), and allocates
 * its output and gradient buffers once per batch size.
 */
import { briefList } from "../util/text.js";
import { type SafeTensor, toFloat32 } from "./safetensors.js";
import { type Arena, defaultArena, formatShape, Tensor } from "./tensor.js";

/** A trainable tensor and its gradient (same shape, zero at creation). */
export class Parameter extends Tensor {
  readonly grad: Tensor;

  constructor(arena: Arena, shape: readonly number[]) {
    super(arena, arena.alloc(shape.reduce((a, b) => a * b, 1) * 4), shape);
    this.data.fill(0);
    this.grad = arena.tensor(shape);
  }
}

/** An integer buffer saved as an I64 scalar (BatchNorm's `num_batches_tracked`). */
export class Counter {
  value = 0;
}

export type StateValue = Tensor | Counter;

export interface LoadOptions {
  /** Reject missing and unexpected keys (default true, as PyTorch). */
  strict?: boolean;
}

/** What `loadStateDict` did not load, as PyTorch's `load_state_dict` returns it. */
export interface LoadResult {
  /** This module's names that the state dict lacks (left unchanged). */
  missingKeys: string[];
  /** The state dict's names this module does not have (ignored). */
  unexpectedKeys: string[];
}

/**
 * Output/gradient buffers keyed by batch size, so alternating batch sizes (act, update) allocate
 * nothing after warm-up: dimensions are passed as numbers, not arrays, so a call creates no shape.
 */
export class BufferCache {
  private readonly map = new Map<number, Tensor>();

  constructor(private readonly arena: Arena) {}

  /** The buffer of shape [n, d1, d2?, d3?]; contents are whatever was last written. */
  get(n: number, d1: number, d2?: number, d3?: number): Tensor {
    let t = this.map.get(n);
    if (t === undefined) {
      const shape = d2 === undefined ? [n, d1] : d3 === undefined ? [n, d1, d2] : [n, d1, d2, d3];
      t = this.arena.tensor(shape);
      this.map.set(n, t);
    }
    return t;
  }

  /** The buffer of `x`'s shape, by its batch size x.shape[0]. */
  like(x: Tensor): Tensor {
    const n = x.shape[0]!;
    let t = this.map.get(n);
    if (t === undefined) {
      t = this.arena.tensor([...x.shape]);
      this.map.set(n, t);
    }
    return t;
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  // A loop, not `every` with a closure: backward checks shapes on every call.
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export abstract class Module {
  training = true;
  /** Whether backward computes the gradient with respect to the input (off for a network's first layer). */
  protected inputGrad = true;

  /** The source of the last `copyFrom`/`softUpdateFrom` and its entries paired with this module's. */
  private paired: ({ src: Module } & StatePairs) | null = null;

  constructor(readonly arena: Arena = defaultArena()) {}

  abstract forward(x: Tensor): Tensor;
  /** Accumulates parameter gradients and returns dLoss/dInput, or null when input gradients are disabled. */
  abstract backward(dOut: Tensor): Tensor | null;
  /** Short description used in error messages, e.g. `Linear(8→64)`. */
  abstract describe(): string;

  /** Direct sub-modules with their state-dict names. */
  children(): ReadonlyArray<readonly [string, Module]> {
    return [];
  }

  /** This module's own parameters and buffers, in PyTorch state-dict order. */
  protected localState(): ReadonlyArray<readonly [string, StateValue]> {
    return [];
  }

  /** Turns the input-gradient computation on or off (a network's first layer needs none). */
  setInputGrad(on: boolean): this {
    this.inputGrad = on;
    return this;
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, c] of this.children()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Every parameter and buffer with its full dotted name, in state-dict order. */
  namedState(prefix = ""): Array<[string, StateValue]> {
    const out: Array<[string, StateValue]> = [];
    for (const [name, v] of this.localState()) out.push([prefix + name, v]);
    for (const [name, c] of this.children()) out.push(...c.namedState(`${prefix}${name}.`));
    return out;
  }

  namedParameters(prefix = ""): Array<[string, Parameter]> {
    return this.namedState(prefix).filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
  }

  parameters(): Parameter[] {
    return this.namedParameters().map((e) => e[1]);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad.data.fill(0);
  }

  /** Copies of the parameters and buffers under PyTorch names: F32 tensors, I64 scalar counters. */
  stateDict(): Map<string, SafeTensor> {
    const sd = new Map<string, SafeTensor>();
    for (const [name, v] of this.namedState()) {
      if (v instanceof Counter) sd.set(name, { dtype: "I64", shape: [], data: BigInt64Array.of(BigInt(v.value)) });
      else sd.set(name, { dtype: "F32", shape: [...v.shape], data: v.data.slice() });
    }
    return sd;
  }

  /**
   * Loads parameters and buffers by name. Float tensors of any float dtype are converted
   * to float32; shapes must match exactly. With `strict` (default) missing and unexpected
   * keys are errors, listed together; without it they are returned, as PyTorch returns
   * them, and a state dict that matches none of the names is still an error (it loads nothing).
   */
  loadStateDict(sd: ReadonlyMap<string, SafeTensor>, opts: LoadOptions = {}): LoadResult {
    const strict = opts.strict ?? true;
    const mine = this.namedState();
    const names = new Set(mine.map((e) => e[0]));
    const missingKeys = mine.map((e) => e[0]).filter((n) => !sd.has(n));
    const unexpectedKeys = [...sd.keys()].filter((n) => !names.has(n));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys: ${briefList(missingKeys)}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${briefList(unexpectedKeys)}`);
      throw new Error(`loadStateDict into ${this.describe()}: ${parts.join("; ")}`);
    }
    if (mine.length > 0 && missingKeys.length === mine.length) {
      throw new Error(
        `loadStateDict into ${this.describe()}: none of the ${sd.size} keys matched (expected names like ${briefList(
          mine.map((e) => e[0]),
          3,
        )}; got ${sd.size > 0 ? briefList([...sd.keys()], 3) : "an empty state dict"})`,
      );
    }
    // Validate everything before writing anything, so a failed load leaves the module unchanged.
    const writes: Array<() => void> = [];
    for (const [name, v] of mine) {
      const t = sd.get(name);
      if (t === undefined) continue;
      if (v instanceof Counter) {
        if (t.shape.length !== 0 && !(t.shape.length === 1 && t.shape[0] === 1)) {
          throw new Error(`loadStateDict: size mismatch for "${name}": expected a scalar [], got [${briefList(t.shape, 6)}]`);
        }
        const value = Number(t.data[0]!);
        writes.push(() => (v.value = value));
        continue;
      }
      if (!sameShape(t.shape, v.shape)) {
        throw new Error(`loadStateDict: size mismatch for "${name}": expected ${formatShape(v.shape)}, got [${briefList(t.shape, 6)}]`);
      }
      if (t.dtype !== "F32" && t.dtype !== "F64" && t.dtype !== "F16" && t.dtype !== "BF16") {
        throw new Error(`loadStateDict: "${name}" has dtype ${t.dtype}; expected a float dtype (F32, F64, F16, BF16)`);
      }
      const data = t.dtype === "F32" ? (t.data as Float32Array) : toFloat32(t);
      writes.push(() => v.data.set(data));
    }
    for (const w of writes) w();
    return { missingKeys, unexpectedKeys };
  }

  /** Copies all parameters and buffers from a module of the same architecture (target-network sync). */
  copyFrom(src: Module): void {
    const { tensors, counters } = this.pairsWith(src, "copyFrom");
    for (let i = 0; i < tensors.length; i++) tensors[i]![0].data.set(tensors[i]![1].data);
    for (let i = 0; i < counters.length; i++) counters[i]![0].value = counters[i]![1].value;
  }

  /**
   * Polyak averaging: p ← p + tau·(p_src − p) for parameters and float buffers, in float32
   * (PyTorch's `lerp_` formula for weights below ½); counters are copied; tau = 1 is `copyFrom`. Repeated calls with the same
   * source (every target update, or every gradient step for a weight average) allocate nothing.
   */
  softUpdateFrom(src: Module, tau: number): void {
    if (!(tau >= 0 && tau <= 1)) throw new RangeError(`softUpdateFrom: tau must be in [0, 1], got ${tau}`);
    if (tau === 1) {
      this.copyFrom(src);
      return;
    }
    if (src.arena !== this.arena) throw new Error(`softUpdateFrom: ${src.describe()} lives in another arena than ${this.describe()}`);
    const { tensors, counters } = this.pairsWith(src, "softUpdateFrom");
    for (let i = 0; i < tensors.length; i++) {
      const [dst, s] = tensors[i]!;
      // The SGD kernel with weight decay −1 steps along g + wd·p = p_src − p; a step of −tau moves p toward p_src.
      this.arena.kernels.sgdStep(dst.ptr, s.ptr, 0, dst.size, -tau, 0, 0, -1, 0, 0);
    }
    for (let i = 0; i < counters.length; i++) counters[i]![0].value = counters[i]![1].value;
  }

  /** This module's state entries paired with `src`'s, built and checked once per source. */
  private pairsWith(src: Module, op: string): StatePairs {
    if (this.paired?.src !== src) this.paired = { src, ...pairState(this, src, op) };
    return this.paired;
  }
}

interface StatePairs {
  tensors: Array<readonly [Tensor, Tensor]>;
  counters: Array<readonly [Counter, Counter]>;
}

/** `dst`'s state entries paired with `src`'s, checked to match in name, kind and shape; errors name `op`. */
function pairState(dst: Module, src: Module, op: string): StatePairs {
  const a = dst.namedState();
  const b = src.namedState();
  if (a.length !== b.length) {
    throw new Error(`${op}: ${src.describe()} has ${b.length} state entries, ${dst.describe()} has ${a.length}`);
  }
  const out: StatePairs = { tensors: [], counters: [] };
  for (let i = 0; i < a.length; i++) {
    const [name, d] = a[i]!;
    const [srcName, s] = b[i]!;
    if (name !== srcName) throw new Error(`${op}: state entry ${i} is "${srcName}" in the source but "${name}" here`);
    if (d instanceof Counter || s instanceof Counter) {
      if (!(d instanceof Counter && s instanceof Counter)) throw new Error(`${op}: "${name}" differs in kind`);
      out.counters.push([d, s]);
      continue;
    }
    if (!sameShape(d.shape, s.shape)) {
      throw new Error(`${op}: size mismatch for "${name}": source ${formatShape(s.shape)}, destination ${formatShape(d.shape)}`);
    }
    out.tensors.push([d, s]);
  }
  return out;
}

/** Checks the rank and the non-batch dimensions of a module's input. */
export function checkInput(m: Module, x: Tensor, expected: ReadonlyArray<number | null>): void {
  let ok = x.shape.length === expected.length;
  // A loop, not `every` with a closure: this runs on every forward pass.
  for (let i = 0; ok && i < expected.length; i++) ok = expected[i] === null || expected[i] === x.shape[i];
  if (!ok) {
    const want = `[${expected.map((d) => (d === null ? "N" : String(d))).join(", ")}]`;
    throw new RangeError(`${m.describe()}: expected input ${want}, got ${formatShape(x.shape)}`);
  }
}

/** Checks that a gradient has the shape of the output it belongs to. */
export function checkGrad(m: Module, dOut: Tensor, out: Tensor | null): Tensor {
  if (out === null) throw new Error(`${m.describe()}: backward called before forward`);
  if (!sameShape(dOut.shape, out.shape)) {
    throw new RangeError(`${m.describe()}.backward: expected dOut ${formatShape(out.shape)} (the last output), got ${formatShape(dOut.shape)}`);
  }
  return out;
}

/** Modules applied in order; children are named "0", "1", … as in torch.nn.Sequential. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(layers: Module[], arena?: Arena) {
    super(arena ?? layers[0]?.arena);
    if (layers.length === 0) throw new RangeError("Sequential: needs at least one module");
    for (const l of layers) {
      if (l.arena !== this.arena) throw new Error(`Sequential: ${l.describe()} lives in a different arena`);
    }
    this.layers = layers;
  }

  override children(): ReadonlyArray<readonly [string, Module]> {
    return this.layers.map((l, i) => [String(i), l] as const);
  }

  override setInputGrad(on: boolean): this {
    this.inputGrad = on;
    this.layers[0]!.setInputGrad(on);
    return this;
  }

  forward(x: Tensor): Tensor {
    // Indexed: a `for…of` iterator may be allocated per call when the optimizer does not remove it.
    for (let i = 0; i < this.layers.length; i++) x = this.layers[i]!.forward(x);
    return x;
  }

  backward(dOut: Tensor): Tensor | null {
    let g: Tensor | null = dOut;
    for (let i = this.layers.length - 1; i >= 0 && g !== null; i--) g = this.layers[i]!.backward(g);
    return g;
  }

  describe(): string {
    return `Sequential(${this.layers.map((l) => l.describe()).join(", ")})`;
  }
}

export class ReLU extends Module {
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  private y: Tensor | null = null;

  constructor(arena?: Arena) {
    super(arena);
    this.outs = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  forward(x: Tensor): Tensor {
    const y = this.outs.like(x);
    this.arena.kernels.relu(x.ptr, y.ptr, x.size);
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    const y = checkGrad(this, dOut, this.y);
    if (!this.inputGrad) return null;
    const dx = this.grads.like(dOut);
    this.arena.kernels.reluBackward(y.ptr, dOut.ptr, dx.ptr, y.size);
    return dx;
  }

  describe(): string {
    return "ReLU()";
  }
}

export class LeakyReLU extends Module {
  private readonly outs: BufferCache;
  private readonly grads: BufferCache;
  private x: Tensor | null = null;
  private y: Tensor | null = null;

  constructor(
    readonly negativeSlope = 0.01,
    arena?: Arena,
  ) {
    super(arena);
    if (!Number.isFinite(negativeSlope)) throw new RangeError(`LeakyReLU: negativeSlope must be finite, got ${negativeSlope}`);
    this.outs = new BufferCache(this.arena);
    this.grads = new BufferCache(this.arena);
  }

  forward(x: Tensor): Tensor {
    const y = this.outs.like(x);
    this.arena.kernels.leakyRelu(x.ptr, y.ptr, x.size, this.negativeSlope);
    this.x = x;
    return (this.y = y);
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.y);
    if (!this.inputGrad) return null;
    const x = this.x!;
    const dx = this.grads.like(dOut);
    this.arena.kernels.leakyReluBackward(x.ptr, dOut.ptr, dx.ptr, x.size, this.negativeSlope);
    return dx;
  }

  describe(): string {
    return `LeakyReLU(${this.negativeSlope})`;
  }
}

/** [N, d1, d2, …] → [N, d1·d2·…]; a view, no copy. */
export class Flatten extends Module {
  private readonly views = new Map<number, Tensor>();
  private inShape: readonly number[] | null = null;
  private out: Tensor | null = null;

  forward(x: Tensor): Tensor {
    this.inShape = x.shape;
    const n = x.shape[0]!;
    const features = x.size / Math.max(1, n);
    // The cached view checked by number, before any shape array is made for a new one.
    const v = this.views.get(x.ptr);
    if (v !== undefined && v.shape.length === 2 && v.shape[0] === n && v.shape[1] === features) return (this.out = v);
    return (this.out = this.view(x, [n, features]));
  }

  backward(dOut: Tensor): Tensor | null {
    checkGrad(this, dOut, this.out);
    return this.inputGrad ? this.view(dOut, this.inShape!) : null;
  }

  /** Views are cached by pointer: a batch size's buffers never move, so steady state allocates nothing. */
  private view(t: Tensor, shape: readonly number[]): Tensor {
    const v = this.views.get(t.ptr);
    if (v !== undefined && sameShape(v.shape, shape)) return v;
    const nv = t.reshape(shape);
    this.views.set(t.ptr, nv);
    return nv;
  }

  describe(): string {
    return "Flatten()";
  }
}
