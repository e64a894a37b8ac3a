/**
 * A training run in one JSON-able object: which env, how it is preprocessed, the agent's
 * hyperparameters and the run's schedule. Presets are files of this shape.
 */
import { type DQNConfig, resolveDQNConfig } from "../agents/config.js";
import { brief } from "../util/text.js";
import { resolveActionTable } from "../wrappers/discrete-actions.js";
import type { DqnImagePipelineOptions } from "../wrappers/pipeline.js";

export interface TrainConfig {
  /** Registered env id, e.g. "LunarLander-v3". */
  env: string;
  /** Constructor options of the env (Gymnasium's kwargs). */
  envOptions: Record<string, unknown>;
  /**
   * A discrete action set for an env with a continuous (Box) action space: the name of a table
   * (`"carracing-9"`, see `ACTION_TABLES`) or the rows themselves; null: the env's own actions.
   */
  actions: string | number[][] | null;
  /** The DQN-paper image preprocessing (gray, crop, skip, stack, no-ops); null for vector observations. */
  pipeline: Partial<DqnImagePipelineOptions> | null;
  /** Agent hyperparameters (see DQNConfig). */
  agent: Partial<DQNConfig>;
  /** Environment steps to train (summed over vector envs). */
  totalSteps: number;
  /** Steps between evaluations. */
  evalEvery: number;
  /** Greedy episodes per evaluation. */
  evalEpisodes: number;
  /** Evaluation episode i uses seed evalSeed + i, the same at every evaluation: the selection seeds the best model is picked on. */
  evalSeed: number;
  /**
   * Confirm a new best on more selection episodes (0: off). An evaluation whose mean beats the
   * best model's is extended to this many episodes (seeds evalSeed…, the first evalEpisodes
   * being the ones just played), and the model becomes the best only if that mean beats the
   * best's own over as many. A best picked on few noisy episodes is often a lucky one; this
   * costs extra episodes only when an evaluation looks like a new best. More than evalEpisodes.
   */
  confirmEpisodes: number;
  /** Episodes of the final evaluation of the best model on report seeds, unseen by selection (0: none). */
  reportEpisodes: number;
  /** Report episode i uses seed reportSeed + i; the range must not overlap the selection seeds. */
  reportSeed: number;
  /** Steps between checkpoints (one is also written at the end and on SIGINT/SIGTERM). */
  checkpointEvery: number;
  /** Save the replay buffer with each checkpoint, so a resumed run keeps its memory. */
  saveReplay: boolean;
  /**
   * Keep the weights of every evaluation as `models/<step>.safetensors` in the run directory
   * (model files, with that evaluation in their metadata), for picking or averaging offline.
   */
  keepModels: boolean;
  /**
   * Stop once an evaluation's mean return reaches this (null: train for totalSteps). With
   * confirmEpisodes set, the mean over the confirmation's episodes must reach it.
   */
  stopAtReturn: number | null;
  /** Save every `every`-th training episode of env copy 0 as a GIF (every `stride`-th frame) in `videos/`; null: none. */
  video: { every: number; stride: number } | null;
  /**
   * Divergence guard: stop the run when |mean Q| or the TD error of an update exceeds this
   * many times the largest possible discounted return, max|r| / (1 − γ), with max|r| the
   * largest reward magnitude seen so far (at least 1); null: only non-finite values stop it.
   */
  divergenceFactor: number | null;
  /**
   * Step the env copies while the network update runs, in a worker thread on another core:
   * the update of step t then samples the replay as of step t − 1 (a fixed schedule, so a run
   * is the same whatever the thread timing, but not the same run as with false). Envs that
   * cannot step in a worker (custom instances, video recording) follow the same schedule in
   * this thread. Pays where env steps are costly (image pipelines); the CarRacing presets set it.
   */
  asyncEnvs: boolean;
  /**
   * CarRacing only, training only: subtract this from the reward for each track tile the car
   * leaves behind unvisited, at the step it does (`SkippedTilePenalty`; 0: off). The returns
   * logged, evaluated and reported stay the env's own.
   */
  skippedTilePenalty: number;
}

export const DEFAULT_TRAIN_CONFIG: Readonly<Omit<TrainConfig, "env">> = Object.freeze({
  envOptions: {},
  actions: null,
  pipeline: null,
  agent: {},
  totalSteps: 100_000,
  evalEvery: 10_000,
  evalEpisodes: 10,
  evalSeed: 1_000_000,
  confirmEpisodes: 0,
  reportEpisodes: 100,
  reportSeed: 2_000_000,
  checkpointEvery: 50_000,
  saveReplay: false,
  keepModels: false,
  stopAtReturn: null,
  video: null,
  divergenceFactor: 100,
  asyncEnvs: false,
  skippedTilePenalty: 0,
});

const TRAIN_KEYS = [
  "env",
  "envOptions",
  "actions",
  "pipeline",
  "agent",
  "totalSteps",
  "evalEvery",
  "evalEpisodes",
  "evalSeed",
  "confirmEpisodes",
  "reportEpisodes",
  "reportSeed",
  "checkpointEvery",
  "saveReplay",
  "keepModels",
  "stopAtReturn",
  "video",
  "divergenceFactor",
  "asyncEnvs",
  "skippedTilePenalty",
] as const;

function positiveInt(key: string, v: unknown): void {
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new Error(`train config: ${key} = ${brief(v)} is invalid; expected a positive integer`);
}

/** How many selection seeds (from evalSeed) the best model is picked on. */
export function selectionSeedCount(cfg: Pick<TrainConfig, "evalEpisodes" | "confirmEpisodes">): number {
  return Math.max(cfg.evalEpisodes, cfg.confirmEpisodes);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Fills defaults and validates every field, naming the bad key and value. */
export function resolveTrainConfig(partial: Partial<TrainConfig> & { env: string }): TrainConfig {
  if (!isObject(partial)) throw new Error(`train config: expected an object, got ${brief(partial)}`);
  for (const k of Object.keys(partial)) {
    if (!(TRAIN_KEYS as readonly string[]).includes(k)) {
      throw new Error(`train config: unknown key ${brief(k, 40)}; allowed: ${TRAIN_KEYS.join(", ")}`);
    }
  }
  const cfg: TrainConfig = { ...structuredClone(DEFAULT_TRAIN_CONFIG), ...structuredClone(partial) } as TrainConfig;
  if (typeof cfg.env !== "string" || cfg.env.length === 0) throw new Error(`train config: env must be an env id, got ${brief(cfg.env)}`);
  if (!isObject(cfg.envOptions)) throw new Error(`train config: envOptions must be an object, got ${brief(cfg.envOptions)}`);
  if (cfg.actions !== null) resolveActionTable(cfg.actions, "train config: actions");
  if (cfg.pipeline !== null && !isObject(cfg.pipeline)) {
    throw new Error(`train config: pipeline must be an object or null, got ${brief(cfg.pipeline)}`);
  }
  positiveInt("totalSteps", cfg.totalSteps);
  positiveInt("evalEvery", cfg.evalEvery);
  positiveInt("evalEpisodes", cfg.evalEpisodes);
  positiveInt("checkpointEvery", cfg.checkpointEvery);
  if (!Number.isSafeInteger(cfg.evalSeed) || cfg.evalSeed < 0) {
    throw new Error(`train config: evalSeed = ${brief(cfg.evalSeed)} is invalid; expected a non-negative integer`);
  }
  if (!Number.isSafeInteger(cfg.reportEpisodes) || cfg.reportEpisodes < 0) {
    throw new Error(`train config: reportEpisodes = ${brief(cfg.reportEpisodes)} is invalid; expected a non-negative integer (0: no report evaluation)`);
  }
  if (!Number.isSafeInteger(cfg.reportSeed) || cfg.reportSeed < 0) {
    throw new Error(`train config: reportSeed = ${brief(cfg.reportSeed)} is invalid; expected a non-negative integer`);
  }
  if (!Number.isSafeInteger(cfg.confirmEpisodes) || (cfg.confirmEpisodes !== 0 && cfg.confirmEpisodes <= cfg.evalEpisodes)) {
    throw new Error(
      `train config: confirmEpisodes = ${brief(cfg.confirmEpisodes)} is invalid; expected 0 (off) or an integer above evalEpisodes (${brief(cfg.evalEpisodes)})`,
    );
  }
  const selectionEpisodes = selectionSeedCount(cfg);
  if (cfg.reportEpisodes > 0 && cfg.reportSeed < cfg.evalSeed + selectionEpisodes && cfg.evalSeed < cfg.reportSeed + cfg.reportEpisodes) {
    throw new Error(
      `train config: report seeds ${cfg.reportSeed}–${cfg.reportSeed + cfg.reportEpisodes - 1} (reportSeed, reportEpisodes) overlap the selection seeds ${cfg.evalSeed}–${cfg.evalSeed + selectionEpisodes - 1} (evalSeed, ${cfg.confirmEpisodes > 0 ? "confirmEpisodes" : "evalEpisodes"}); choose disjoint ranges`,
    );
  }
  if (typeof cfg.saveReplay !== "boolean") throw new Error(`train config: saveReplay must be true or false, got ${brief(cfg.saveReplay)}`);
  if (typeof cfg.keepModels !== "boolean") throw new Error(`train config: keepModels must be true or false, got ${brief(cfg.keepModels)}`);
  if (cfg.stopAtReturn !== null && !Number.isFinite(cfg.stopAtReturn)) {
    throw new Error(`train config: stopAtReturn must be a number or null, got ${brief(cfg.stopAtReturn)}`);
  }
  if (cfg.video !== null) {
    if (!isObject(cfg.video)) throw new Error(`train config: video must be { every, stride } or null, got ${brief(cfg.video)}`);
    const extra = Object.keys(cfg.video).filter((k) => k !== "every" && k !== "stride");
    if (extra.length > 0) throw new Error(`train config: video has unknown field ${brief(extra[0], 40)}; allowed: every, stride`);
    cfg.video = { every: cfg.video.every, stride: cfg.video.stride ?? 1 };
    positiveInt("video.every", cfg.video.every);
    positiveInt("video.stride", cfg.video.stride);
  }
  if (cfg.divergenceFactor !== null && !(typeof cfg.divergenceFactor === "number" && cfg.divergenceFactor >= 1 && Number.isFinite(cfg.divergenceFactor))) {
    throw new Error(`train config: divergenceFactor = ${brief(cfg.divergenceFactor)} is invalid; expected a number ≥ 1 or null`);
  }
  if (typeof cfg.asyncEnvs !== "boolean") throw new Error(`train config: asyncEnvs must be true or false, got ${brief(cfg.asyncEnvs)}`);
  if (!(typeof cfg.skippedTilePenalty === "number" && Number.isFinite(cfg.skippedTilePenalty) && cfg.skippedTilePenalty >= 0)) {
    throw new Error(`train config: skippedTilePenalty = ${brief(cfg.skippedTilePenalty)} is invalid; expected a finite number ≥ 0 (0: off)`);
  }
  resolveDQNConfig(cfg.agent);
  return cfg;
}

/**
 * The fields `given` sets whose values differ in `ran`, in depth, as "path: ran → given" (JSON
 * values; "absent" where `ran` lacks the field). Fields `given` leaves out are not compared.
 */
export function configDrift(given: unknown, ran: unknown, path = ""): string[] {
  const differs = () => [`${path}: ${JSON.stringify(ran) ?? "absent"} → ${JSON.stringify(given)}`];
  if (!isObject(given)) return JSON.stringify(given) === JSON.stringify(ran) ? [] : differs();
  if (!isObject(ran)) return differs();
  return Object.entries(given).flatMap(([key, value]) => configDrift(value, ran[key], path === "" ? key : `${path}.${key}`));
}

/**
 * The fields a partial train config sets that a run's config has otherwise (see configDrift).
 * Both are resolved first, the agent's defaults included, so a field given at the value the
 * run took by default is no drift.
 */
export function trainConfigDrift(given: Partial<TrainConfig> & { env: string }, ran: TrainConfig): string[] {
  const resolved = (cfg: TrainConfig) => ({ ...cfg, agent: resolveDQNConfig(cfg.agent) });
  return configDrift(fieldsSet(resolved(resolveTrainConfig(given)), given), resolved(ran));
}

/** The parts of `resolved` at the fields `raw` sets, in depth through plain objects. */
function fieldsSet(resolved: unknown, raw: unknown): unknown {
  if (!isObject(raw) || !isObject(resolved)) return resolved;
  return Object.fromEntries(Object.keys(raw).map((key) => [key, fieldsSet(resolved[key], raw[key])]));
}
