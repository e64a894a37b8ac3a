/**
 * The DQN family's learner: the online and target Q-networks, ε-greedy action
 * selection, the TD target (one-step or n-step, plain or Double), the loss and the
 * optimizer step. It knows nothing of files or terminals: the trainer feeds it
 * transitions and decides when to call `trainStep` and `updateTarget`.
 */
import {
  Adam, Arena, Module, RMSprop, Rng, SGD, QLoss, argmaxRows, clipGradNorm, defaultArena,
  duelingMlp, duelingNatureCnn, duelingSmallCnn, mlp, natureCnn, smallCnn,
  type Optimizer, type OptimizerState, type RngState, type SafeTensor, type Tensor,
} from "../nn/index.js";
import { resolveDQNConfig, type DQNConfig } from "./config.js";

/** What the agent needs to know about the env. */
export interface DQNSpec {
  /** One observation: [n] for vectors, [stack, H, W] for uint8 frame stacks. */
  observationShape: readonly number[];
  /** float32 vectors, or uint8 images scaled to [0, 1] once per batch. */
  observationType: "float32" | "uint8";
  nActions: number;
}

/** A minibatch as the replay buffers fill it (row-major, `size` rows used). */
export interface TrainingBatch {
  size: number;
  obs: Float32Array | Uint8Array;
  nextObs: Float32Array | Uint8Array;
  actions: Int32Array;
  /** n-step return R. */
  rewards: Float32Array;
  /** 1 where the window ended by termination (no bootstrap). */
  dones: Float32Array;
  /** γ^n' per row. */
  discounts: Float32Array;
  /** Importance weights (all 1 for uniform replay). */
  weights: Float32Array;
}

export interface TrainStepResult {
  loss: number;
  /** Mean of Q(s, a) over the batch, the usual health signal of a DQN run. */
  meanQ: number;
  /** Gradient 2-norm before clipping. */
  gradNorm: number;
}

/** Everything besides the weights needed to resume the learner exactly. */
export interface DQNAgentState {
  config: DQNConfig;
  spec: DQNSpec;
  rng: RngState;
  updates: number;
  optimizer: { kind: string; step: number; hyper: Record<string, number | boolean> };
}

function buildNetwork(spec: DQNSpec, cfg: DQNConfig, seed: number, arena: Arena): Module {
  const net = cfg.network;
  const { observationShape: shape, nActions } = spec;
  if (net.kind === "mlp") {
    if (shape.length !== 1) {
      throw new Error(`network "mlp" needs flat observations, got shape [${shape.join(", ")}]; use "nature-cnn" or "small-cnn" for images`);
    }
    const opts = { seed, arena, activation: net.activation ?? "relu" } as const;
    return net.dueling ? duelingMlp([shape[0]!, ...net.hidden], nActions, opts) : mlp([shape[0]!, ...net.hidden, nActions], opts);
  }
  if (shape.length !== 3) {
    throw new Error(`network "${net.kind}" needs [channels, height, width] observations, got [${shape.join(", ")}]`);
  }
  const [c, h, w] = shape as [number, number, number];
  const opts = { seed, arena, height: h, width: w };
  if (net.kind === "nature-cnn") return net.dueling ? duelingNatureCnn(c, nActions, opts) : natureCnn(c, nActions, opts);
  return net.dueling ? duelingSmallCnn(c, nActions, opts) : smallCnn(c, nActions, opts);
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
  readonly optimizer: Optimizer;
  readonly arena: Arena;
  /** Gradient steps taken. */
  updates = 0;
  private readonly obsSize: number;
  private readonly loss: QLoss;
  private readonly rng: Rng;
  private readonly inputs = new Map<number, Tensor>();
  /** uint8 staging area in the arena, so image batches convert to float with one kernel call. */
  private readonly staging = new Map<number, number>();
  private targets = new Float32Array(0);
  private nextActions = new Int32Array(0);
  private greedy = new Int32Array(1);
  private lastBatchSize = 0;

  constructor(spec: DQNSpec, config: Partial<DQNConfig> = {}, opts: { arena?: Arena } = {}) {
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
    this.online = buildNetwork(this.spec, this.config, seed, this.arena);
    this.target = buildNetwork(this.spec, this.config, seed, this.arena);
    this.target.copyFrom(this.online);
    this.target.eval();
    this.optimizer = buildOptimizer(this.config, this.online.parameters());
    this.loss = new QLoss(this.config.loss, { beta: this.config.huberBeta, arena: this.arena });
    // The exploration stream is separate from the init stream so changing one never shifts the other.
    this.rng = new Rng(seed * 2 + 1);
  }

  /** Float input tensor [n, ...shape] holding `obs` (uint8 scaled by 1/255). */
  private input(obs: Float32Array | Uint8Array, n: number): Tensor {
    const len = n * this.obsSize;
    if (obs.length < len) {
      throw new RangeError(`DQN: expected ${n} observation(s) of shape [${this.spec.observationShape.join(", ")}] (${len} values), got ${obs.length}`);
    }
    let t = this.inputs.get(n);
    if (!t) {
      t = this.arena.tensor([n, ...this.spec.observationShape]);
      this.inputs.set(n, t);
    }
    if (this.spec.observationType === "uint8") {
      if (!(obs instanceof Uint8Array)) throw new TypeError("DQN: this agent takes uint8 image observations");
      let ptr = this.staging.get(n);
      if (ptr === undefined) {
        ptr = this.arena.alloc(len);
        this.staging.set(n, ptr);
      }
      new Uint8Array(this.arena.memory.buffer, ptr, len).set(obs.subarray(0, len));
      this.arena.kernels.u8ToF32(ptr, t.ptr, len, 1 / 255);
    } else {
      if (!(obs instanceof Float32Array)) throw new TypeError("DQN: this agent takes float32 observations");
      t.data.set(obs.subarray(0, len));
    }
    return t;
  }

  /** Q-values of `n` observations, [n × nActions], valid until the next forward pass. */
  qValues(obs: Float32Array | Uint8Array, n = 1): Float32Array {
    return this.online.forward(this.input(obs, n)).data;
  }

  /** ε-greedy actions for `n` observations into `out` (ε = 0: greedy). */
  actBatch(obs: Float32Array | Uint8Array, n: number, epsilon: number, out: Int32Array): Int32Array {
    if (out.length < n) throw new RangeError(`DQN.actBatch: out has ${out.length} entries for ${n} observations`);
    // Exactly n observations: a longer array is an env whose observations do not fit this network, never to be cut to size.
    if (obs.length !== n * this.obsSize) {
      throw new RangeError(`DQN: expected ${n} observation(s) of shape [${this.spec.observationShape.join(", ")}] (${n * this.obsSize} values), got ${obs.length}`);
    }
    let anyGreedy = false;
    for (let i = 0; i < n; i++) {
      if (epsilon > 0 && this.rng.random() < epsilon) out[i] = Math.floor(this.rng.random() * this.spec.nActions);
      else {
        out[i] = -1;
        anyGreedy = true;
      }
    }
    if (anyGreedy) {
      const q = this.online.forward(this.input(obs, n));
      if (this.greedy.length < n) this.greedy = new Int32Array(n);
      argmaxRows(q, this.greedy.subarray(0, n));
      for (let i = 0; i < n; i++) if (out[i] === -1) out[i] = this.greedy[i]!;
    }
    return out;
  }

  /** One action for one observation (greedy unless `epsilon` > 0). */
  act(obs: Float32Array | Uint8Array, opts: { epsilon?: number } = {}): number {
    const out = new Int32Array(1);
    return this.actBatch(obs, 1, opts.epsilon ?? 0, out)[0]!;
  }

  /**
   * One gradient step on `batch`: target y = R + γ^n'·(1 − done)·Q_target(s', a*), with
   * a* = argmax Q_target (DQN) or argmax Q_online (Double DQN); loss on Q(s, a); step.
   * Leaves the per-sample TD errors in `tdErrors` for prioritized replay.
   */
  trainStep(batch: TrainingBatch): TrainStepResult {
    const n = batch.size;
    const na = this.spec.nActions;
    if (this.targets.length < n) {
      this.targets = new Float32Array(n);
      this.nextActions = new Int32Array(n);
    }
    this.lastBatchSize = n;
    const targets = this.targets.subarray(0, n);
    const nextActions = this.nextActions.subarray(0, n);
    const xNext = this.input(batch.nextObs, n);
    if (this.config.double) argmaxRows(this.online.forward(xNext), nextActions);
    const qt = this.target.forward(xNext).data;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (this.config.double) v = qt[i * na + nextActions[i]!]!;
      else {
        v = qt[i * na]!;
        for (let j = 1; j < na; j++) if (qt[i * na + j]! > v) v = qt[i * na + j]!;
      }
      targets[i] = batch.rewards[i]! + batch.discounts[i]! * (1 - batch.dones[i]!) * v;
    }

    const q = this.online.forward(this.input(batch.obs, n));
    const loss = this.loss.compute(q, batch.actions, targets, this.config.prioritized ? batch.weights : undefined);
    const qd = q.data;
    let sumQ = 0;
    for (let i = 0; i < n; i++) sumQ += qd[i * na + batch.actions[i]!]!;

    this.optimizer.zeroGrad();
    this.online.backward(this.loss.dQ);
    const params = this.optimizer.params;
    const gradNorm = this.config.maxGradNorm === null ? Number.NaN : clipGradNorm(params, this.config.maxGradNorm);
    this.optimizer.step();
    this.updates++;
    return { loss, meanQ: sumQ / n, gradNorm };
  }

  /** The TD targets y of the last `trainStep`. */
  get lastTargets(): Float32Array {
    return this.targets.subarray(0, this.lastBatchSize);
  }

  /** target − Q(s, a) of the last `trainStep`. */
  get tdErrors(): Float32Array {
    return this.loss.tdErrors;
  }

  /** Hard copy (τ = 1) or Polyak average with the configured τ. */
  updateTarget(): void {
    if (this.config.tau >= 1) this.target.copyFrom(this.online);
    else this.target.softUpdateFrom(this.online, this.config.tau);
  }

  /** The online network's weights with PyTorch names (what a model file holds). */
  modelStateDict(): Map<string, SafeTensor> {
    return this.online.stateDict();
  }

  /** Loads weights into both networks (a model file, or a PyTorch state dict saved as safetensors). */
  loadModelStateDict(sd: ReadonlyMap<string, SafeTensor>): void {
    this.online.loadStateDict(sd);
    this.target.copyFrom(this.online);
  }

  /** Full learner state for checkpoints: tensors (online., target., optim.) and JSON facts. */
  checkpoint(): { tensors: Map<string, SafeTensor>; state: DQNAgentState } {
    const tensors = new Map<string, SafeTensor>();
    for (const [k, v] of this.online.stateDict()) tensors.set(`online.${k}`, v);
    for (const [k, v] of this.target.stateDict()) tensors.set(`target.${k}`, v);
    const os = this.optimizer.state();
    for (const [k, v] of os.buffers) tensors.set(`optim.${k}`, { dtype: "F32", shape: [v.length], data: v });
    return {
      tensors,
      state: {
        config: this.config,
        spec: this.spec,
        rng: this.rng.state(),
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
    this.updates = state.updates;
  }
}
