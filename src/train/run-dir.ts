/**
 * The run directory: the persistence layer the training loop (loop.ts) plugs in when a
 * run has a directory. It resumes from and writes checkpoints, logs episodes and
 * evaluations as CSV, redraws the returns plot, saves `best.safetensors` and
 * `model.safetensors` (and, with `keepModels`, every evaluated model in `models/`), writes
 * `report.json` (the best model on report seeds) and records videos of env copy 0.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../envs/core.js";
import { type EpisodePoint, type EvalPoint, returnsPlotPng, returnsPlotSvg } from "../media/plot.js";
import type { SafeTensor } from "../nn/safetensors.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";
import { ensureDir, removeStaleTempFiles, writeFileAtomic } from "../util/atomic-file.js";
import { briefList } from "../util/text.js";
import { RecordVideo } from "../wrappers/record-video.js";
import { CHECKPOINT_FILE, cleanCheckpointDir, readCheckpoint, readCheckpointReplay, writeCheckpoint } from "./checkpoint.js";
import { resolveTrainConfig, type TrainConfig, trainConfigDrift } from "./config.js";
import { modelEnvInfo } from "./env.js";
import type { EvalResult } from "./evaluate.js";
import { CsvLog } from "./files.js";
import type { EpisodeRecord, ResumePoint, RunReport, RunStore, TrainEvent, TrainLoop } from "./loop.js";
import { saveModel } from "./model-file.js";

const EPISODE_COLUMNS = ["step", "episode", "return", "length", "epsilon", "wall_s"] as const;
const PROGRESS_COLUMNS = [
  "step",
  "wall_s",
  "eval_mean",
  "eval_std",
  "eval_min",
  "eval_max",
  "eval_episodes",
  "epsilon",
  "loss",
  "mean_q",
  "steps_per_s",
  "episodes",
] as const;

/** `models/` file names: the step, zero-padded so that names sort by step. */
const modelName = (step: number) => `${String(step).padStart(10, "0")}.safetensors`;
const MODEL_NAME = /^(\d+)\.safetensors$/;

export interface RunDirOptions {
  runDir: string;
  /** Continue the run in `runDir` from its last checkpoint. */
  resume?: boolean | undefined;
  /** With `resume`: a new step budget (to extend a finished run). */
  totalSteps?: number | undefined;
  /** With `resume`: continue without the checkpoint's saved replay buffer (see TrainOptions). */
  dropReplay?: boolean | undefined;
  onEvent?: ((e: TrainEvent) => boolean | void) | undefined;
}

export class RunDirectory implements RunStore {
  readonly runDir: string;
  /** The run's config: the given one, or the checkpoint's when resuming (with `totalSteps` as the resume sets it). */
  readonly config: TrainConfig;
  readonly resume: ResumePoint | null;
  private readonly ckptDir: string;
  private readonly ckptPath: string;
  private readonly episodesPath: string;
  private readonly progressPath: string;
  private readonly modelsDir: string;
  private readonly emit: (e: TrainEvent) => boolean | void;
  private episodesLog: CsvLog<(typeof EPISODE_COLUMNS)[number]> | null = null;
  private progressLog: CsvLog<(typeof PROGRESS_COLUMNS)[number]> | null = null;
  private episodePoints: EpisodePoint[] = [];
  private evalPoints: EvalPoint[] = [];
  private lastCheckpointStep: number | null;
  private speedMark = { step: 0, time: Date.now() };

  /**
   * Reads and checks the directory (the checkpoint to resume, leftover logs) and the
   * config without changing anything, so a refused start leaves the directory as it was.
   * A resume runs the checkpoint's config: `config` may be null, and a field it sets to
   * another value than the run's is refused (only `opts.totalSteps` extends a run).
   */
  constructor(config: (Partial<TrainConfig> & { env: string }) | null, opts: RunDirOptions) {
    const { runDir } = opts;
    this.runDir = runDir;
    this.ckptDir = join(runDir, "checkpoints");
    this.ckptPath = join(this.ckptDir, CHECKPOINT_FILE);
    this.episodesPath = join(runDir, "episodes.csv");
    this.progressPath = join(runDir, "progress.csv");
    this.modelsDir = join(runDir, "models");
    this.emit = opts.onEvent ?? (() => {});
    const { ckptDir, ckptPath } = this;
    if (opts.resume) {
      if (!existsSync(ckptPath)) throw new Error(`--resume: no checkpoint at ${ckptPath}`);
      const { tensors, meta } = readCheckpoint(ckptPath);
      const at = meta.progress.step;
      if (opts.totalSteps !== undefined && opts.totalSteps < at) {
        throw new Error(`--steps ${opts.totalSteps} is below step ${at} of the checkpoint ${ckptPath}; pass at least ${at}`);
      }
      const ran = resolveTrainConfig(meta.train);
      this.config = opts.totalSteps === undefined ? ran : resolveTrainConfig({ ...ran, totalSteps: opts.totalSteps });
      // A config may keep the run's first budget, or name the new one the resume sets.
      const given = config !== null && config.totalSteps === opts.totalSteps ? { ...config, totalSteps: ran.totalSteps } : config;
      const drift = given === null ? [] : trainConfigDrift(given, ran);
      if (drift.length > 0) {
        const steps = drift.some((d) => d.startsWith("totalSteps:")) ? "; a resume extends a run only through its totalSteps option" : "";
        throw new Error(
          `${runDir} holds a run of another config (${drift.join("; ")}): a resume continues the run as it started${steps}; resume without a config, or train this one in another run directory`,
        );
      }
      this.resume = {
        meta,
        tensors,
        source: ckptPath,
        restoreReplay: (replay, warn) => {
          if (meta.replay === null) return false;
          if (opts.dropReplay) {
            warn(`resuming without the saved replay buffer (--drop-replay): the memory starts afresh, so the run will differ from an uninterrupted one`);
            return false;
          }
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
          return true;
        },
      };
      this.lastCheckpointStep = at;
    } else {
      if (config === null) throw new Error(`${runDir}: a new run needs a config (only a resume takes its config from the checkpoint)`);
      this.config = resolveTrainConfig(config);
      if (existsSync(ckptPath)) throw new Error(`${runDir} already holds a run; pass --resume to continue it or choose another --run-dir`);
      const logged = [this.episodesPath, this.progressPath].filter((p) => CsvLog.rowCount(p) > 0);
      if (logged.length > 0) {
        throw new Error(
          `${runDir} holds the logs of a run that stopped before its first checkpoint (${logged.join(", ")}); nothing there can be resumed: delete them or choose another --run-dir`,
        );
      }
      this.resume = null;
      this.lastCheckpointStep = null;
    }
  }

  /** Env copy 0 records its training episodes into `videos/` when the config asks for it. */
  readonly wrapRaw = (raw: Env, index: number): Env => {
    const video = this.config.video;
    if (video === null || index !== 0) return raw;
    return new RecordVideo(raw, {
      dir: join(this.runDir, "videos"),
      every: video.every,
      stride: video.stride,
      firstEpisode: this.resume?.meta.progress.envEpisodes[0] ?? 0,
      onSaved: (path, episode, ret) => this.emit({ kind: "video", path, episode, ret }),
    });
  };

  /**
   * Takes over the directory for `loop` (built from this directory's config and resume
   * point): leftovers of interrupted writes go, logs keep only what the checkpoint covers.
   */
  attach(loop: TrainLoop): void {
    const { runDir, ckptDir, progressPath, episodesPath } = this;
    ensureDir(ckptDir);
    const removed = [
      ...cleanCheckpointDir(ckptDir, this.resume?.meta ?? null),
      ...removeStaleTempFiles(runDir),
      ...removeStaleTempFiles(join(runDir, "videos")),
      ...removeStaleTempFiles(this.modelsDir),
    ];
    if (removed.length > 0) loop.warnings.push(`removed ${removed.length} leftover(s) of interrupted writes: ${briefList(removed, 4)}`);
    const { step } = loop.progress;
    const later = this.removeModelsAfter(step);
    if (later.length > 0)
      loop.warnings.push(`removed ${later.length} kept model(s) of steps after the checkpoint's ${step}, to be evaluated again: ${briefList(later, 4)}`);
    if (this.config.keepModels) ensureDir(this.modelsDir);
    if (this.resume) {
      for (const path of [episodesPath, progressPath]) {
        const { torn } = CsvLog.keepThrough(path, "step", loop.progress.step);
        if (torn > 0) loop.warnings.push(`${path}: dropped ${torn} torn row(s) left by an interrupted write`);
      }
    }
    writeFileAtomic(join(runDir, "config.json"), `${JSON.stringify({ ...loop.cfg, agent: loop.agentCfg }, null, 2)}\n`);
    this.episodesLog = new CsvLog(episodesPath, EPISODE_COLUMNS);
    this.progressLog = new CsvLog(progressPath, PROGRESS_COLUMNS);
    this.episodePoints = CsvLog.read(episodesPath).map((r) => ({ step: Number(r.step), ret: Number(r.return) }));
    this.evalPoints = CsvLog.read(progressPath).map((r) => ({ step: Number(r.step), mean: Number(r.eval_mean), std: Number(r.eval_std) }));
    this.speedMark = { step: loop.progress.step, time: Date.now() };
    loop.store = this;
  }

  episode(loop: TrainLoop, e: EpisodeRecord): void {
    this.episodesLog!.append({ step: e.step, episode: e.episode, return: e.ret, length: e.length, epsilon: e.epsilon, wall_s: Number(loop.wall().toFixed(2)) });
    this.episodePoints.push({ step: e.step, ret: e.ret });
  }

  evaluated(loop: TrainLoop, r: EvalResult, best: EvalResult | null, epsilon: number): void {
    const { progress, cfg } = loop;
    const now = Date.now();
    const sps = (progress.step - this.speedMark.step) / Math.max(1e-3, (now - this.speedMark.time) / 1000);
    this.speedMark = { step: progress.step, time: now };
    if (best !== null) {
      saveModel(join(this.runDir, "best.safetensors"), loop.agent, {
        ...this.modelInfo(loop),
        eval: { mean: best.mean, std: best.std, episodes: best.returns.length },
      });
    }
    if (cfg.keepModels) {
      saveModel(join(this.modelsDir, modelName(progress.step)), loop.agent, {
        ...this.modelInfo(loop),
        eval: { mean: r.mean, std: r.std, episodes: r.returns.length },
      });
    }
    this.progressLog!.append({
      step: progress.step,
      wall_s: Number(loop.wall().toFixed(2)),
      eval_mean: r.mean,
      eval_std: r.std,
      eval_min: r.min,
      eval_max: r.max,
      eval_episodes: cfg.evalEpisodes,
      epsilon,
      loss: progress.lossCount ? progress.lossSum / progress.lossCount : null,
      mean_q: progress.lossCount ? progress.qSum / progress.lossCount : null,
      steps_per_s: Number(sps.toFixed(1)),
      episodes: progress.episodes,
    });
    this.evalPoints.push({ step: progress.step, mean: r.mean, std: r.std });
    const plot = { title: `${cfg.env} — ${loop.agentCfg.algorithm.toUpperCase()}`, episodes: this.episodePoints, evals: this.evalPoints };
    writeFileAtomic(join(this.runDir, "returns.svg"), returnsPlotSvg(plot));
    writeFileAtomic(join(this.runDir, "returns.png"), returnsPlotPng(plot));
  }

  checkpoint(loop: TrainLoop): void {
    const { progress, cfg } = loop;
    try {
      writeCheckpoint(this.ckptDir, {
        agent: loop.agent,
        train: cfg,
        progress: { ...progress, elapsedSeconds: loop.wall() },
        replay: cfg.saveReplay ? loop.replay.state() : null,
      });
    } catch (e) {
      throw new Error(
        `${(e as Error).message}; ${this.lastCheckpointStep === null ? "no checkpoint was written yet" : `the checkpoint of step ${this.lastCheckpointStep} is intact (continue with --resume)`}`,
      );
    }
    this.lastCheckpointStep = progress.step;
    loop.emit({ kind: "checkpoint", step: progress.step, path: this.ckptPath });
  }

  lastGood(): string {
    return this.lastCheckpointStep === null
      ? "no checkpoint was written yet"
      : `the last good checkpoint is ${this.ckptPath} (step ${this.lastCheckpointStep})`;
  }

  finish(loop: TrainLoop): void {
    const last = loop.progress.lastEval;
    saveModel(join(this.runDir, "model.safetensors"), loop.agent, {
      ...this.modelInfo(loop),
      eval: last ? { mean: last.mean, std: last.std, episodes: loop.cfg.evalEpisodes } : null,
    });
  }

  bestWeights(): ReadonlyMap<string, SafeTensor> | null {
    const path = join(this.runDir, "best.safetensors");
    return existsSync(path) ? readSafeTensorsFile(path).tensors : null;
  }

  /** `report.json`: the report-seed evaluation of the best model beside its selection. */
  report(_loop: TrainLoop, report: RunReport): void {
    writeFileAtomic(join(this.runDir, "report.json"), `${JSON.stringify({ model: "best.safetensors", ...report }, null, 2)}\n`);
  }

  /**
   * Kept models of steps after `step`: a run resumed from an earlier checkpoint evaluates those
   * steps again, and a model must never outlive the logs of its evaluation.
   */
  private removeModelsAfter(step: number): string[] {
    let names: string[];
    try {
      names = readdirSync(this.modelsDir);
    } catch {
      return [];
    }
    const later = names.filter((name) => {
      const m = MODEL_NAME.exec(name);
      return m !== null && Number(m[1]) > step;
    });
    for (const name of later) rmSync(join(this.modelsDir, name), { force: true });
    return later.map((name) => join("models", name));
  }

  private modelInfo(loop: TrainLoop) {
    return { ...modelEnvInfo(loop.cfg), step: loop.progress.step };
  }
}
