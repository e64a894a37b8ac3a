/**
 * The recipe by which an env worker (`AsyncVectorEnv`) builds a run's env copies: it imports
 * this module, which registers the built-in envs, and calls `trainEnvCopy(config, index)`.
 */
import type { Env } from "../envs/core.js";
import "../envs/index.js";
import { makeTrainingEnv, type TrainingEnvSetup } from "./env.js";

export type EnvCopyConfig = TrainingEnvSetup;

/** Copy `_index` of the run's training env, as `makeTrainingEnv` builds it (all copies alike; seeds come with each reset). */
export function trainEnvCopy(config: EnvCopyConfig, _index: number): Env {
  return makeTrainingEnv(config);
}

/** The recipe of `trainEnvCopy` for `config`. */
export function envCopyRecipe(config: EnvCopyConfig): { module: string; exportName: string; args: EnvCopyConfig } {
  return {
    module: import.meta.url,
    exportName: "trainEnvCopy",
    args: {
      env: config.env,
      envOptions: config.envOptions,
      actions: config.actions ?? null,
      pipeline: config.pipeline,
      skippedTilePenalty: config.skippedTilePenalty ?? 0,
    },
  };
}
