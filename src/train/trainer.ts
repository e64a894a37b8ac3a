/**
 * The training loop, top to bottom as CleanRL writes it: act ε-greedily on N envs, store
 * the transitions, learn every `trainFreq` steps, sync the target network, evaluate,
 * checkpoint. It writes the run directory (config, CSV logs, the returns plot, model and
 * checkpoint files) and reports through events; it never touches the terminal.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resolveDQNConfig, type DQNConfig } from "../agents/config.js";
import { DQNAgent, type TrainStepResult } from "../agents/dqn.js";
import { explorationSchedule } from "../agents/schedules.js";
import type { Observation } from "../envs/core.js";
import { ensureDir, removeStaleTempFiles } from "../nn/safetensors-fs.js";
import { brief, briefList } from "../util/text.js";
import { returnsPlotPng, returnsPlotSvg, type EpisodePoint, type EvalPoint } from "../viz/plot.js";
import { episodeStatistics } from "../wrappers/record-episode-statistics.js";
import { VectorEnv } from "../wrappers/vector.js";
import { CHECKPOINT_FILE, cleanCheckpointDir, readCheckpoint, readCheckpointReplay, writeCheckpoint, type RunProgress } from "./checkpoint.js";
import { resolveTrainConfig, type TrainConfig } from "./config.js";
import { evaluate } from "./evaluate.js";
import { agentSpec, checkSpecFits, makeTrainEnv, modelEnvInfo } from "./env.js";
import { checkReplayMemory, createMemory, memoryBytesFor } from "./memory.js";
import { RecordVideo } from "./record-video.js";
import { CsvLog, writeFileAtomic } from "./files.js";
import { saveModel } from "./model-file.js";
import { checkFiniteWeights } from "./model-format.js";

export type TrainEvent =
  | { kind: "start"; runDir: string; config: TrainConfig; resumedFromStep: number | null; replayBytes: number }
  | { kind: "progress"; step: number; epsilon: number; lastReturn: number | null; lastEval: { mean: number; std: number } | null }
  | { kind: "episode"; step: number; episode: number; ret: number; length: number }
  | { kind: "eval"; step: number; mean: number; std: number; min: number; max: number; isBest: boolean }
  | { kind: "checkpoint"; step: number; path: string }
  | { kind: "video"; path: string; episode: number; ret: number }
  /** Something the user should know that does not stop the run (low memory, a dropped replay, cleaned-up leftovers). */
  | { kind: "warning"; message: string }
  | { kind: "done"; step: number; reason: "finished" | "goal" | "interrupted"; seconds: number };

export interface TrainOptions {
  /** Where logs, plots, models and checkpoints go. */
  runDir: string;
  /** Continue the run in `runDir` from its last checkpoint. */
  resume?: boolean;
  /** With `resume`: a new step budget (to extend a finished run). */
  totalSteps?: number;
  /**
   * With `resume`: continue without the checkpoint's saved replay buffer when it is missing
   * or does not belong to the checkpoint (the run then starts its memory afresh and no
   * longer matches an uninterrupted one). Without it, such a resume is refused.
   */
  dropReplay?: boolean;
  onEvent?: (e: TrainEvent) => void;
  /** Aborting checkpoints and stops (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
}

export interface TrainResult {
  runDir: string;
  step: number;
  bestEval: RunProgress["bestEval"];
  lastEval: RunProgress["lastEval"];
  reason: "finished" | "goal" | "interrupted";
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

const EPISODE_COLUMNS = ["step", "episode", "return", "length", "epsilon", "wall_s"] as const;
const PROGRESS_COLUMNS = ["step", "wall_s", "eval_mean", "eval_std", "eval_min", "eval_max", "eval_episodes", "epsilon", "loss", "mean_q", "steps_per_s", "episodes"] as const;

const crossed = (prev: number, cur: number, every: number) => Math.floor(prev / every) < Math.floor(cur / every);

export async function train(config: Partial<TrainConfig> & { env: string }, opts: TrainOptions): Promise<TrainResult> {
  const { runDir } = opts;
  const ckptDir = join(runDir, "checkpoints");
  const ckptPath = join(ckptDir, CHECKPOINT_FILE);
  const episodesPath = join(runDir, "episodes.csv");
  const progressPath = join(runDir, "progress.csv");
  const emit = opts.onEvent ?? (() => {});
  const warnings: string[] = [];

  // Everything is read and checked before the run directory changes, so a refused start
  // (a bad config, a damaged checkpoint, too little memory) leaves it as it was.
  let cfg: TrainConfig;
  let resumed: ReturnType<typeof readCheckpoint> | null = null;
  if (opts.resume) {
    if (!existsSync(ckptPath)) throw new Error(`--resume: no checkpoint at ${ckptPath}`);
    resumed = readCheckpoint(ckptPath);
    const at = resumed.meta.progress.step;
    if (opts.totalSteps !== undefined && opts.totalSteps < at) {
      throw new Error(`--steps ${opts.totalSteps} is below step ${at} of the checkpoint ${ckptPath}; pass at least ${at}`);
    }
    cfg = resolveTrainConfig({ ...resumed.meta.train, ...(opts.totalSteps !== undefined ? { totalSteps: opts.totalSteps } : {}) });
  } else {
    cfg = resolveTrainConfig(config);
    if (existsSync(ckptPath)) throw new Error(`${runDir} already holds a run; pass --resume to continue it or choose another --run-dir`);
    const logged = [episodesPath, progressPath].filter((p) => CsvLog.rowCount(p) > 0);
    if (logged.length > 0) {
      throw new Error(`${runDir} holds the logs of a run that stopped before its first checkpoint (${logged.join(", ")}); nothing there can be resumed: delete them or choose another --run-dir`);
    }
  }
  const agentCfg: DQNConfig = resolveDQNConfig(cfg.agent);

  const n = agentCfg.numEnvs;
  const envEpisodes = resumed ? [...resumed.meta.progress.envEpisodes] : new Array<number>(n).fill(0);
  const video = cfg.video;
  const venv = new VectorEnv(n, (i) => makeTrainEnv(cfg, (raw) => (video && i === 0
    ? new RecordVideo(raw, { dir: join(runDir, "videos"), every: video.every, stride: video.stride, firstEpisode: envEpisodes[0],
      onSaved: (path, episode, ret) => emit({ kind: "video", path, episode, ret }) })
    : raw)), {
    // Called inside `step`, before the loop below counts the finished episode.
    autoresetSeed: (i: number) => episodeSeed(agentCfg.seed, i, envEpisodes[i]! + 1),
  });
  const evalEnv = makeTrainEnv(cfg);
  const spec = agentSpec(venv.envs[0]!, cfg.env);
  if (resumed) checkSpecFits(resumed.meta.agent.spec, venv.envs[0]!, cfg.env, `the checkpoint ${ckptPath}`);
  let replayBytes: number;
  try {
    replayBytes = memoryBytesFor(spec, agentCfg);
  } catch (e) {
    throw new Error(`bufferSize ${agentCfg.bufferSize}: ${(e as Error).message}`);
  }
  const memoryWarning = checkReplayMemory(replayBytes, agentCfg.bufferSize);
  if (memoryWarning !== null) warnings.push(memoryWarning);
  let agent: DQNAgent;
  try {
    agent = new DQNAgent(spec, agentCfg);
  } catch (e) {
    // The engine's limits (WebAssembly memory, typed arrays) are RangeErrors; name the field behind them.
    if (e instanceof RangeError) throw new Error(`network ${brief(agentCfg.network)}: the network cannot be allocated (${e.message}); use smaller layers`);
    throw e;
  }
  const obsSize = spec.observationShape.reduce((a, b) => a * b, 1);
  const replay = createMemory(spec, agentCfg, cfg.totalSteps);

  const progress: RunProgress = resumed
    ? { ...resumed.meta.progress, envEpisodes }
    : {
      step: 0, episodes: 0, envEpisodes, bestEval: null, lastEval: null, elapsedSeconds: 0,
      inFlightActions: Array.from({ length: n }, () => []), lossSum: 0, qSum: 0, lossCount: 0, maxAbsReward: 0,
    };
  const inFlight = progress.inFlightActions;
  let replayLoaded = false;
  if (resumed) {
    const { meta } = resumed;
    checkFiniteWeights(resumed.tensors, ckptPath);
    try {
      agent.restore(resumed.tensors, meta.agent);
    } catch (e) {
      throw new Error(`${ckptPath}: ${(e as Error).message}`);
    }
    if (meta.replay !== null && opts.dropReplay) {
      warnings.push(`resuming without the saved replay buffer (--drop-replay): the memory starts afresh, so the run will differ from an uninterrupted one`);
    } else if (meta.replay !== null) {
      try {
        const state = readCheckpointReplay(ckptDir, meta, replay.memoryBytes);
        try {
          replay.load(state);
        } catch (e) {
          throw new Error(`${join(ckptDir, meta.replay.file)}: ${(e as Error).message}`);
        }
      } catch (e) {
        throw new Error(`cannot resume exactly: ${(e as Error).message}; pass --drop-replay to resume without the replay buffer (not exact)`);
      }
      replayLoaded = true;
    }
  }

  // The run directory: leftovers of interrupted writes go, logs keep only what the checkpoint covers.
  ensureDir(ckptDir);
  const removed = [...cleanCheckpointDir(ckptDir, resumed?.meta ?? null), ...removeStaleTempFiles(runDir), ...removeStaleTempFiles(join(runDir, "videos"))];
  if (removed.length > 0) warnings.push(`removed ${removed.length} leftover(s) of interrupted writes: ${briefList(removed, 4)}`);
  if (resumed) {
    for (const path of [episodesPath, progressPath]) {
      const { torn } = CsvLog.keepThrough(path, "step", progress.step);
      if (torn > 0) warnings.push(`${path}: dropped ${torn} torn row(s) left by an interrupted write`);
    }
  }
  writeFileAtomic(join(runDir, "config.json"), `${JSON.stringify({ ...cfg, agent: agentCfg }, null, 2)}\n`);
  const episodesLog = new CsvLog(episodesPath, EPISODE_COLUMNS);
  const progressLog = new CsvLog(progressPath, PROGRESS_COLUMNS);
  const episodePoints: EpisodePoint[] = CsvLog.read(episodesLog.path).map((r) => ({ step: Number(r.step), ret: Number(r.return) }));
  const evalPoints: EvalPoint[] = CsvLog.read(progressLog.path).map((r) => ({ step: Number(r.step), mean: Number(r.eval_mean), std: Number(r.eval_std) }));

  const epsilonAt = explorationSchedule(agentCfg.exploration, cfg.totalSteps);
  const started = Date.now();
  const wall = () => progress.elapsedSeconds + (Date.now() - started) / 1000;
  emit({ kind: "start", runDir, config: cfg, resumedFromStep: resumed ? progress.step : null, replayBytes: replay.memoryBytes });
  for (const message of warnings) emit({ kind: "warning", message });

  const ObsArray = spec.observationType === "uint8" ? Uint8Array : Float32Array;
  const prevObs = new ObsArray(n * obsSize);
  const nextObs = new ObsArray(n * obsSize);
  const actions = new Int32Array(n);
  let lastReturn: number | null = null;
  let speedMark = { step: progress.step, time: Date.now() };

  const modelInfo = () => ({ ...modelEnvInfo(cfg), step: progress.step });

  let lastCheckpointStep: number | null = resumed ? progress.step : null;
  const lastGood = () => (lastCheckpointStep === null
    ? "no checkpoint was written yet"
    : `the last good checkpoint is ${ckptPath} (step ${lastCheckpointStep})`);

  const checkpoint = () => {
    for (const p of agent.online.parameters()) {
      const s = agent.arena.kernels.sumSquares(p.ptr, p.size);
      if (!Number.isFinite(s)) throw new TrainingDivergedError(`weights are not finite at step ${progress.step}; ${lastGood()}`);
    }
    try {
      writeCheckpoint(ckptDir, { agent, train: cfg, progress: { ...progress, elapsedSeconds: wall() }, replay: cfg.saveReplay ? replay.state() : null });
    } catch (e) {
      throw new Error(`${(e as Error).message}; ${lastCheckpointStep === null ? "no checkpoint was written yet" : `the checkpoint of step ${lastCheckpointStep} is intact (continue with --resume)`}`);
    }
    lastCheckpointStep = progress.step;
    emit({ kind: "checkpoint", step: progress.step, path: ckptPath });
  };

  // The divergence guard's scale: no discounted return can exceed max|r| · horizon.
  const horizon = agentCfg.gamma < 1 ? 1 / (1 - agentCfg.gamma) : cfg.totalSteps;
  const checkUpdate = (res: TrainStepResult) => {
    // Huber's loss grows like |δ| and MSE's like δ²/2: both give the size of the TD error δ.
    const td = agentCfg.loss === "mse" ? Math.sqrt(2 * res.loss) : res.loss;
    const factor = cfg.divergenceFactor;
    const limit = factor === null ? Infinity : factor * Math.max(1, progress.maxAbsReward) * horizon;
    if (Math.abs(res.meanQ) <= limit && td <= limit) return;
    const why = !Number.isFinite(res.loss) || !Number.isFinite(res.meanQ)
      ? `loss became ${res.loss} (mean Q ${res.meanQ}) at step ${progress.step}`
      : `at step ${progress.step} ${td > limit ? `the TD error (about ${td.toExponential(2)}, loss ${res.loss.toExponential(2)})` : `|mean Q| ${Math.abs(res.meanQ).toExponential(2)}`} ` +
        `exceeds the divergence threshold ${limit.toExponential(2)} = divergenceFactor ${factor} × max|r| ${Math.max(1, progress.maxAbsReward)} × horizon ${horizon.toFixed(0)}`;
    throw new TrainingDivergedError(`${why}; ${lastGood()} (try a lower lr, now ${agentCfg.lr}, or maxGradNorm)`);
  };

  const runEval = (epsilon: number): boolean => {
    const r = evaluate(evalEnv, (o: Observation) => agent.act(o as Float32Array | Uint8Array, { epsilon: agentCfg.evalEpsilon }), {
      episodes: cfg.evalEpisodes,
      seed: cfg.evalSeed,
    });
    const now = Date.now();
    const sps = (progress.step - speedMark.step) / Math.max(1e-3, (now - speedMark.time) / 1000);
    speedMark = { step: progress.step, time: now };
    progress.lastEval = { step: progress.step, mean: r.mean, std: r.std };
    const isBest = progress.bestEval === null || r.mean > progress.bestEval.mean;
    if (isBest) {
      progress.bestEval = { ...progress.lastEval };
      saveModel(join(runDir, "best.safetensors"), agent, { ...modelInfo(), eval: { mean: r.mean, std: r.std, episodes: cfg.evalEpisodes } });
    }
    progressLog.append({
      step: progress.step, wall_s: Number(wall().toFixed(2)), eval_mean: r.mean, eval_std: r.std, eval_min: r.min, eval_max: r.max,
      eval_episodes: cfg.evalEpisodes, epsilon, loss: progress.lossCount ? progress.lossSum / progress.lossCount : null,
      mean_q: progress.lossCount ? progress.qSum / progress.lossCount : null, steps_per_s: Number(sps.toFixed(1)), episodes: progress.episodes,
    });
    progress.lossSum = progress.qSum = progress.lossCount = 0;
    evalPoints.push({ step: progress.step, mean: r.mean, std: r.std });
    const plot = { title: `${cfg.env} — DQN`, episodes: episodePoints, evals: evalPoints };
    writeFileAtomic(join(runDir, "returns.svg"), returnsPlotSvg(plot));
    writeFileAtomic(join(runDir, "returns.png"), returnsPlotPng(plot));
    emit({ kind: "eval", step: progress.step, mean: r.mean, std: r.std, min: r.min, max: r.max, isBest });
    return cfg.stopAtReturn !== null && r.mean >= cfg.stopAtReturn;
  };

  let reason: TrainResult["reason"] = "finished";
  let obs = venv.reset({ seeds: envEpisodes.map((k, i) => episodeSeed(agentCfg.seed, i, k)) }).obs as Float32Array | Uint8Array;
  for (let i = 0; i < n; i++) {
    const log = inFlight[i]!;
    for (let t = 0; t < log.length; t++) {
      const r = venv.envs[i]!.step(log[t]!);
      if (r.terminated || r.truncated) throw new Error(`resume: env ${i} ended while replaying its unfinished episode (step ${t}); the env is not deterministic`);
      if (t === log.length - 1) obs.set(r.obs as Float32Array | Uint8Array, i * obsSize);
    }
  }
  // Without a saved replay a resumed run starts its memory afresh from the current observations.
  if (!replayLoaded) replay.start(obs);
  let lastYield = Date.now();
  while (progress.step < cfg.totalSteps) {
    const epsilon = epsilonAt(progress.step, progress.episodes);
    agent.actBatch(obs, n, epsilon, actions);
    for (let i = 0; i < n; i++) inFlight[i]!.push(actions[i]!);
    prevObs.set(obs);
    const r = venv.step(actions);
    nextObs.set(r.obs);
    for (let i = 0; i < n; i++) {
      const final = r.infos.finalObs[i];
      if (!final) continue;
      nextObs.set(final, i * obsSize);
      inFlight[i]!.length = 0;
      envEpisodes[i]!++;
      progress.episodes++;
      const stats = episodeStatistics(r.infos.finalInfo[i]);
      if (!stats) throw new Error(`trainer: env ${i} ended an episode without RecordEpisodeStatistics info`);
      lastReturn = stats.r;
      const stepAtEnd = progress.step + i + 1;
      episodesLog.append({ step: stepAtEnd, episode: progress.episodes, return: lastReturn, length: stats.l, epsilon, wall_s: Number(wall().toFixed(2)) });
      episodePoints.push({ step: stepAtEnd, ret: lastReturn });
      emit({ kind: "episode", step: stepAtEnd, episode: progress.episodes, ret: lastReturn, length: stats.l });
      if (agentCfg.targetUpdateOnEpisodeEnd) agent.updateTarget();
    }
    obs = r.obs as Float32Array | Uint8Array;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(r.rewards[i]!);
      if (a > progress.maxAbsReward) progress.maxAbsReward = a;
    }
    replay.add(prevObs, actions, r.rewards, nextObs, r.terminated, r.truncated, obs);
    const prev = progress.step;
    progress.step += n;

    if (progress.step > agentCfg.learningStarts && crossed(prev, progress.step, agentCfg.trainFreq) && replay.size >= agentCfg.batchSize) {
      for (let g = 0; g < agentCfg.gradientSteps; g++) {
        const res = agent.trainStep(replay.sample(progress.step));
        checkUpdate(res);
        replay.learned(agent.tdErrors);
        progress.lossSum += res.loss;
        progress.qSum += res.meanQ;
        progress.lossCount++;
      }
    }
    if (!agentCfg.targetUpdateOnEpisodeEnd && crossed(prev, progress.step, agentCfg.targetUpdateInterval)) agent.updateTarget();
    if (crossed(prev, progress.step, cfg.evalEvery) && runEval(epsilon)) {
      reason = "goal";
      break;
    }
    if (crossed(prev, progress.step, cfg.checkpointEvery)) checkpoint();
    // Now and then: report progress and yield so SIGINT/SIGTERM handlers run.
    if (Date.now() - lastYield > 50) {
      emit({ kind: "progress", step: progress.step, epsilon, lastReturn, lastEval: progress.lastEval });
      await new Promise((res) => setImmediate(res));
      lastYield = Date.now();
    }
    if (opts.signal?.aborted) {
      reason = "interrupted";
      break;
    }
  }
  if (reason !== "interrupted" && (evalPoints.length === 0 || evalPoints[evalPoints.length - 1]!.step !== progress.step)) {
    if (runEval(epsilonAt(progress.step, progress.episodes))) reason = "goal";
  }
  checkpoint();
  saveModel(join(runDir, "model.safetensors"), agent, { ...modelInfo(), eval: progress.lastEval ? { mean: progress.lastEval.mean, std: progress.lastEval.std, episodes: cfg.evalEpisodes } : null });
  venv.close();
  evalEnv.close();
  emit({ kind: "done", step: progress.step, reason, seconds: wall() });
  return { runDir, step: progress.step, bestEval: progress.bestEval, lastEval: progress.lastEval, reason };
}
