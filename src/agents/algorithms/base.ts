/**
 * The algorithm seam of the DQN family, after Dopamine: an algorithm is the base learner
 * with a few parts overridden — its network head (outputs per action), its target, its loss
 * and its greedy action. `DQNAgent` owns the networks, the optimizer, acting, target updates
 * and checkpoints, and calls only what is declared here, so neither the agent nor the
 * trainer, replay, model files or CLI know which algorithm runs.
 */
import {
  type Arena,
  argmaxAt,
  Dropout,
  duelingMlp,
  duelingNatureCnn,
  duelingSmallCnn,
  type HeadLayout,
  Module,
  mlp,
  NoisyLinear,
  natureCnn,
  Rng,
  type RngState,
  smallCnn,
  type Tensor,
} from "../../nn/index.js";
import { brief } from "../../util/text.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec, NetworkFactory, TrainingBatch } from "../types.js";

/** The algorithm and the hyperparameters that shape its head (what a model file records). */
export type AlgorithmSettings = Pick<DQNConfig, "algorithm"> & Partial<DQNConfig>;

/** The generator states an algorithm needs to resume its random streams exactly (checkpoint JSON). */
export type AlgorithmState = Record<string, RngState>;

/** The networks an algorithm computes with. */
export interface QNetworks {
  online: Module;
  target: Module;
}

/** A batch's observations s and s′ as network inputs [n, …observationShape]. */
export interface BatchInputs {
  obs: Tensor;
  nextObs: Tensor;
}

/**
 * Which pass a forward call is. It decides the random parts of the pass — NoisyNet noise,
 * dropout masks, IQN's quantile fractions:
 * - `act`: the behaviour policy while training; noisy layers draw fresh noise, dropout is off;
 * - `greedy`: evaluation and deployment; noise-free (μ only), dropout off;
 * - `online`: online(s), the pass whose gradient is taken; this update's noise, dropout on;
 * - `target`: the target net on s'; this update's noise, dropout off;
 * - `select`: the pass that picks a* on s' (Double: the online net; IQN: its K-sample pass);
 *   this update's noise, dropout off.
 */
export type ForwardRole = "act" | "greedy" | "online" | "target" | "select";

/** A network's stochastic layers, found once per network. */
interface StochasticLayers {
  noisy: NoisyLinear[];
  dropout: Dropout[];
}

function stochasticLayers(net: Module): StochasticLayers {
  const found: StochasticLayers = { noisy: [], dropout: [] };
  const walk = (m: Module): void => {
    if (m instanceof NoisyLinear) found.noisy.push(m);
    if (m instanceof Dropout) found.dropout.push(m);
    for (const [, c] of m.children()) walk(c);
  };
  walk(net);
  return found;
}

/**
 * Seed of the noise stream (NoisyNet ε and dropout masks) of a run with `seed`: distinct from
 * the init stream (seed) and the exploration stream (2·seed + 1) of the same run.
 */
const noiseSeed = (seed: number): number => seed * 4 + 2;

/** The saved state of stream `name`, or an error naming it. */
export function streamState(state: AlgorithmState, name: string): RngState {
  const s = state[name];
  if (s === undefined) throw new Error(`checkpoint: the algorithm state has no "${name}" stream (saved by another algorithm?)`);
  return s;
}

export abstract class Algorithm {
  /** Outputs of the head per action: 1 for Q-values, the atoms or quantiles of a distributional head. */
  abstract readonly outputsPerAction: number;
  /** How those outputs are laid out in a row (only matters when `outputsPerAction` > 1). */
  readonly layout: HeadLayout = "action-major";
  protected readonly nActions: number;
  /** The stream NoisyNet noise and dropout masks are drawn from, shared by both networks. */
  protected readonly noise: Rng;
  private readonly stochastic = new Map<Module, StochasticLayers>();
  private actionQ = new Float32Array(0);

  constructor(
    readonly spec: DQNSpec,
    readonly config: DQNConfig,
    protected readonly arena: Arena,
  ) {
    this.nActions = spec.nActions;
    this.noise = new Rng(noiseSeed(config.seed));
  }

  /**
   * The configured network (`config.network`) with nActions × outputsPerAction outputs; with
   * `noisy`, its fully connected layers are NoisyNet layers.
   */
  buildNetwork(seed: number): Module {
    const net = this.config.network;
    if (net.kind === "custom") throw new Error(`network "custom" (${brief(net.name, 60)}) is built by its factory; pass the same network factory again`);
    const { observationShape: shape, nActions } = this.spec;
    const outputs = nActions * this.outputsPerAction;
    const common = {
      seed,
      arena: this.arena,
      atoms: this.outputsPerAction,
      layout: this.layout,
      noise: this.noise,
      ...(this.config.noisy ? { noisy: { sigma0: this.config.noisySigma0 } } : {}),
    };
    if (net.kind === "mlp") {
      if (shape.length !== 1) {
        throw new Error(`network "mlp" needs flat observations, got shape [${shape.join(", ")}]; use "nature-cnn" or "small-cnn" for images`);
      }
      const opts = { ...common, activation: net.activation ?? "relu" } as const;
      return net.dueling ? duelingMlp([shape[0]!, ...net.hidden], nActions, opts) : mlp([shape[0]!, ...net.hidden, outputs], opts);
    }
    if (shape.length !== 3) {
      throw new Error(`network "${net.kind}" needs [channels, height, width] observations, got [${shape.join(", ")}]`);
    }
    const [c, h, w] = shape as [number, number, number];
    const opts = { ...common, height: h, width: w, ...(net.dropout ? { dropout: net.dropout } : {}) };
    if (net.kind === "nature-cnn") return net.dueling ? duelingNatureCnn(c, nActions, opts) : natureCnn(c, outputs, opts);
    return net.dueling ? duelingSmallCnn(c, nActions, opts) : smallCnn(c, outputs, opts);
  }

  /**
   * A user-built network from `factory`, checked to live in the agent's arena and to map one
   * observation to nActions × outputsPerAction outputs (one evaluation-mode forward pass).
   */
  buildCustomNetwork(factory: NetworkFactory, seed: number): Module {
    const name = this.config.network.kind === "custom" ? this.config.network.name : "custom";
    const { observationShape, nActions } = this.spec;
    const outputs = nActions * this.outputsPerAction;
    const net = factory({ observationShape, nActions, outputs, seed, arena: this.arena });
    if (!(net instanceof Module)) throw new Error(`network ${brief(name, 60)}: the factory returned ${brief(net)}, expected an nn.Module`);
    if (net.arena !== this.arena)
      throw new Error(`network ${brief(name, 60)}: its layers live in another arena; build them with the arena the factory is given`);
    const probe = this.arena.tensor([1, ...observationShape]);
    const wasTraining = net.training;
    const out = net.eval().forward(probe);
    net.train(wasTraining);
    if (out.shape.length !== 2 || out.shape[0] !== 1 || out.shape[1] !== outputs) {
      throw new Error(
        `network ${brief(name, 60)}: maps one observation of shape [${observationShape.join(", ")}] to shape [${out.shape.join(", ")}], expected [1, ${outputs}] (${nActions} actions × ${this.outputsPerAction})`,
      );
    }
    return net;
  }

  /**
   * The settings a model file records besides the network so that loading rebuilds the same
   * head and greedy action: the algorithm's name, its head-shaping hyperparameters, and
   * NoisyNets (which change the layers' names); also DrQ's augmentation, which leaves the network
   * as it is but says how the weights were trained.
   */
  modelSettings(): AlgorithmSettings {
    const { algorithm, noisy, noisySigma0, augment, augmentPad } = this.config;
    return { algorithm, ...(noisy ? { noisy, noisySigma0 } : {}), ...(augment !== "none" ? { augment, augmentPad } : {}) };
  }

  /**
   * The ε of ε-greedy acting given the schedule's value: with NoisyNets exploration comes from
   * the parameter noise, so ε-greedy is off (0) and the schedule is ignored.
   */
  explorationEpsilon(scheduled: number): number {
    return this.config.noisy ? 0 : scheduled;
  }

  /** Called at the start of every update: NoisyNets draw one noise sample per network for all of the update's passes. */
  startUpdate(nets: QNetworks): void {
    // Indexed loops here and in `forward`: a `for…of` iterator is an allocation per call when not optimized away.
    const online = this.layersOf(nets.online).noisy;
    for (let i = 0; i < online.length; i++) online[i]!.resetNoise();
    const target = this.layersOf(nets.target).noisy;
    for (let i = 0; i < target.length; i++) target[i]!.resetNoise();
  }

  /** Runs `net` on `x` as the pass `role` (see `ForwardRole`), with that pass's noise and dropout. */
  forward(net: Module, x: Tensor, role: ForwardRole): Tensor {
    const { noisy, dropout } = this.layersOf(net);
    for (let i = 0; i < noisy.length; i++) {
      noisy[i]!.training = role !== "greedy";
      if (role === "act") noisy[i]!.resetNoise();
    }
    for (let i = 0; i < dropout.length; i++) dropout[i]!.training = role === "online";
    return net.forward(x);
  }

  /** The generator states to save with a checkpoint (the noise stream; subclasses add theirs). */
  algorithmState(): AlgorithmState {
    return { noise: this.noise.state() };
  }

  /** Restores `algorithmState()`. */
  restoreAlgorithmState(state: AlgorithmState): void {
    this.noise.setState(streamState(state, "noise"));
  }

  private layersOf(net: Module): StochasticLayers {
    let l = this.stochastic.get(net);
    if (l === undefined) {
      l = stochasticLayers(net);
      this.stochastic.set(net, l);
    }
    return l;
  }

  /** Expected Q-values [n × nActions] of the head's output rows `out` into `q`. */
  abstract actionValues(out: Float32Array, n: number, q: Float32Array): void;

  /**
   * Computes the learning targets of `batch`, kept for `loss`: from its next observations
   * (`inputs.nextObs`), and for M-DQN also from the target net on `inputs.obs`.
   */
  abstract computeTargets(nets: QNetworks, inputs: BatchInputs, batch: TrainingBatch): void;

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

  /**
   * Expected Q-values of `n` output rows in the first n × nActions entries of the returned
   * array (reused by the next call; rows past n are stale). No view is cut: this runs per act.
   */
  protected expectedQ(out: Float32Array, n: number): Float32Array {
    const len = n * this.nActions;
    if (this.actionQ.length < len) this.actionQ = new Float32Array(len);
    this.actionValues(out, n, this.actionQ);
    return this.actionQ;
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
