/**
 * IQN (Dabney et al. 2018, "Implicit Quantile Networks"), as Dopamine computes it
 * (`dopamine/jax/agents/implicit_quantile/implicit_quantile_agent.py`: `target_quantile_values`,
 * `train`): the network maps (s, τ) to the τ-quantile of each action's return, τ ~ U[0, 1) drawn
 * afresh for every pass and sample; Q is the mean over K fractions (acting and the target's
 * action selection, on the target net — or the online net with `double`); the target quantiles
 * are R + γ^n·(1 − done)·Z_target(s′, a*; τ′_j) for N′ fractions τ′; the loss is the quantile
 * Huber loss with κ = 1 over the N online fractions τ_i:
 *   e[b, j, i] = target[b, j] − Z(s, a; τ_i),  ρ = |τ_i − 1{e < 0}|·huber(e)/κ,
 * summed over i, averaged over j, then over the batch. The fractions come from their own seeded
 * stream, saved in checkpoints.
 */
import {
  type Arena,
  BufferCache,
  cnnBody,
  type HeadLayout,
  LeakyReLU,
  Linear,
  type Module,
  NoisyLinear,
  ReLU,
  Rng,
  Sequential,
  type Tensor,
} from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec, TrainingBatch } from "../types.js";
import { Algorithm, type AlgorithmSettings, type AlgorithmState, type BatchInputs, type ForwardRole, type QNetworks, streamState } from "./base.js";
import { dopamineInit, ImplicitQuantileNetwork } from "./iqn-network.js";
import { quantileHuberBatch } from "./quantile-huber.js";

/** Seed of a run's τ stream: distinct from its init (seed), exploration (2·seed + 1) and noise (4·seed + 2) streams. */
const tauSeed = (seed: number): number => seed * 4 + 3;

/** Fills `taus` (a pass's fractions, [B × samples]) for the pass `role`. */
export type TauSource = (role: ForwardRole, taus: Float32Array) => void;

const ROLES: readonly ForwardRole[] = ["act", "greedy", "online", "target", "select"];

export class IQN extends Algorithm {
  /** τ samples N of the online pass (the other passes use N′ and K). */
  readonly outputsPerAction: number;
  override readonly layout: HeadLayout = "atom-major";
  /** Replaces the seeded sampler when set (tests inject recorded fractions). */
  tauSource: TauSource | null = null;
  private readonly tauRng: Rng;
  /** Each role's fraction buffers by length, so passes allocate nothing after warm-up. */
  private readonly tauBuffers = new Map<ForwardRole, Map<number, Float32Array>>(ROLES.map((r) => [r, new Map()]));
  /** The fractions of the last online pass: the τ_i of the loss. */
  private lossTaus: Float32Array = new Float32Array(0);
  private readonly grads: BufferCache;
  private targets = new Float32Array(0);
  private nextActions = new Int32Array(0);
  private perSample = new Float32Array(0);
  private grad: Tensor | null = null;

  constructor(spec: DQNSpec, config: DQNConfig, arena: Arena) {
    super(spec, config, arena);
    this.outputsPerAction = config.numTauSamples;
    this.tauRng = new Rng(tauSeed(config.seed));
    this.grads = new BufferCache(arena);
  }

  /**
   * Dopamine's network on the configured body: an MLP's hidden layers (the head's hidden width is
   * the last of them), or a CNN's conv stack flattened (hidden width its fc size, 512 or 256);
   * Dopamine's initialiser; with `noisy`, the head's two layers are NoisyNet layers.
   */
  override buildNetwork(seed: number): Module {
    const net = this.config.network;
    if (net.kind === "custom") throw new Error('algorithm "iqn" builds its own network and takes no network factory');
    const shape = this.spec.observationShape;
    const rng = new Rng(seed);
    const arena = this.arena;
    let features: Module;
    let featureDim: number;
    let hidden: number;
    if (net.kind === "mlp") {
      if (shape.length !== 1)
        throw new Error(`network "mlp" needs flat observations, got shape [${shape.join(", ")}]; use "nature-cnn" or "small-cnn" for images`);
      const sizes = [shape[0]!, ...net.hidden];
      const layers: Module[] = [];
      for (let i = 0; i + 1 < sizes.length; i++) {
        layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { rng, arena }), net.activation === "leaky_relu" ? new LeakyReLU(0.01, arena) : new ReLU(arena));
      }
      features = new Sequential(layers, arena);
      featureDim = sizes[sizes.length - 1]!;
      hidden = featureDim;
    } else {
      if (shape.length !== 3) throw new Error(`network "${net.kind}" needs [channels, height, width] observations, got [${shape.join(", ")}]`);
      const [c, h, w] = shape as [number, number, number];
      const body = cnnBody(net.kind, c, { rng, arena, height: h, width: w, noise: this.noise, ...(net.dropout ? { dropout: net.dropout } : {}) });
      features = new Sequential(body.layers, arena);
      featureDim = body.width;
      hidden = body.fc;
    }
    const sigma0 = this.config.noisy ? this.config.noisySigma0 : null;
    const linear = (i: number, o: number): Module =>
      sigma0 === null ? new Linear(i, o, { rng, arena }) : new NoisyLinear(i, o, { rng, arena, noise: this.noise, sigma0 });
    const iqn = new ImplicitQuantileNetwork(features, featureDim, {
      embeddingDim: this.config.cosEmbeddingDim,
      hidden,
      nActions: this.nActions,
      linear,
      rng,
      arena,
    });
    dopamineInit(iqn, rng);
    return iqn;
  }

  override modelSettings(): AlgorithmSettings {
    const { numTauSamples, numTauPrimeSamples, numQuantileSamples, cosEmbeddingDim } = this.config;
    return { ...super.modelSettings(), numTauSamples, numTauPrimeSamples, numQuantileSamples, cosEmbeddingDim };
  }

  /** Samples the pass's fractions — N (online), N′ (target) or K (acting, selection) per observation — then runs it. */
  override forward(net: Module, x: Tensor, role: ForwardRole): Tensor {
    if (!(net instanceof ImplicitQuantileNetwork)) throw new TypeError(`IQN: expected an ImplicitQuantileNetwork, got ${net.describe()}`);
    const { numTauSamples: nTau, numTauPrimeSamples: nTauPrime, numQuantileSamples: k } = this.config;
    const count = role === "online" ? nTau : role === "target" ? nTauPrime : k;
    const len = x.shape[0]! * count;
    const buffers = this.tauBuffers.get(role)!;
    let taus = buffers.get(len);
    if (taus === undefined) {
      taus = new Float32Array(len);
      buffers.set(len, taus);
    }
    if (this.tauSource !== null) this.tauSource(role, taus);
    // U[0, 1) in float32: 24 random bits, exactly representable (never rounds up to 1).
    else this.tauRng.fillUniform24(taus);
    if (role === "online") this.lossTaus = taus;
    net.setQuantileFractions(taus, count);
    return super.forward(net, x, role);
  }

  /** Expected Q: the mean over the rows' samples (how many follows from the row length). */
  actionValues(out: Float32Array, n: number, q: Float32Array): void {
    const na = this.nActions;
    const samples = out.length / (n * na);
    if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`IQN: ${out.length} outputs do not split into ${n} rows of samples × ${na} actions`);
    const width = samples * na;
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < na; a++) {
        let s = 0;
        for (let j = 0; j < samples; j++) s += out[b * width + j * na + a]!;
        q[b * na + a] = s / samples;
      }
    }
  }

  computeTargets(nets: QNetworks, { nextObs }: BatchInputs, batch: TrainingBatch): void {
    const n = batch.size;
    const na = this.nActions;
    const nPrime = this.config.numTauPrimeSamples;
    if (this.nextActions.length < n) {
      this.nextActions = new Int32Array(n);
      this.targets = new Float32Array(n * nPrime);
    }
    const next = this.nextActions;
    this.greedyActions(this.forward(this.config.double ? nets.online : nets.target, nextObs, "select").data, n, next);
    const zt = this.forward(nets.target, nextObs, "target").data;
    const width = nPrime * na;
    for (let b = 0; b < n; b++) {
      const scale = batch.discounts[b]! * (1 - batch.dones[b]!);
      const r = batch.rewards[b]!;
      const o = b * width + next[b]!;
      for (let j = 0; j < nPrime; j++) this.targets[b * nPrime + j] = r + scale * zt[o + j * na]!;
    }
  }

  /** The target quantiles [n × N′] of the last `computeTargets`. */
  lastTargets(n: number): Float32Array {
    return this.targets.subarray(0, n * this.config.numTauPrimeSamples);
  }

  /** The greedy next actions a* of the last `computeTargets`. */
  lastNextActions(n: number): Int32Array {
    return this.nextActions.subarray(0, n);
  }

  /**
   * mean_b w_b·Σ_i mean_j |τ_i − 1{e_bji < 0}|·huber_κ(e_bji)/κ with e_bji = target_bj − Z(s_b, a_b; τ_bi),
   * τ_bi the last online pass's fractions; each sample's term is its priority.
   */
  loss(out: Tensor, batch: TrainingBatch, weights: Float32Array | undefined): number {
    const n = batch.size;
    const na = this.nActions;
    const nTau = this.config.numTauSamples;
    const nPrime = this.config.numTauPrimeSamples;
    const width = nTau * na;
    if (out.shape.length !== 2 || out.shape[0] !== n || out.shape[1] !== width) {
      throw new RangeError(`IQN loss: expected quantiles [${n}, ${width}] from the online pass, got [${out.shape.join(", ")}]`);
    }
    if (this.lossTaus.length !== n * nTau) throw new Error(`IQN loss: the last online pass had ${this.lossTaus.length} fractions, expected ${n}×${nTau}`);
    const gradT = this.grads.get(n, width);
    if (this.perSample.length < n) this.perSample = new Float32Array(n);
    // Views after the allocation: it may grow the memory.
    const loss = quantileHuberBatch(
      "IQN",
      out.data,
      gradT.data,
      batch.actions,
      weights,
      n,
      na,
      nTau,
      this.lossTaus,
      nTau,
      this.targets,
      nPrime,
      this.perSample,
    );
    this.grad = gradT;
    return loss;
  }

  get dOut(): Tensor {
    if (this.grad === null) throw new Error("IQN: dOut read before loss()");
    return this.grad;
  }

  get tdErrors(): Float32Array {
    return this.perSample;
  }

  override algorithmState(): AlgorithmState {
    return { ...super.algorithmState(), taus: this.tauRng.state() };
  }

  override restoreAlgorithmState(state: AlgorithmState): void {
    super.restoreAlgorithmState(state);
    this.tauRng.setState(streamState(state, "taus"));
  }
}

/** Why a configuration cannot run IQN (one line naming the keys), or null. */
export function validateIQN(c: DQNConfig): string | null {
  if (c.network.kind === "custom") return 'algorithm "iqn" cannot use a custom network: its head takes a quantile embedding besides the observation';
  return c.network.dueling
    ? 'algorithm "iqn" cannot use network.dueling: its head is the product of state and quantile embeddings (Dopamine\'s ImplicitQuantileNetwork)'
    : null;
}
