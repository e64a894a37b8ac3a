/**
 * The implicit quantile network of Dopamine (`dopamine/jax/networks.py`,
 * `ImplicitQuantileNetwork`): a state body gives h [B, D]; each of a sample's S quantile
 * fractions τ is embedded as φ(τ) = ReLU(Linear(cos(i·π·τ), i = 1..E)) [D] (Dopamine's index
 * 1..E; the paper writes 0..E−1); the head Linear, ReLU, Linear maps h ⊙ φ(τ) to the τ-quantile
 * of every action's return. The output row of a sample is [S × actions], sample-major
 * (out[s·actions + a]), like QR-DQN's quantile-major head. State-dict names: `features.*`,
 * `cos_embedding.*`, `head.0.*`, `head.2.*`.
 */
import { type Arena, BufferCache, Conv2d, Linear, Module, ReLU, type Rng, Sequential, type Tensor } from "../../nn/index.js";
import { checkGrad } from "../../nn/module.js";

export interface ImplicitQuantileNetworkOptions {
  /** Cosine features E of the quantile embedding (Dopamine's 64). */
  embeddingDim: number;
  /** Width of the head's hidden layer. */
  hidden: number;
  nActions: number;
  /** Builds the head's fully connected layers (`NoisyLinear` for NoisyNets). */
  linear: (inFeatures: number, outFeatures: number) => Module;
  rng: Rng;
  arena: Arena;
}

/** Views of one buffer under another shape, cached by pointer (a batch size's buffers never move). */
class Views {
  private readonly map = new Map<number, Tensor>();

  /** `t` as [rows, cols]; the dimensions are numbers so that a cache hit allocates nothing. */
  of(t: Tensor, rows: number, cols: number): Tensor {
    const v = this.map.get(t.ptr);
    if (v !== undefined && v.shape[0] === rows && v.shape[1] === cols) return v;
    const nv = t.reshape([rows, cols]);
    this.map.set(t.ptr, nv);
    return nv;
  }
}

/**
 * Dopamine's initialiser, variance_scaling(1/√3, "fan_in", "uniform"): weights U(±√(√3/fan_in)),
 * zero biases, for every plain Linear and Conv2d of `m` (NoisyNet layers keep their own init).
 */
export function dopamineInit(m: Module, rng: Rng): void {
  if (m instanceof Linear || m instanceof Conv2d) {
    const fanIn = m.weight.size / m.weight.shape[0]!;
    const bound = Math.sqrt(Math.sqrt(3) / fanIn);
    const w = m.weight.data;
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    m.bias?.data.fill(0);
  }
  for (const [, c] of m.children()) dopamineInit(c, rng);
}

export class ImplicitQuantileNetwork extends Module {
  readonly cosEmbedding: Linear;
  readonly head: Sequential;
  readonly embeddingDim: number;
  readonly nActions: number;
  /**
   * fl(i·fl(π)) for i = 1..E, the float32 factors of the cosine arguments: PyTorch and JAX cast
   * the Python scalar π to float32 before multiplying (with double π, 1 argument in 5 lands an
   * ulp away, ~1.5e-5 near 64π).
   */
  private readonly piMultiples: Float32Array;
  private readonly embeddingReLU: ReLU;
  private readonly cosines: BufferCache;
  private readonly products: BufferCache;
  private readonly dEmbeddings: BufferCache;
  private readonly dStates: BufferCache;
  private readonly views = new Views();
  private taus: Float32Array = new Float32Array(0);
  private perSample = 0;
  private state: Tensor | null = null;
  private embedding: Tensor | null = null;
  private out: Tensor | null = null;

  constructor(
    readonly features: Module,
    readonly featureDim: number,
    opts: ImplicitQuantileNetworkOptions,
  ) {
    super(opts.arena);
    this.embeddingDim = opts.embeddingDim;
    this.nActions = opts.nActions;
    this.piMultiples = Float32Array.from({ length: opts.embeddingDim }, (_, i) => (i + 1) * Math.fround(Math.PI));
    this.cosEmbedding = new Linear(opts.embeddingDim, featureDim, { rng: opts.rng, arena: opts.arena }).setInputGrad(false);
    this.embeddingReLU = new ReLU(opts.arena);
    this.head = new Sequential([opts.linear(featureDim, opts.hidden), new ReLU(opts.arena), opts.linear(opts.hidden, opts.nActions)], opts.arena);
    this.cosines = new BufferCache(opts.arena);
    this.products = new BufferCache(opts.arena);
    this.dEmbeddings = new BufferCache(opts.arena);
    this.dStates = new BufferCache(opts.arena);
    this.setInputGrad(false);
  }

  override children(): ReadonlyArray<readonly [string, Module]> {
    return [
      ["features", this.features],
      ["cos_embedding", this.cosEmbedding],
      ["head", this.head],
    ];
  }

  override setInputGrad(on: boolean): this {
    this.inputGrad = on;
    this.features.setInputGrad(on);
    return this;
  }

  /** The quantile fractions of the next forward: `perSample` per observation, [B × perSample] row-major. */
  setQuantileFractions(taus: Float32Array, perSample: number): void {
    if (!Number.isInteger(perSample) || perSample < 1) throw new RangeError(`${this.describe()}: perSample must be a positive integer, got ${perSample}`);
    this.taus = taus;
    this.perSample = perSample;
  }

  /** The cosine features cos(fl(fl(i·fl(π))·τ)) [B·S, E] of the last forward (what the embedding saw). */
  get lastCosines(): Tensor {
    if (this.out === null) throw new Error(`${this.describe()}: no forward yet`);
    return this.cosines.get(this.out.shape[0]! * this.perSample, this.embeddingDim);
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0]!;
    const s = this.perSample;
    const rows = n * s;
    if (s === 0 || this.taus.length < rows) {
      throw new RangeError(
        `${this.describe()}: ${n} observation(s) need ${n}×${s || "S"} quantile fractions, got ${this.taus.length} (call setQuantileFractions first)`,
      );
    }
    const h = this.features.forward(x);
    const d = this.featureDim;
    const e = this.embeddingDim;
    const cos = this.cosines.get(rows, e);
    const cd = cos.data;
    const taus = this.taus;
    const pi = this.piMultiples;
    // The argument (i·π)·τ in float32, as Dopamine and PyTorch evaluate it.
    for (let r = 0; r < rows; r++) {
      const t = taus[r]!;
      for (let i = 0; i < e; i++) cd[r * e + i] = Math.cos(Math.fround(pi[i]! * t));
    }
    const phi = this.embeddingReLU.forward(this.cosEmbedding.forward(cos));
    const prod = this.products.get(rows, d);
    // Views after every allocation above: growing the memory detaches earlier ones.
    const hd = h.data;
    const pd = phi.data;
    const out = prod.data;
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < s; j++) {
        const r = b * s + j;
        for (let k = 0; k < d; k++) out[r * d + k] = hd[b * d + k]! * pd[r * d + k]!;
      }
    }
    this.state = h;
    this.embedding = phi;
    const z = this.head.forward(prod);
    return (this.out = this.views.of(z, n, s * this.nActions));
  }

  backward(dOut: Tensor): Tensor | null {
    const out = checkGrad(this, dOut, this.out);
    const n = out.shape[0]!;
    const s = this.perSample;
    const rows = n * s;
    const d = this.featureDim;
    const dProd = this.head.backward(this.views.of(dOut, rows, this.nActions))!;
    const dPhi = this.dEmbeddings.get(rows, d);
    const dh = this.dStates.get(n, d);
    const hd = this.state!.data;
    const pd = this.embedding!.data;
    const gp = dProd.data;
    const gphi = dPhi.data;
    const gh = dh.data;
    gh.fill(0);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < s; j++) {
        const r = b * s + j;
        for (let k = 0; k < d; k++) {
          gphi[r * d + k] = gp[r * d + k]! * hd[b * d + k]!;
          gh[b * d + k]! += gp[r * d + k]! * pd[r * d + k]!;
        }
      }
    }
    this.cosEmbedding.backward(this.embeddingReLU.backward(dPhi)!);
    return this.features.backward(dh);
  }

  describe(): string {
    return `ImplicitQuantileNetwork(${this.features.describe()}, cos ${this.embeddingDim}→${this.featureDim}, head ${this.head.describe()})`;
  }
}
