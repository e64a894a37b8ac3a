/**
 * `train()`: a run with a run directory. The loop itself (build, collect, learn, evaluate,
 * checkpoint) is in loop.ts and touches no files; the run directory (run-dir.ts) is the
 * layer that resumes it and writes config, CSV logs, the returns plot, model and
 * checkpoint files. Progress is reported through events; nothing here uses the terminal.
 */

import { resolveDQNConfig } from "../agents/config.js";
import { AsyncVectorEnv } from "../wrappers/async-vector.js";
import type { RunProgress } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { envCopyRecipe } from "./env-copy.js";
import { type RunReport, type StopReason, type TrainEvent, TrainLoop } from "./loop.js";
import { RunDirectory } from "./run-dir.js";
import { systemMemory } from "./system-memory.js";

export { episodeSeed, type RunReport, type StopReason, type TrainEvent, TrainingDivergedError } from "./loop.js";

export interface TrainOptions {
  /** Where logs, plots, models and checkpoints go. */
  runDir: string;
  /** Continue the run in `runDir` from its last checkpoint. */
  resume?: boolean | undefined;
  /** With `resume`: a new step budget (to extend a finished run). */
  totalSteps?: number | undefined;
  /**
   * With `resume`: continue without the checkpoint's saved replay buffer when it is missing
   * or does not belong to the checkpoint (the run then starts its memory afresh and no
   * longer matches an uninterrupted one). Without it, such a resume is refused.
   */
  dropReplay?: boolean | undefined;
  /** Every event (what it returns is ignored; abort `signal` to stop). */
  onEvent?: ((e: TrainEvent) => void) | undefined;
  /** Aborting checkpoints and stops (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal | undefined;
}

export interface TrainResult {
  runDir: string;
  step: number;
  bestEval: RunProgress["bestEval"];
  lastEval: RunProgress["lastEval"];
  /** The best model on the report seeds (also in report.json); null when `reportEpisodes` is 0 or the run was interrupted. */
  report: RunReport | null;
  reason: StopReason;
}

/**
 * Trains `config` in `opts.runDir`. With `resume`, continues the run there from its last
 * checkpoint with the config it started with: pass null, or a config that agrees with it on
 * every field it sets (a differing field is refused, naming it).
 */
export async function train(config: (Partial<TrainConfig> & { env: string }) | null, opts: TrainOptions): Promise<TrainResult> {
  // Everything is read and checked before the run directory changes, so a refused start
  // (a bad config, a damaged checkpoint, too little memory) leaves it as it was.
  const listener = opts.onEvent;
  const onEvent = listener && ((e: TrainEvent) => void listener(e));
  const dir = new RunDirectory(config, { ...opts, onEvent });
  const { envs, warning } = await workerEnvs(dir.config);
  let loop: TrainLoop;
  try {
    loop = new TrainLoop(dir.config, { resume: dir.resume, wrapRaw: dir.wrapRaw, systemMemory, onEvent, envs });
  } catch (e) {
    envs?.close();
    throw e;
  }
  if (warning !== null) loop.warnings.push(warning);
  dir.attach(loop);
  try {
    const result = await loop.run(opts.signal);
    return { runDir: dir.runDir, ...result };
  } finally {
    // A run that stopped on an error leaves its worker waiting for the next step.
    envs?.close();
  }
}

/**
 * With `asyncEnvs`, the env copies step in a worker thread. Recorded videos stay in this
 * thread (they write files and report events), and an env the worker cannot build (an id
 * registered only in this thread) falls back with a warning; either way the loop keeps the
 * asyncEnvs schedule, so the run is the same.
 */
async function workerEnvs(cfg: TrainConfig): Promise<{ envs: AsyncVectorEnv | undefined; warning: string | null }> {
  if (!cfg.asyncEnvs || cfg.video !== null) return { envs: undefined, warning: null };
  try {
    return { envs: await AsyncVectorEnv.create(resolveDQNConfig(cfg.agent).numEnvs, envCopyRecipe(cfg)), warning: null };
  } catch (e) {
    return { envs: undefined, warning: `asyncEnvs: the envs step in the training thread (${(e as Error).message})` };
  }
}
