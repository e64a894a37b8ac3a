/**
 * The user API, after Stable-Baselines3's DQN: `new DQN(env, config)`, `learn`, `predict`,
 * `evaluate`, `save`, `DQN.load`. Any `Env` trains — a registered id, an instance or a
 * factory — and the network may be a factory returning an `nn.Module`. `learn` runs the
 * training loop (loop.ts); with a `runDir` the run directory keeps logs, plots,
 * checkpoints and resume, as `train()` does, and without one nothing touches the disk.
 * Model files are the format `deepq eval` reads.
 */
import { type DQNConfig, type NetworkSpec, resolveDQNConfig } from "../agents/config.js";
import { DQNAgent, type DQNSpec, type NetworkFactory } from "../agents/dqn.js";
import type { Env, Observation } from "../envs/core.js";
import { parseSafeTensors, type SafeTensorsFile } from "../nn/safetensors.js";
import { brief } from "../util/text.js";
import { resolveTrainConfig, type TrainConfig } from "./config.js";
import { agentSpec, checkSpecFits, makeTrainEnv } from "./env.js";
import { type EvalResult, evaluate as runEpisodes } from "./evaluate.js";
import { host } from "./host.js";
import { type LoopResult, type TrainEvent, TrainLoop } from "./loop.js";
import { checkFiniteWeights, type ModelInfo, modelFileParts, modelInfoOf } from "./model-format.js";

/** An env to train or evaluate on: a registered id, an instance, or a factory of fresh copies (needed for `numEnvs` > 1). */
export type EnvSource = string | Env | (() => Env);

/** Model files record an env that is not registered as `custom:<name>`; loading them needs `{ env }`. */
export const CUSTOM_ENV_PREFIX = "custom:";

export interface DQNOptions extends Partial<Omit<DQNConfig, "network">> {
  /** A built-in network (`{ kind: "mlp", hidden: [64, 64] }`, …) or a factory returning an `nn.Module`. */
  network?: Exclude<NetworkSpec, { kind: "custom" }> | NetworkFactory | undefined;
  /** The name model files record for a network factory (default: the function's name). */
  networkName?: string | undefined;
  /** The name model files record for an env that is not registered (default: its class name). */
  envName?: string | undefined;
  /** With a registered id: the env's constructor options (Gymnasium's kwargs). */
  envOptions?: Record<string, unknown> | undefined;
  /** With a registered id: the DQN-paper image preprocessing. */
  pipeline?: TrainConfig["pipeline"] | undefined;
}

type EventOf<K extends TrainEvent["kind"]> = Extract<TrainEvent, { kind: K }>;

/** One callback per event kind (`onEpisode`, `onEval`, …); returning false stops training after the current step. */
export type LearnCallbacks = {
  [K in TrainEvent["kind"] as `on${Capitalize<K>}`]?: (e: EventOf<K>) => boolean | void;
};

export interface LearnOptions
  extends Partial<
    Pick<
      TrainConfig,
      | "evalEvery"
      | "evalEpisodes"
      | "evalSeed"
      | "confirmEpisodes"
      | "reportEpisodes"
      | "reportSeed"
      | "checkpointEvery"
      | "saveReplay"
      | "keepModels"
      | "stopAtReturn"
      | "video"
      | "divergenceFactor"
      | "skippedTilePenalty"
    >
  > {
  /** Environment steps to train (summed over vector envs). */
  totalSteps: number;
  callbacks?: LearnCallbacks;
  /** Every event, in addition to `callbacks` (what it returns is ignored). */
  onEvent?: (e: TrainEvent) => void;
  /** Keep the run here: config, CSV logs, plots, best/last models, checkpoints, report.json. */
  runDir?: string;
  /**
   * Continue the run in `runDir` from its checkpoint. The run keeps its config: this model's
   * and the options given here must agree with it (a differing field is refused, naming it),
   * except `totalSteps`, which may extend it.
   */
  resume?: boolean;
  /** Aborting stops the run (and checkpoints it when there is a `runDir`). */
  signal?: AbortSignal;
}

export interface LearnResult extends LoopResult {
  runDir: string | null;
}

export interface PredictOptions {
  /** Greedy (default), or ε-greedy with the exploration schedule's final ε. */
  deterministic?: boolean;
}

export interface DQNEvaluateOptions {
  /** Default 10. */
  episodes?: number;
  /** Episode i is reset with seed `seed + i`; default 0. */
  seed?: number;
}

export interface LoadOptions {
  /** The env, required when the file's env is not registered (`custom:…`); defaults to the recorded id. */
  env?: EnvSource;
  /** The network factory, required when the file's network is `{ kind: "custom" }`. */
  network?: NetworkFactory;
}

/** How to build the env a model trains on. */
interface EnvBinding {
  /** The id model files record. */
  env: string;
  envOptions: Record<string, unknown>;
  pipeline: TrainConfig["pipeline"];
  /** Raw env copies of an unregistered env; undefined for a registered id. */
  create: (() => Env) | undefined;
  /** `create` returns one shared instance. */
  instance: Env | null;
}

function bindEnv(source: EnvSource, opts: Pick<DQNOptions, "envName" | "envOptions" | "pipeline">): EnvBinding {
  if (typeof source === "string") {
    return { env: source, envOptions: opts.envOptions ?? {}, pipeline: opts.pipeline ?? null, create: undefined, instance: null };
  }
  if (opts.envOptions !== undefined || (opts.pipeline !== undefined && opts.pipeline !== null)) {
    throw new Error(`DQN: envOptions and pipeline apply to a registered env id; apply them inside your env or factory instead`);
  }
  const named = (env: Env) => `${CUSTOM_ENV_PREFIX}${opts.envName ?? env.constructor.name ?? "Env"}`;
  if (typeof source === "function") {
    const probe = source();
    checkIsEnv(probe, "the env factory's result");
    const id = named(probe);
    probe.close();
    return { env: id, envOptions: {}, pipeline: null, create: source, instance: null };
  }
  checkIsEnv(source, "env");
  return { env: named(source), envOptions: {}, pipeline: null, create: () => source, instance: source };
}

function checkIsEnv(v: unknown, what: string): asserts v is Env {
  const e = v as Partial<Env> | null;
  if (
    e === null ||
    typeof e !== "object" ||
    typeof e.reset !== "function" ||
    typeof e.step !== "function" ||
    e.observationSpace === undefined ||
    e.actionSpace === undefined
  ) {
    throw new Error(`DQN: ${what} is ${brief(v)}, not an Env (reset, step, observationSpace, actionSpace); pass an env id, an Env or a factory () => Env`);
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export class DQN {
  /** The learner: networks, optimizer, algorithm (for lower-level use). */
  readonly agent: DQNAgent;
  /** Every hyperparameter, resolved. */
  readonly config: DQNConfig;
  /** The env id model files record (`custom:<name>` for an unregistered env). */
  readonly envId: string;
  /** Environment steps of training behind the current weights. */
  numTimesteps = 0;
  /** The last evaluation during `learn` (recorded in saved files). */
  lastEval: { mean: number; std: number; episodes: number } | null = null;
  private readonly binding: EnvBinding;
  private readonly networkFactory: NetworkFactory | undefined;

  constructor(env: EnvSource, options: DQNOptions = {}) {
    const { network, networkName, envName, envOptions, pipeline, ...hyper } = options;
    this.binding = bindEnv(env, { envName, envOptions, pipeline });
    this.envId = this.binding.env;
    this.networkFactory = typeof network === "function" ? network : undefined;
    const networkSpec: NetworkSpec | undefined = typeof network === "function" ? { kind: "custom", name: networkName ?? (network.name || "custom") } : network;
    this.config = resolveDQNConfig({ ...hyper, ...(networkSpec === undefined ? {} : { network: networkSpec }) });
    const probe = this.makeEnv();
    try {
      this.agent = new DQNAgent(agentSpec(probe, this.envId), this.config, { network: this.networkFactory });
    } finally {
      if (this.binding.instance === null) probe.close();
    }
  }

  /** What the agent sees: observation shape and type, number of actions. */
  get spec(): DQNSpec {
    return this.agent.spec;
  }

  /**
   * Trains for `totalSteps` environment steps, continuing from the current weights (each
   * call starts a fresh replay memory and exploration schedule, as SB3's default does).
   */
  async learn(opts: LearnOptions): Promise<LearnResult> {
    const { totalSteps, callbacks = {}, onEvent, runDir, resume, signal, ...run } = opts;
    let evalEpisodes = 0;
    const listener = (e: TrainEvent): boolean | void => {
      if (e.kind === "eval") this.lastEval = { mean: e.mean, std: e.std, episodes: evalEpisodes };
      const callback = (callbacks as Record<string, ((e: TrainEvent) => boolean | void) | undefined>)[`on${capitalize(e.kind)}`];
      onEvent?.(e);
      return callback?.(e) === false ? false : undefined;
    };
    const config: Partial<TrainConfig> & { env: string } = {
      env: this.envId,
      envOptions: this.binding.envOptions,
      pipeline: this.binding.pipeline,
      agent: this.config,
      totalSteps,
      ...run,
    };
    if (runDir === undefined && resume) throw new Error("learn: resume needs the runDir to resume from");
    if (runDir === undefined && config.video) throw new Error("learn: video needs a runDir to write the videos to");
    if (runDir === undefined && config.keepModels) throw new Error("learn: keepModels needs a runDir to keep the models in");
    const dir = runDir === undefined ? null : host.openRunDir(config, { runDir, resume, totalSteps: resume ? totalSteps : undefined, onEvent: listener });
    const cfg = dir?.config ?? resolveTrainConfig(config);
    evalEpisodes = cfg.evalEpisodes;
    const loop = new TrainLoop(cfg, {
      agent: this.agent,
      network: this.networkFactory,
      createEnv: this.binding.create,
      singleInstance: this.binding.instance !== null,
      resume: dir?.resume ?? null,
      wrapRaw: dir?.wrapRaw,
      systemMemory: host.systemMemory,
      onEvent: listener,
    });
    dir?.attach(loop);
    const result = await loop.run(signal);
    this.numTimesteps = result.step;
    return { runDir: dir?.runDir ?? null, ...result };
  }

  /** The action for one observation. */
  predict(obs: Observation, opts?: PredictOptions): number;
  /** The actions for a batch of observations. */
  predict(batch: readonly Observation[], opts?: PredictOptions): Int32Array;
  predict(obs: Observation | readonly Observation[], opts: PredictOptions = {}): number | Int32Array {
    const epsilon = opts.deterministic === false ? this.config.exploration.end : 0;
    const one = (o: Observation) => this.agent.act(this.asInput(o), { epsilon });
    if (!Array.isArray(obs)) return one(obs as Observation);
    const out = new Int32Array(obs.length);
    (obs as readonly Observation[]).forEach((o, i) => (out[i] = one(o)));
    return out;
  }

  /**
   * Greedy episodes on `env` (default: the env the model trains on); the mean, std, min and
   * max of the returns and the per-episode returns and lengths.
   */
  async evaluate(env?: EnvSource, opts: DQNEvaluateOptions = {}): Promise<EvalResult> {
    const target = env === undefined ? this.makeEnv() : this.envFor(env);
    try {
      return runEpisodes(target, (o: Observation) => this.agent.act(this.asInput(o), { epsilon: this.config.evalEpsilon }), {
        episodes: opts.episodes ?? 10,
        seed: opts.seed ?? 0,
      });
    } finally {
      if (env === undefined ? this.binding.instance === null : typeof env !== "object") target.close();
    }
  }

  /** The model file's bytes (the format `deepq eval` reads). */
  toBytes(): Uint8Array {
    const parts = this.fileParts();
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Writes the model file (Node only; in a browser use `toBytes`). */
  async save(path: string): Promise<void> {
    host.writeFile(path, this.fileParts());
  }

  private fileParts(): Uint8Array[] {
    const { binding } = this;
    return modelFileParts(this.agent, {
      env: binding.env,
      envOptions: binding.envOptions,
      pipeline: binding.pipeline,
      step: this.numTimesteps,
      eval: this.lastEval,
    });
  }

  /** A model from a file: its config and weights, on the recorded env or `opts.env`. */
  static async load(path: string, opts: LoadOptions = {}): Promise<DQN> {
    return DQN.fromFile(host.readSafeTensors(path), path, opts);
  }

  /** A model from a model file's bytes (`name` labels errors). */
  static fromBytes(bytes: Uint8Array, opts: LoadOptions = {}, name = "model bytes"): DQN {
    return DQN.fromFile(parseSafeTensors(bytes, name), name, opts);
  }

  private static fromFile(file: SafeTensorsFile, name: string, opts: LoadOptions): DQN {
    const info = modelInfoOf(file, name);
    const env = opts.env ?? recordedEnv(info, name);
    if (info.network.kind === "custom" && opts.network === undefined) {
      throw new Error(`${name} holds the custom network ${brief(info.network.name, 60)}; pass its factory: DQN.load(path, { env, network })`);
    }
    checkFiniteWeights(file.tensors, name);
    const sameId = typeof env === "string" && env === info.env;
    const config = info.config ?? resolveDQNConfig({ ...info.algorithm, network: info.network });
    const { network, ...hyper } = config;
    const model = new DQN(env, {
      ...hyper,
      ...(network.kind === "custom" ? { network: opts.network, networkName: network.name } : { network }),
      ...(sameId ? { envOptions: info.envOptions, pipeline: info.pipeline } : {}),
      ...(typeof env !== "string" && info.env.startsWith(CUSTOM_ENV_PREFIX) ? { envName: info.env.slice(CUSTOM_ENV_PREFIX.length) } : {}),
    });
    const probe = model.makeEnv();
    try {
      checkSpecFits(info.spec, probe, model.envId, name);
    } finally {
      if (model.binding.instance === null) probe.close();
    }
    try {
      model.agent.loadModelStateDict(file.tensors);
    } catch (e) {
      throw new Error(`${name}: weights do not fit the network ${brief(info.network)}: ${(e as Error).message}`);
    }
    model.numTimesteps = info.step;
    model.lastEval = info.eval;
    return model;
  }

  /** One env as training and evaluation see it (RecordEpisodeStatistics inside, the pipeline outside). */
  private makeEnv(): Env {
    return makeTrainEnv(this.binding, undefined, this.binding.create);
  }

  private envFor(source: EnvSource): Env {
    if (typeof source === "string") {
      return makeTrainEnv(source === this.binding.env ? this.binding : { env: source, envOptions: {}, pipeline: null });
    }
    const b = bindEnv(source, {});
    return makeTrainEnv(b, undefined, b.create);
  }

  /** The agent takes float32 (or uint8 image) arrays; float64 observations are converted. */
  private asInput(o: Observation): Float32Array | Uint8Array {
    return o instanceof Float64Array ? Float32Array.from(o) : o;
  }
}

function recordedEnv(info: ModelInfo, name: string): string {
  if (info.env.startsWith(CUSTOM_ENV_PREFIX)) {
    throw new Error(`${name} was trained on the unregistered env ${brief(info.env.slice(CUSTOM_ENV_PREFIX.length), 60)}; pass it: DQN.load(path, { env })`);
  }
  return info.env;
}
