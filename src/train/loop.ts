/**
 * The training loop, top to bottom as CleanRL writes it: build the agent, envs and replay
 * memory; then repeat collect (act ε-greedily on N envs, store the transitions), learn
 * (every `trainFreq` steps, then sync the target network), evaluate, checkpoint.
 *
 * Nothing here touches the file system, so browsers train with it too: a `RunStore`
 * (the run directory, run-dir.ts) persists logs, plots, models and checkpoints when one
 * is plugged in, and events report to whoever listens.
 */
import { type DQNConfig, resolveDQNConfig } from "../agents/config.js";
import { DQNAgent, type DQNSpec, type NetworkFactory, type TrainStepResult } from "../agents/dqn.js";
import { explorationSchedule, learningRateSchedule } from "../agents/schedules.js";
import type { Env, Observation } from "../envs/core.js";
import type { SafeTensor } from "../nn/safetensors.js";
import { brief } from "../util/text.js";
import { episodeStatistics } from "../wrappers/record-episode-statistics.js";
import type { BoxArray } from "../wrappers/util.js";
import { VectorEnv, type VectorStepResult } from "../wrappers/vector.js";
import type { CheckpointMeta, RunProgress } from "./checkpoint.js";
import { selectionSeedCount, type TrainConfig } from "./config.js";
import { agentSpec, checkSpecFits, makeTrainEnv, makeTrainingEnv } from "./env.js";
import { type EvalResult, evalResult, evaluate } from "./evaluate.js";
import { checkReplayMemory, createMemory, memoryBytesFor, type SystemMemory, type TrainMemory } from "./memory.js";
import { agentFromWeights, checkFiniteWeights } from "./model-format.js";

export type TrainEvent =
  /** `runDir` is null when no run directory keeps the run. */
  | { kind: "start"; runDir: string | null; config: TrainConfig; resumedFromStep: number | null; replayBytes: number }
  | { kind: "progress"; step: number; epsilon: number; lastReturn: number | null; lastEval: { mean: number; std: number } | null }
  | { kind: "episode"; step: number; episode: number; ret: number; length: number }
  | {
      kind: "eval";
      step: number;
      mean: number;
      std: number;
      min: number;
      max: number;
      isBest: boolean;
      /** The wider evaluation over `confirmEpisodes` selection episodes, when this one beat the best and one ran. */
      confirmed: { mean: number; std: number; episodes: number } | null;
    }
  | { kind: "checkpoint"; step: number; path: string }
  | { kind: "video"; path: string; episode: number; ret: number }
  /** Something the user should know that does not stop the run (low memory, a dropped replay, cleaned-up leftovers). */
  | { kind: "warning"; message: string }
  /** The best model's evaluation on the report seeds, after training. */
  | { kind: "report"; mean: number; std: number; episodes: number; seed: number; step: number }
  | { kind: "done"; step: number; reason: StopReason; seconds: number };

/** Why a run ended: its step budget, `stopAtReturn` reached, the abort signal, or an event listener returning false. */
export type StopReason = "finished" | "goal" | "interrupted" | "stopped";

/** The best model's final evaluation on report seeds, which selection never saw (report.json). */
export interface RunReport {
  /** Step of the best model (chosen on the selection seeds). */
  step: number;
  selection: { seed: number; episodes: number; mean: number; std: number };
  /** Episode i used seed `seed + i`. */
  report: { seed: number; episodes: number; mean: number; std: number; min: number; max: number; returns: number[]; lengths: number[] };
}

/**
 * Raised when training diverges: the loss, mean Q or weights stop being finite, or the TD
 * error or |mean Q| grows beyond `divergenceFactor` × max|r| / (1 − γ). The run directory
 * keeps the last good checkpoint.
 */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

/** Seed of env copy `envIndex`'s `episode`-th episode: independent of timing, so resumed runs replay the same episodes. */
export function episodeSeed(runSeed: number, envIndex: number, episode: number): number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  for (const v of [envIndex, episode]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

/** A finished training episode, as the run directory logs it. */
export interface EpisodeRecord {
  step: number;
  episode: number;
  ret: number;
  length: number;
  epsilon: number;
}

/**
 * Persistence of a run (the run directory, run-dir.ts). Without one the loop keeps
 * everything in memory and writes nothing.
 */
export interface RunStore {
  readonly runDir: string;
  episode(loop: TrainLoop, e: EpisodeRecord): void;
  /**
   * After an evaluation `r` updated `progress.lastEval`, before the loss sums reset; `best` is
   * the selection result of a new best model (r, or its confirmation), else null.
   */
  evaluated(loop: TrainLoop, r: EvalResult, best: EvalResult | null, epsilon: number): void;
  /** Writes a checkpoint of the loop's state (its weights are known to be finite). */
  checkpoint(loop: TrainLoop): void;
  /** Where the last good state of the run is, for error messages. */
  lastGood(): string;
  /** After the final checkpoint. */
  finish(loop: TrainLoop): void;
  /** The weights of the best model so far (a resumed run's selection happened in earlier sessions). */
  bestWeights(): ReadonlyMap<string, SafeTensor> | null;
  report(loop: TrainLoop, report: RunReport): void;
}

/** A checkpoint to continue from (read by the run directory). */
export interface ResumePoint {
  meta: CheckpointMeta;
  tensors: ReadonlyMap<string, SafeTensor>;
  /** The checkpoint's path, for messages. */
  source: string;
  /** Loads the checkpoint's saved replay buffer into `replay` if it has one (warnings go to `warn`); true when loaded. */
  restoreReplay(replay: TrainMemory, warn: (message: string) => void): boolean;
}

/**
 * The env copies as the loop steps them: a `VectorEnv` in this thread, or an
 * `AsyncVectorEnv` stepping in a worker thread (Node; see trainer.ts).
 */
export interface SteppedEnvs {
  readonly numEnvs: number;
  /** Set by the loop: the seed of copy i's next episode. */
  autoresetSeed: ((envIndex: number) => number | undefined) | undefined;
  reset(args: { seeds: readonly number[] }): { obs: BoxArray };
  replay(env: number, actions: ArrayLike<number>): BoxArray;
  stepAsync(actions: ArrayLike<number>): void;
  stepWait(): VectorStepResult;
  close(): void;
}

export interface BuildOptions {
  resume?: ResumePoint | null | undefined;
  /**
   * The env copies, already built (in a worker thread) from the run's config; omitted: a
   * `VectorEnv` in this thread. Either way the loop follows `cfg.asyncEnvs`' schedule.
   */
  envs?: SteppedEnvs | undefined;
  /** Train this agent (built for the env's spec and `cfg.agent`) instead of a new one. */
  agent?: DQNAgent | undefined;
  /** Builds a raw env copy; default: `make(cfg.env, cfg.envOptions)`. */
  createEnv?: (() => Env) | undefined;
  /**
   * `createEnv` returns one and the same instance: `numEnvs` must be 1, evaluations run on it
   * and then restore the training episode by replaying its actions from its seed, and the
   * loop does not close it.
   */
  singleInstance?: boolean | undefined;
  /** Builds the Q-network when `cfg.agent.network` is `{ kind: "custom" }`. */
  network?: NetworkFactory | undefined;
  /** Wraps env copy `index`'s raw env (the run directory records videos of copy 0). */
  wrapRaw?: ((env: Env, index: number) => Env) | undefined;
  /** The machine's memory, to check the replay buffer against before allocating it; omitted: no check. */
  systemMemory?: (() => SystemMemory) | undefined;
  /** Every event; a listener returning exactly false stops the run after the current step ("stopped"). */
  onEvent?: ((e: TrainEvent) => boolean | void) | undefined;
}

export interface LoopResult {
  step: number;
  bestEval: RunProgress["bestEval"];
  lastEval: RunProgress["lastEval"];
  /** Null when `reportEpisodes` is 0 or the run was interrupted. */
  report: RunReport | null;
  reason: StopReason;
}

const crossed = (prev: number, cur: number, every: number) => Math.floor(prev / every) < Math.floor(cur / every);

/** Lets timers, signal handlers and UIs run between steps (setImmediate where it exists: no 1 ms clamp). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

export class TrainLoop {
  readonly agentCfg: DQNConfig;
  readonly spec: DQNSpec;
  readonly agent: DQNAgent;
  readonly venv: SteppedEnvs;
  /** `venv` when its copies step in this thread, else null. */
  private readonly localEnvs: VectorEnv | null;
  readonly evalEnv: Env;
  readonly replay: TrainMemory;
  readonly progress: RunProgress;
  /** Told to the user once the run starts. */
  readonly warnings: string[] = [];
  store: RunStore | null = null;
  private readonly listener: (e: TrainEvent) => boolean | void;
  private stopRequested = false;
  private readonly singleInstance: boolean;
  private readonly networkFactory: NetworkFactory | undefined;
  /** The best model's weights, kept for the report evaluation. */
  private bestWeights: ReadonlyMap<string, SafeTensor> | null = null;
  private readonly resumedFromStep: number | null;
  private readonly replayLoaded: boolean;
  private readonly epsilonAt: (step: number, episodes: number) => number;
  private readonly lrAt: (step: number) => number;
  private readonly obsSize: number;
  private readonly prevObs: Float32Array | Uint8Array;
  private readonly nextObs: Float32Array | Uint8Array;
  private readonly actions: Int32Array;
  private obs: Float32Array | Uint8Array;
  private lastReturn: number | null = null;
  private started = Date.now();

  /** Build: the envs, the agent and the replay memory, restored from `resume` when given. Throws before anything runs. */
  constructor(
    readonly cfg: TrainConfig,
    opts: BuildOptions = {},
  ) {
    const resume = opts.resume ?? null;
    this.listener = opts.onEvent ?? (() => {});
    const agentCfg = opts.agent ? opts.agent.config : resolveDQNConfig(cfg.agent);
    this.agentCfg = agentCfg;
    this.networkFactory = opts.network;
    const n = agentCfg.numEnvs;
    this.singleInstance = opts.singleInstance ?? false;
    if (this.singleInstance && n !== 1) {
      throw new Error(`numEnvs ${n}: one env instance cannot be stepped as ${n} copies; pass a factory () => Env instead of the instance`);
    }
    const envEpisodes = resume ? [...resume.meta.progress.envEpisodes] : new Array<number>(n).fill(0);
    const wrapRaw = opts.wrapRaw;
    const createEnv = opts.createEnv;
    if (this.singleInstance && opts.envs) throw new Error("TrainLoop: one env instance cannot step in a worker thread (envs)");
    this.localEnvs = opts.envs ? null : new VectorEnv(n, (i) => makeTrainingEnv(cfg, wrapRaw && ((raw) => wrapRaw(raw, i)), createEnv));
    this.venv = opts.envs ?? this.localEnvs!;
    if (this.venv.numEnvs !== n) throw new Error(`TrainLoop: envs has ${this.venv.numEnvs} copies, numEnvs is ${n}`);
    // Asked when a step is handed over, before `collect` counts the finished episode.
    this.venv.autoresetSeed = (i: number) => episodeSeed(agentCfg.seed, i, envEpisodes[i]! + 1);
    this.evalEnv = this.singleInstance ? this.localEnvs!.envs[0]! : makeTrainEnv(cfg, undefined, createEnv);
    const spec = agentSpec(this.evalEnv, cfg.env);
    this.spec = spec;
    if (resume) checkSpecFits(resume.meta.agent.spec, this.evalEnv, cfg.env, `the checkpoint ${resume.source}`);
    let replayBytes: number;
    try {
      replayBytes = memoryBytesFor(spec, agentCfg);
    } catch (e) {
      throw new Error(`bufferSize ${agentCfg.bufferSize}: ${(e as Error).message}`);
    }
    if (opts.systemMemory) {
      const memoryWarning = checkReplayMemory(replayBytes, agentCfg.bufferSize, opts.systemMemory());
      if (memoryWarning !== null) this.warnings.push(memoryWarning);
    }
    if (opts.agent) checkSpecFits(opts.agent.spec, this.evalEnv, cfg.env, "the agent");
    try {
      this.agent = opts.agent ?? new DQNAgent(spec, agentCfg, { network: opts.network });
    } catch (e) {
      // The engine's limits (WebAssembly memory, typed arrays) are RangeErrors; name the field behind them.
      if (e instanceof RangeError) throw new Error(`network ${brief(agentCfg.network)}: the network cannot be allocated (${e.message}); use smaller layers`);
      throw e;
    }
    this.obsSize = spec.observationShape.reduce((a, b) => a * b, 1);
    this.replay = createMemory(spec, agentCfg, cfg.totalSteps);

    this.progress = resume
      ? { ...resume.meta.progress, envEpisodes }
      : {
          step: 0,
          episodes: 0,
          envEpisodes,
          bestEval: null,
          lastEval: null,
          elapsedSeconds: 0,
          inFlightActions: Array.from({ length: n }, () => []),
          lossSum: 0,
          qSum: 0,
          lossCount: 0,
          maxAbsReward: 0,
        };
    this.resumedFromStep = resume ? this.progress.step : null;
    let replayLoaded = false;
    if (resume) {
      checkFiniteWeights(resume.tensors, resume.source);
      try {
        this.agent.restore(resume.tensors, resume.meta.agent);
      } catch (e) {
        throw new Error(`${resume.source}: ${(e as Error).message}`);
      }
      replayLoaded = resume.restoreReplay(this.replay, (m) => this.warnings.push(m));
    }
    this.replayLoaded = replayLoaded;

    this.epsilonAt = explorationSchedule(agentCfg.exploration, cfg.totalSteps);
    this.lrAt = learningRateSchedule(agentCfg.lr, agentCfg.lrSchedule, cfg.totalSteps);
    const ObsArray = spec.observationType === "uint8" ? Uint8Array : Float32Array;
    this.prevObs = new ObsArray(n * this.obsSize);
    this.nextObs = new ObsArray(n * this.obsSize);
    this.obs = new ObsArray(n * this.obsSize);
    this.actions = new Int32Array(n);
  }

  /** Tells the listener; a listener returning false stops the run after the current step. */
  emit(e: TrainEvent): void {
    if (this.listener(e) === false) this.stopRequested = true;
  }

  /** Seconds of training, over all sessions of a resumed run. */
  wall(): number {
    return this.progress.elapsedSeconds + (Date.now() - this.started) / 1000;
  }

  /** The whole run: collect, learn, evaluate and checkpoint until the step budget, the goal or `signal`. */
  async run(signal?: AbortSignal): Promise<LoopResult> {
    const { cfg, progress } = this;
    this.started = Date.now();
    this.emit({ kind: "start", runDir: this.store?.runDir ?? null, config: cfg, resumedFromStep: this.resumedFromStep, replayBytes: this.replay.memoryBytes });
    for (const message of this.warnings) this.emit({ kind: "warning", message });
    this.bestWeights = this.store?.bestWeights() ?? null;
    this.resetEnvs();

    let reason: StopReason = "finished";
    let lastYield = Date.now();
    const n = this.venv.numEnvs;
    while (progress.step < cfg.totalSteps) {
      const epsilon = this.epsilonAt(progress.step, progress.episodes);
      const prev = progress.step;
      if (cfg.asyncEnvs) {
        // The envs step while the update runs: the update of step t samples the replay as of step t − 1.
        this.act(epsilon);
        this.learn(prev, prev + n);
        this.record(epsilon);
      } else {
        this.collect(epsilon);
        this.learn(prev, progress.step);
      }
      if (crossed(prev, progress.step, cfg.evalEvery) && this.evaluate(epsilon)) {
        reason = "goal";
        break;
      }
      if (crossed(prev, progress.step, cfg.checkpointEvery)) this.checkpoint();
      // Now and then: report progress and yield so SIGINT/SIGTERM handlers run.
      if (Date.now() - lastYield > 50) {
        this.emit({ kind: "progress", step: progress.step, epsilon, lastReturn: this.lastReturn, lastEval: progress.lastEval });
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      if (signal?.aborted) {
        reason = "interrupted";
        break;
      }
      if (this.stopRequested) {
        reason = "stopped";
        break;
      }
    }
    if (reason !== "interrupted" && progress.lastEval?.step !== progress.step) {
      if (this.evaluate(this.epsilonAt(progress.step, progress.episodes))) reason = "goal";
    }
    this.checkpoint();
    this.store?.finish(this);
    const report = reason === "interrupted" ? null : this.report();
    if (!this.singleInstance) {
      this.venv.close();
      this.evalEnv.close();
    }
    this.emit({ kind: "done", step: progress.step, reason, seconds: this.wall() });
    return { step: progress.step, bestEval: progress.bestEval, lastEval: progress.lastEval, report, reason };
  }

  /**
   * Report: the best model (chosen on the selection seeds) evaluated greedily on the report
   * seeds, `reportSeed`…, which no selection saw; null when `reportEpisodes` is 0.
   */
  private report(): RunReport | null {
    const { cfg, progress, agent } = this;
    const best = progress.bestEval;
    if (cfg.reportEpisodes === 0 || best === null || this.bestWeights === null) return null;
    const model = agentFromWeights(
      this.bestWeights,
      `the best model (step ${best.step})`,
      agent.spec,
      agent.config.network,
      { arena: agent.arena, network: this.networkFactory },
      agent.algorithm.modelSettings(),
    );
    const r = this.evaluateModel(model, cfg.reportEpisodes, cfg.reportSeed);
    const report: RunReport = {
      step: best.step,
      selection: { seed: cfg.evalSeed, episodes: selectionSeedCount(cfg), mean: best.mean, std: best.std },
      report: { seed: cfg.reportSeed, episodes: cfg.reportEpisodes, mean: r.mean, std: r.std, min: r.min, max: r.max, returns: r.returns, lengths: r.lengths },
    };
    this.store?.report(this, report);
    this.emit({ kind: "report", mean: r.mean, std: r.std, episodes: cfg.reportEpisodes, seed: cfg.reportSeed, step: best.step });
    return report;
  }

  /** Resets every env copy to its episode's seed; a resumed run replays the actions of its unfinished episodes. */
  private resetEnvs(): void {
    const { venv, progress, obsSize } = this;
    const n = venv.numEnvs;
    this.obs = venv.reset({ seeds: progress.envEpisodes.map((k, i) => episodeSeed(this.agentCfg.seed, i, k)) }).obs as Float32Array | Uint8Array;
    for (let i = 0; i < n; i++) {
      const log = progress.inFlightActions[i]!;
      if (log.length > 0) this.obs.set(venv.replay(i, log) as Float32Array | Uint8Array, i * obsSize);
    }
    // Without a saved replay a resumed run starts its memory afresh from the current observations.
    if (!this.replayLoaded) this.replay.start(this.obs);
  }

  /**
   * Brings env copy `i` back into its unfinished training episode after evaluation used the
   * same instance: reset with the episode's seed, replay its actions, and check that it
   * arrives at the observation it left.
   */
  private restoreEpisode(i: number): void {
    // A single instance always steps in this thread (see the constructor).
    const env = this.localEnvs!.envs[i]!;
    const log = this.progress.inFlightActions[i]!;
    let obs: Observation | null = env.reset({ seed: episodeSeed(this.agentCfg.seed, i, this.progress.envEpisodes[i]!) }).obs;
    for (let t = 0; t < log.length && obs !== null; t++) {
      const r = env.step(log[t]!);
      obs = r.terminated || r.truncated ? null : r.obs;
    }
    const left = this.obs.subarray(i * this.obsSize, (i + 1) * this.obsSize);
    const arrived = obs;
    const same = arrived !== null && arrived.length === left.length && left.every((v, k) => v === arrived[k]);
    if (!same) {
      throw new Error(
        "evaluating on the env instance being trained needs an env that is deterministic given its reset seed and actions, and this one is not; pass a factory () => Env so evaluation gets its own copy",
      );
    }
  }

  /** Collect: one ε-greedy step of every env copy, its finished episodes and its transitions into replay. */
  collect(epsilon: number): void {
    this.act(epsilon);
    this.record(epsilon);
  }

  /** Collect's first half: ε-greedy actions for every copy, handed to the envs (which may step in another thread). */
  private act(epsilon: number): void {
    const { venv, agent, progress, actions } = this;
    const n = venv.numEnvs;
    agent.actBatch(this.obs, n, epsilon, actions);
    for (let i = 0; i < n; i++) progress.inFlightActions[i]!.push(actions[i]!);
    this.prevObs.set(this.obs);
    venv.stepAsync(actions);
  }

  /** Collect's second half: the step's results, finished episodes and transitions into replay. */
  private record(epsilon: number): void {
    const { venv, agent, progress, actions, prevObs, nextObs, obsSize } = this;
    const n = venv.numEnvs;
    const inFlight = progress.inFlightActions;
    const r = venv.stepWait();
    nextObs.set(r.obs);
    for (let i = 0; i < n; i++) {
      const final = r.infos.finalObs[i];
      if (!final) continue;
      nextObs.set(final, i * obsSize);
      inFlight[i]!.length = 0;
      progress.envEpisodes[i]!++;
      progress.episodes++;
      const stats = episodeStatistics(r.infos.finalInfo[i]);
      if (!stats) throw new Error(`trainer: env ${i} ended an episode without RecordEpisodeStatistics info`);
      this.lastReturn = stats.r;
      const record: EpisodeRecord = { step: progress.step + i + 1, episode: progress.episodes, ret: stats.r, length: stats.l, epsilon };
      this.store?.episode(this, record);
      this.emit({ kind: "episode", step: record.step, episode: record.episode, ret: record.ret, length: record.length });
      if (this.agentCfg.targetUpdateOnEpisodeEnd) agent.updateTarget();
    }
    this.obs = r.obs as Float32Array | Uint8Array;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(r.rewards[i]!);
      if (a > progress.maxAbsReward) progress.maxAbsReward = a;
    }
    this.replay.add(prevObs, actions, r.rewards, nextObs, r.terminated, r.truncated, this.obs);
    progress.step += n;
  }

  /** Learn: the gradient steps due from step `prev` to `step`, then the target network's sync when due. */
  learn(prev: number, step: number): void {
    const { agentCfg, agent, progress, replay } = this;
    if (step > agentCfg.learningStarts && crossed(prev, step, agentCfg.trainFreq) && replay.size >= agentCfg.batchSize) {
      agent.optimizer.lr = this.lrAt(step);
      for (let g = 0; g < agentCfg.gradientSteps; g++) {
        const res = agent.trainStep(replay.sample(step));
        this.checkUpdate(res);
        replay.learned(agent.tdErrors);
        progress.lossSum += res.loss;
        progress.qSum += res.meanQ;
        progress.lossCount++;
      }
    }
    if (!agentCfg.targetUpdateOnEpisodeEnd && crossed(prev, step, agentCfg.targetUpdateInterval)) agent.updateTarget();
  }

  /** `episodes` episodes of `model` at `evalEpsilon` on the eval env, seeds `seed`, `seed + 1`, … (one options object for every step). */
  private evaluateModel(model: DQNAgent, episodes: number, seed: number): EvalResult {
    const actOptions = { epsilon: this.agentCfg.evalEpsilon };
    return evaluate(this.evalEnv, (o: Observation) => model.act(o as Float32Array | Uint8Array, actOptions), { episodes, seed });
  }

  /** Evaluate: greedy episodes on the selection seeds (`evalSeed`…); true when `stopAtReturn` is reached (over `confirmEpisodes` when set). */
  evaluate(epsilon: number): boolean {
    const { cfg, agent, progress } = this;
    const r = this.evaluateModel(agent, cfg.evalEpisodes, cfg.evalSeed);
    progress.lastEval = { step: progress.step, mean: r.mean, std: r.std };
    const beatsBest = (e: EvalResult) => progress.bestEval === null || e.mean > progress.bestEval.mean;
    let confirmed: EvalResult | null = null;
    if (beatsBest(r) && cfg.confirmEpisodes > 0) {
      // Episode i of an evaluation is on seed evalSeed + i: play only the seeds r has not.
      const more = this.evaluateModel(agent, cfg.confirmEpisodes - cfg.evalEpisodes, cfg.evalSeed + cfg.evalEpisodes);
      confirmed = evalResult([...r.returns, ...more.returns], [...r.lengths, ...more.lengths]);
    }
    const selection = cfg.confirmEpisodes > 0 ? confirmed : r;
    const best = selection !== null && beatsBest(selection) ? selection : null;
    if (best !== null) {
      progress.bestEval = { step: progress.step, mean: best.mean, std: best.std };
      if (cfg.reportEpisodes > 0) this.bestWeights = agent.modelStateDict();
    }
    this.store?.evaluated(this, r, best, epsilon);
    if (this.singleInstance) this.restoreEpisode(0);
    progress.lossSum = progress.qSum = progress.lossCount = 0;
    this.emit({
      kind: "eval",
      step: progress.step,
      mean: r.mean,
      std: r.std,
      min: r.min,
      max: r.max,
      isBest: best !== null,
      confirmed: confirmed && { mean: confirmed.mean, std: confirmed.std, episodes: cfg.confirmEpisodes },
    });
    // With confirmation on, a short evaluation's lucky mean must hold over confirmEpisodes to stop the run too.
    return cfg.stopAtReturn !== null && selection !== null && selection.mean >= cfg.stopAtReturn;
  }

  /** Checkpoint: refuses non-finite weights, then lets the store (if any) save the run's state. */
  checkpoint(): void {
    const { agent } = this;
    for (const p of agent.online.parameters()) {
      const s = agent.arena.kernels.sumSquares(p.ptr, p.size);
      if (!Number.isFinite(s)) throw new TrainingDivergedError(`weights are not finite at step ${this.progress.step}; ${this.lastGood()}`);
    }
    this.store?.checkpoint(this);
  }

  private lastGood(): string {
    return this.store?.lastGood() ?? "no run directory keeps a checkpoint";
  }

  /** The divergence guard: no discounted return can exceed max|r| · horizon. */
  private checkUpdate(res: TrainStepResult): void {
    const { agentCfg, cfg, progress } = this;
    const horizon = agentCfg.gamma < 1 ? 1 / (1 - agentCfg.gamma) : cfg.totalSteps;
    // Huber's loss grows like |δ| and MSE's like δ²/2: both give the size of the TD error δ.
    const td = agentCfg.loss === "mse" ? Math.sqrt(2 * res.loss) : res.loss;
    const factor = cfg.divergenceFactor;
    const limit = factor === null ? Infinity : factor * Math.max(1, progress.maxAbsReward) * horizon;
    if (Math.abs(res.meanQ) <= limit && td <= limit) return;
    const why =
      !Number.isFinite(res.loss) || !Number.isFinite(res.meanQ)
        ? `loss became ${res.loss} (mean Q ${res.meanQ}) at step ${progress.step}`
        : `at step ${progress.step} ${td > limit ? `the TD error (about ${td.toExponential(2)}, loss ${res.loss.toExponential(2)})` : `|mean Q| ${Math.abs(res.meanQ).toExponential(2)}`} ` +
          `exceeds the divergence threshold ${limit.toExponential(2)} = divergenceFactor ${factor} × max|r| ${Math.max(1, progress.maxAbsReward)} × horizon ${horizon.toFixed(0)}`;
    throw new TrainingDivergedError(`${why}; ${this.lastGood()} (try a lower lr, now ${agentCfg.lr}, or maxGradNorm)`);
  }
}
