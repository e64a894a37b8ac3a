/**
 * The DQN family's learner: the online and target networks, ε-greedy action selection,
 * the optimizer step, target updates and checkpoints. What is learnt — the head, the
 * target, the loss and the greedy action — is the configured algorithm's
 * (`config.algorithm`, see ./algorithms). It knows nothing of files or terminals: the
 * trainer feeds it transitions and decides when to call `trainStep` and `updateTarget`.
 * With `weightAveragingTau` a third network holds a moving average of the online weights;
 * it is the evaluation policy (`act`, `qValues`) and what model files hold.
 */
import {
  Adam,
  type Arena,
  clipGradNorm,
  defaultArena,
  type Module,
  type Optimizer,
  type OptimizerState,
  RMSprop,
  Rng,
  type RngState,
  type SafeTensor,
  SGD,
  type Tensor,
} from "../nn/index.js";
import { type Algorithm, type AlgorithmState, type BatchInputs, createAlgorithm, type ForwardRole } from "./algorithms/index.js";
import { RandomShift } from "./augment.js";
import { type DQNConfig, resolveDQNConfig } from "./config.js";
import type { DQNSpec, NetworkFactory, TrainingBatch } from "./types.js";

export type { DQNSpec, NetworkContext, NetworkFactory, TrainingBatch } from "./types.js";

export interface DQNAgentOptions {
  arena?: Arena | undefined;
  /** Builds the Q-network instead of `config.network` (which is then `{ kind: "custom", name }`). */
  network?: NetworkFactory | undefined;
}

export interface TrainStepResult {
  loss: number;
  /** Mean of Q(s, a) over the batch, the usual health signal of a DQN run. */
  meanQ: number;
}

/** Everything besides the weights needed to resume the learner exactly. */
export interface DQNAgentState {
  config: DQNConfig;
  spec: DQNSpec;
  rng: RngState;
  /** The algorithm's random streams (NoisyNet noise, dropout masks, IQN's τ); absent in older checkpoints. */
  algorithm?: AlgorithmState | undefined;
  /** DrQ's shift-offset stream, with `augment: "shift"`. */
  augment?: RngState;
  updates: number;
  optimizer: { kind: string; step: number; hyper: Record<string, number | boolean> };
}

function buildOptimizer(cfg: DQNConfig, params: ReturnType<Module["parameters"]>): Optimizer {
  switch (cfg.optimizer) {
    case "adam":
      return new Adam(params, { lr: cfg.lr, eps: cfg.adamEps });
    case "rmsprop":
      return new RMSprop(params, { lr: cfg.lr, alpha: cfg.rmspropAlpha, eps: cfg.rmspropEps, momentum: cfg.momentum });
    case "sgd":
      return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum });
  }
}

export class DQNAgent {
  readonly config: DQNConfig;
  readonly spec: DQNSpec;
  readonly online: Module;
  readonly target: Module;
  /** The moving average of the online weights (`weightAveragingTau`), else null. */
  readonly averaged: Module | null;
  readonly optimizer: Optimizer;
  readonly arena: Arena;
  /** What is learnt: head, target, loss and greedy action. */
  readonly algorithm: Algorithm;
  /** Gradient steps taken. */
  updates = 0;
  private readonly obsSize: number;
  private readonly rng: Rng;
  /** DrQ's random shift of training batches (`augment: "shift"`), else null. */
  private readonly shift: RandomShift | null;
  /** Input tensors by batch size, one set for s and one for s′ (M-DQN needs both at once). */
  private readonly inputs = [new Map<number, Tensor>(), new Map<number, Tensor>()] as const;
  /** The pair of a batch size's s and s′ tensors handed to the algorithm. */
  private readonly batchInputs = new Map<number, BatchInputs>();
  /** uint8 staging area in the arena, so image batches convert to float with one kernel call. */
  private readonly staging = new Map<number, number>();
  /** Views of the staging areas, by batch size. */
  private readonly stagingViews = new Map<number, Uint8Array>();
  private greedy = new Int32Array(1);
  private readonly single = new Int32Array(1);
  /** What `trainStep` returns, one object reused by every call. */
  private readonly stepResult: TrainStepResult = { loss: 0, meanQ: 0 };

  constructor(spec: DQNSpec, config: Partial<DQNConfig> = {}, opts: DQNAgentOptions = {}) {
    this.config = resolveDQNConfig(config);
    if (!Number.isInteger(spec.nActions) || spec.nActions < 1) {
      throw new RangeError(`DQN: nActions must be a positive integer, got ${spec.nActions}`);
    }
    if (spec.observationType !== "float32" && spec.observationType !== "uint8") {
      throw new RangeError(`DQN: observationType must be "float32" or "uint8", got ${JSON.stringify(spec.observationType)}`);
    }
    this.spec = { ...spec, observationShape: [...spec.observationShape] };
    this.obsSize = spec.observationShape.reduce((a, b) => a * b, 1);
    this.arena = opts.arena ?? defaultArena();
    const seed = this.config.seed;
    this.algorithm = createAlgorithm(this.spec, this.config, this.arena);
    const factory = opts.network;
    const build = (s: number) => (factory ? this.algorithm.buildCustomNetwork(factory, s) : this.algorithm.buildNetwork(s));
    this.online = build(seed);
    this.target = build(seed);
    this.target.copyFrom(this.online);
    this.target.eval();
    this.averaged = this.config.weightAveragingTau === null ? null : build(seed);
    if (this.averaged !== null) {
      this.averaged.copyFrom(this.online);
      this.averaged.eval();
    }
    this.optimizer = buildOptimizer(this.config, this.online.parameters());
    // The exploration stream is separate from the init stream so changing one never shifts the other.
    this.rng = new Rng(seed * 2 + 1);
    this.shift = this.config.augment === "shift" ? new RandomShift(this.arena, this.spec, this.config.augmentPad, seed) : null;
  }

  /**
   * Float input tensor [n, ...shape] holding `obs` (uint8 scaled by 1/255); `slot` 1 is the s′ buffer.
   * `augment`: images get the configured augmentation (training batches only).
   */
  private input(obs: Float32Array | Uint8Array, n: number, slot: 0 | 1 = 0, augment = false): Tensor {
    const len = n * this.obsSize;
    if (obs.length < len) {
      throw new RangeError(`DQN: expected ${n} observation(s) of shape [${this.spec.observationShape.join(", ")}] (${len} values), got ${obs.length}`);
    }
    const inputs = this.inputs[slot];
    let t = inputs.get(n);
    if (!t) {
      t = this.arena.tensor([n, ...this.spec.observationShape]);
      inputs.set(n, t);
    }
    // No per-call views: `subarray` only when `obs` is longer than the batch (a batch object's spare rows).
    if (this.spec.observationType === "uint8") {
      if (!(obs instanceof Uint8Array)) throw new TypeError("DQN: this agent takes uint8 image observations");
      let ptr = this.staging.get(n);
      if (ptr === undefined) {
        ptr = this.arena.alloc(len);
        this.staging.set(n, ptr);
      }
      let view = this.stagingViews.get(n);
      // A grown memory has a new buffer (the old views are detached).
      if (view === undefined || view.buffer !== this.arena.memory.buffer) {
        view = new Uint8Array(this.arena.memory.buffer, ptr, len);
        this.stagingViews.set(n, view);
      }
      view.set(obs.length === len ? obs : obs.subarray(0, len));
      if (augment && this.shift !== null) this.shift.convert(ptr, t.ptr, n);
      else this.arena.kernels.u8ToF32(ptr, t.ptr, len, 1 / 255);
    } else {
      if (!(obs instanceof Float32Array)) throw new TypeError("DQN: this agent takes float32 observations");
      t.data.set(obs.length === len ? obs : obs.subarray(0, len));
    }
    return t;
  }

  /** Expected Q-values of `n` observations as the greedy policy sees them, [n × nActions] (a new array). */
  qValues(obs: Float32Array | Uint8Array, n = 1): Float32Array {
    const out = this.algorithm.forward(this.averaged ?? this.online, this.input(obs, n), "greedy").data;
    const q = new Float32Array(n * this.spec.nActions);
    this.algorithm.actionValues(out, n, q);
    return q;
  }

  /**
   * The behaviour policy while training: ε-greedy actions for `n` observations into `out`
   * (the algorithm may override ε: NoisyNets explore through their noise, with ε = 0).
   */
  actBatch(obs: Float32Array | Uint8Array, n: number, epsilon: number, out: Int32Array): Int32Array {
    return this.choose(obs, n, this.algorithm.explorationEpsilon(epsilon), out, "act");
  }

  /**
   * One action for one observation with the evaluation policy: greedy in the noise-free
   * network (NoisyNets act on μ, dropout is off), ε-greedy when `epsilon` > 0. The network
   * is the weight average when there is one.
   */
  act(obs: Float32Array | Uint8Array, opts?: { epsilon?: number }): number {
    return this.choose(obs, 1, opts?.epsilon ?? 0, this.single, "greedy")[0]!;
  }

  private choose(obs: Float32Array | Uint8Array, n: number, epsilon: number, out: Int32Array, role: ForwardRole): Int32Array {
    if (out.length < n) throw new RangeError(`DQN: out has ${out.length} entries for ${n} observations`);
    // Exactly n observations: a longer array is an env whose observations do not fit this network, never to be cut to size.
    if (obs.length !== n * this.obsSize) {
      throw new RangeError(
        `DQN: expected ${n} observation(s) of shape [${this.spec.observationShape.join(", ")}] (${n * this.obsSize} values), got ${obs.length}`,
      );
    }
    let anyGreedy = false;
    for (let i = 0; i < n; i++) {
      if (epsilon > 0 && this.rng.below(epsilon)) out[i] = this.rng.index(this.spec.nActions);
      else {
        out[i] = -1;
        anyGreedy = true;
      }
    }
    if (anyGreedy) {
      const net = role === "greedy" ? (this.averaged ?? this.online) : this.online;
      const head = this.algorithm.forward(net, this.input(obs, n), role);
      if (this.greedy.length < n) this.greedy = new Int32Array(n);
      this.algorithm.greedyActions(head.data, n, this.greedy);
      for (let i = 0; i < n; i++) if (out[i] === -1) out[i] = this.greedy[i]!;
    }
    return out;
  }

  /**
   * One gradient step on `batch`: the algorithm's targets from s' (target net, and the online
   * net for Double), its loss on online(s), backward, gradient clipping and the optimizer step.
   * Leaves the per-sample errors in `tdErrors` for prioritized replay. The result object is
   * reused (no allocation per update): read it before the next `trainStep`.
   */
  trainStep(batch: TrainingBatch): TrainStepResult {
    const n = batch.size;
    const alg = this.algorithm;
    const obs = this.input(batch.obs, n, 0, true);
    const nextObs = this.input(batch.nextObs, n, 1, true);
    let inputs = this.batchInputs.get(n);
    if (inputs === undefined) {
      inputs = { obs, nextObs };
      this.batchInputs.set(n, inputs);
    }
    alg.startUpdate(this);
    alg.computeTargets(this, inputs, batch);
    const out = alg.forward(this.online, inputs.obs, "online");
    const loss = alg.loss(out, batch, this.config.prioritized ? batch.weights : undefined);
    const meanQ = alg.meanTakenQ(out.data, batch.actions, n);
    this.optimizer.zeroGrad();
    this.online.backward(alg.dOut);
    if (this.config.maxGradNorm !== null) clipGradNorm(this.optimizer.params, this.config.maxGradNorm);
    this.optimizer.step();
    this.updates++;
    if (this.averaged !== null) this.updateAverage();
    this.stepResult.loss = loss;
    this.stepResult.meanQ = meanQ;
    return this.stepResult;
  }

  /** avg ← avg + max(τ, 1/updates)·(online − avg). */
  private updateAverage(): void {
    this.averaged!.softUpdateFrom(this.online, Math.max(this.config.weightAveragingTau!, 1 / this.updates));
  }

  /** Per-sample error of the last `trainStep` (its magnitude is the sample's new priority). */
  get tdErrors(): Float32Array {
    return this.algorithm.tdErrors;
  }

  /** Hard copy (τ = 1) or Polyak average with the configured τ. */
  updateTarget(): void {
    if (this.config.tau >= 1) this.target.copyFrom(this.online);
    else this.target.softUpdateFrom(this.online, this.config.tau);
  }

  /** The evaluation policy's weights with PyTorch names (what a model file holds): the weight average when there is one. */
  modelStateDict(): Map<string, SafeTensor> {
    return (this.averaged ?? this.online).stateDict();
  }

  /** Loads weights into every network (a model file, or a PyTorch state dict saved as safetensors). */
  loadModelStateDict(sd: ReadonlyMap<string, SafeTensor>): void {
    this.online.loadStateDict(sd);
    this.target.copyFrom(this.online);
    this.averaged?.copyFrom(this.online);
  }

  /** Full learner state for checkpoints: tensors (online., target., average., optim.) and JSON facts. */
  checkpoint(): { tensors: Map<string, SafeTensor>; state: DQNAgentState } {
    const tensors = new Map<string, SafeTensor>();
    for (const [k, v] of this.online.stateDict()) tensors.set(`online.${k}`, v);
    for (const [k, v] of this.target.stateDict()) tensors.set(`target.${k}`, v);
    if (this.averaged !== null) for (const [k, v] of this.averaged.stateDict()) tensors.set(`average.${k}`, v);
    const os = this.optimizer.state();
    for (const [k, v] of os.buffers) tensors.set(`optim.${k}`, { dtype: "F32", shape: [v.length], data: v });
    return {
      tensors,
      state: {
        config: this.config,
        spec: this.spec,
        rng: this.rng.state(),
        algorithm: this.algorithm.algorithmState(),
        ...(this.shift !== null ? { augment: this.shift.state() } : {}),
        updates: this.updates,
        optimizer: { kind: os.kind, step: os.step, hyper: os.hyper },
      },
    };
  }

  /** Restores a `checkpoint()`; the checkpoint must come from the same architecture. */
  restore(tensors: ReadonlyMap<string, SafeTensor>, state: DQNAgentState): void {
    const pick = (prefix: string) => {
      const m = new Map<string, SafeTensor>();
      for (const [k, v] of tensors) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), v);
      return m;
    };
    const load = (net: Module, prefix: string) => {
      try {
        net.loadStateDict(pick(prefix));
      } catch (e) {
        throw new Error(`tensors "${prefix}*": ${(e as Error).message}`);
      }
    };
    load(this.online, "online.");
    load(this.target, "target.");
    if (this.averaged !== null) {
      if (![...tensors.keys()].some((k) => k.startsWith("average."))) {
        throw new Error('checkpoint: no weight average "average.*" (saved without weightAveragingTau?)');
      }
      load(this.averaged, "average.");
    }
    const buffers = new Map<string, Float32Array>();
    for (const [k, v] of pick("optim.")) {
      if (v.dtype !== "F32") throw new Error(`checkpoint: optimizer buffer "${k}" has dtype ${v.dtype}, expected F32`);
      buffers.set(k, v.data as Float32Array);
    }
    const os: OptimizerState = {
      kind: state.optimizer.kind as OptimizerState["kind"],
      step: state.optimizer.step,
      hyper: state.optimizer.hyper,
      buffers,
    };
    this.optimizer.loadState(os);
    this.rng.setState(state.rng);
    if (state.algorithm !== undefined) this.algorithm.restoreAlgorithmState(state.algorithm);
    if (this.shift !== null) {
      if (state.augment === undefined) throw new Error('checkpoint: no state of the augmentation stream "augment" (saved without augment = "shift"?)');
      this.shift.restore(state.augment);
    }
    this.updates = state.updates;
  }
}
