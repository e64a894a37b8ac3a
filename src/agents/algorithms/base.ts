/**
 * The algorithm seam of the DQN family, after Dopamine: an algorithm is the base learner
 * with a few parts overridden — its network head (outputs per action), its target, its loss
 * and its greedy action. `DQNAgent` owns the networks, the optimizer, acting, target updates
 * and checkpoints, and calls only what is declared here, so neither the agent nor the
 * trainer, replay, model files or CLI know which algorithm runs.
 */
import {
  argmaxAt, duelingMlp, duelingNatureCnn, duelingSmallCnn, mlp, natureCnn, smallCnn,
  type Arena, type HeadLayout, type Module, type Tensor,
} from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec, TrainingBatch } from "../types.js";

/** The algorithm and the hyperparameters that shape its head (what a model file records). */
export type AlgorithmSettings = Pick<DQNConfig, "algorithm"> & Partial<DQNConfig>;

/** The networks an algorithm computes with. */
export interface QNetworks {
  online: Module;
  target: Module;
}

/**
 * Which pass a forward call is, for algorithms whose networks take more than the
 * observation (IQN samples its quantile fractions per pass).
 */
export type ForwardRole = "act" | "online" | "target" | "select";

export abstract class Algorithm {
  /** Outputs of the head per action: 1 for Q-values, the atoms or quantiles of a distributional head. */
  abstract readonly outputsPerAction: number;
  /** How those outputs are laid out in a row (only matters when `outputsPerAction` > 1). */
  readonly layout: HeadLayout = "action-major";
  protected readonly nActions: number;
  private actionQ = new Float32Array(0);

  constructor(readonly spec: DQNSpec, readonly config: DQNConfig, protected readonly arena: Arena) {
    this.nActions = spec.nActions;
  }

  /** The configured network (`config.network`) with nActions × outputsPerAction outputs. */
  buildNetwork(seed: number): Module {
    const net = this.config.network;
    const { observationShape: shape, nActions } = this.spec;
    const outputs = nActions * this.outputsPerAction;
    const head = { atoms: this.outputsPerAction, layout: this.layout };
    if (net.kind === "mlp") {
      if (shape.length !== 1) {
        throw new Error(`network "mlp" needs flat observations, got shape [${shape.join(", ")}]; use "nature-cnn" or "small-cnn" for images`);
      }
      const opts = { seed, arena: this.arena, activation: net.activation ?? "relu", ...head } as const;
      return net.dueling ? duelingMlp([shape[0]!, ...net.hidden], nActions, opts) : mlp([shape[0]!, ...net.hidden, outputs], opts);
    }
    if (shape.length !== 3) {
      throw new Error(`network "${net.kind}" needs [channels, height, width] observations, got [${shape.join(", ")}]`);
    }
    const [c, h, w] = shape as [number, number, number];
    const opts = { seed, arena: this.arena, height: h, width: w, ...head };
    if (net.kind === "nature-cnn") return net.dueling ? duelingNatureCnn(c, nActions, opts) : natureCnn(c, outputs, opts);
    return net.dueling ? duelingSmallCnn(c, nActions, opts) : smallCnn(c, outputs, opts);
  }

  /**
   * The settings a model file records besides the network so that loading rebuilds the same
   * head and greedy action: the algorithm's name, plus its head-shaping hyperparameters.
   */
  modelSettings(): AlgorithmSettings {
    return { algorithm: this.config.algorithm };
  }

  /** Runs `net` on `x`; `role` says which pass it is (see `ForwardRole`). */
  forward(net: Module, x: Tensor, _role: ForwardRole): Tensor {
    return net.forward(x);
  }

  /** Expected Q-values [n × nActions] of the head's output rows `out` into `q`. */
  abstract actionValues(out: Float32Array, n: number, q: Float32Array): void;

  /** Computes the learning targets of `batch` from its next observations `xNext`, kept for `loss`. */
  abstract computeTargets(nets: QNetworks, xNext: Tensor, batch: TrainingBatch): void;

  /**
   * The loss of `out` = online(s) against the last targets, mean over the batch (each sample
   * weighted by `weights` when given: prioritized replay's importance weights). Leaves
   * dLoss/dout in `dOut` and each sample's error in `tdErrors`.
   */
  abstract loss(out: Tensor, batch: TrainingBatch, weights: Float32Array | undefined): number;

  /** dLoss/dout of the last `loss`, the shape of its `out`. */
  abstract get dOut(): Tensor;

  /** Per-sample error of the last `loss`; its magnitude sets prioritized-replay priorities. */
  abstract get tdErrors(): Float32Array;

  /** Expected Q-values of `n` output rows, [n × nActions] (a view reused by the next call). */
  protected expectedQ(out: Float32Array, n: number): Float32Array {
    const len = n * this.nActions;
    if (this.actionQ.length < len) this.actionQ = new Float32Array(len);
    const q = this.actionQ.subarray(0, len);
    this.actionValues(out, n, q);
    return q;
  }

  /** Mean of Q(s, a) over the batch for the taken actions (the logged health signal). */
  meanTakenQ(out: Float32Array, actions: Int32Array, n: number): number {
    const q = this.expectedQ(out, n);
    const na = this.nActions;
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * na + actions[i]!]!;
    return s / n;
  }

  /** Greedy actions (first maximum of the expected Q-values) of `n` output rows into `actions`. */
  greedyActions(out: Float32Array, n: number, actions: Int32Array): void {
    const q = this.expectedQ(out, n);
    const na = this.nActions;
    for (let i = 0; i < n; i++) actions[i] = argmaxAt(q, i * na, na);
  }
}
