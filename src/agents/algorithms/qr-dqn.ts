/**
 * QR-DQN (Dabney et al. 2018), as sb3-contrib computes it (`sb3_contrib/qrdqn/qrdqn.py`,
 * `common/utils.py` `quantile_huber_loss`): the head gives N quantiles of the return per
 * action, laid out quantile-major (`view(B, N, actions)`, so an sb3-contrib state dict loads
 * as is); Q is their mean; the target is the N quantiles of R + γ^n·(1 − done)·Z_target(s', a*)
 * with a* greedy in expected Q (of the target net, or of the online net with `double`); the
 * loss is the quantile Huber loss with κ = 1 at the midpoints τ_i = (i + ½)/N.
 */
import { type Arena, BufferCache, type HeadLayout, type Tensor } from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec, TrainingBatch } from "../types.js";
import { Algorithm, type AlgorithmSettings, type BatchInputs, type QNetworks } from "./base.js";
import { quantileHuberBatch } from "./quantile-huber.js";

export class QRDQN extends Algorithm {
  readonly outputsPerAction: number;
  override readonly layout: HeadLayout = "atom-major";
  /** τ_i = (i + ½)/N in float32, as `(torch.arange(N) + 0.5) / N`. */
  readonly cumProb: Float32Array;
  private readonly grads: BufferCache;
  private targets = new Float32Array(0);
  private nextActions = new Int32Array(0);
  private perSample = new Float32Array(0);
  private grad: Tensor | null = null;

  constructor(spec: DQNSpec, config: DQNConfig, arena: Arena) {
    super(spec, config, arena);
    const nq = config.quantiles;
    this.outputsPerAction = nq;
    this.cumProb = new Float32Array(nq);
    for (let i = 0; i < nq; i++) this.cumProb[i] = Math.fround(Math.fround(i + 0.5) / nq);
    this.grads = new BufferCache(arena);
  }

  override modelSettings(): AlgorithmSettings {
    return { ...super.modelSettings(), quantiles: this.outputsPerAction };
  }

  actionValues(out: Float32Array, n: number, q: Float32Array): void {
    const na = this.nActions;
    const nq = this.outputsPerAction;
    const width = na * nq;
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < na; a++) {
        let s = 0;
        for (let i = 0; i < nq; i++) s += out[b * width + i * na + a]!;
        q[b * na + a] = s / nq;
      }
    }
  }

  computeTargets(nets: QNetworks, { nextObs: xNext }: BatchInputs, batch: TrainingBatch): void {
    const n = batch.size;
    const na = this.nActions;
    const nq = this.outputsPerAction;
    const width = na * nq;
    if (this.nextActions.length < n) {
      this.nextActions = new Int32Array(n);
      this.targets = new Float32Array(n * nq);
    }
    const next = this.nextActions;
    if (this.config.double) this.greedyActions(this.forward(nets.online, xNext, "select").data, n, next);
    const zt = this.forward(nets.target, xNext, "target").data;
    if (!this.config.double) this.greedyActions(zt, n, next);
    for (let b = 0; b < n; b++) {
      const scale = batch.discounts[b]! * (1 - batch.dones[b]!);
      const r = batch.rewards[b]!;
      const o = b * width + next[b]!;
      for (let j = 0; j < nq; j++) this.targets[b * nq + j] = r + scale * zt[o + j * na]!;
    }
  }

  /** The target quantiles [n × N] of the last `computeTargets`. */
  lastTargets(n: number): Float32Array {
    return this.targets.subarray(0, n * this.outputsPerAction);
  }

  /**
   * Σ_i mean_j |τ_i − 1{δ_ij < 0}|·huber_κ(δ_ij), δ_ij = target_j − Z(s, a)_i, averaged over the
   * batch (weighted per sample when `weights` is given); each sample's term is its priority.
   */
  loss(out: Tensor, batch: TrainingBatch, weights: Float32Array | undefined): number {
    const n = batch.size;
    const na = this.nActions;
    const nq = this.outputsPerAction;
    const width = na * nq;
    if (out.shape.length !== 2 || out.shape[0] !== n || out.shape[1] !== width) {
      throw new RangeError(`QR-DQN loss: expected quantiles [${n}, ${width}], got [${out.shape.join(", ")}]`);
    }
    const gradT = this.grads.get(n, width);
    if (this.perSample.length < n) this.perSample = new Float32Array(n);
    // Views after the allocation: it may grow the memory.
    const loss = quantileHuberBatch("QR-DQN", out.data, gradT.data, batch.actions, weights, n, na, nq, this.cumProb, 0, this.targets, nq, this.perSample);
    this.grad = gradT;
    return loss;
  }

  get dOut(): Tensor {
    if (this.grad === null) throw new Error("QR-DQN: dOut read before loss()");
    return this.grad;
  }

  get tdErrors(): Float32Array {
    return this.perSample;
  }
}
