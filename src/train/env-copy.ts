/**
 * The recipe by which an env worker (`AsyncVectorEnv`) builds a run's env copies: it imports
 * this module, which registers the built-in envs, and calls `trainEnvCopy(config, index)`.
 */
import type { Env } from "../envs/core.js";
import "../envs/index.js";
import { type EnvSetup, makeTrainEnv } from "./env.js";

export type EnvCopyConfig = EnvSetup;

/** Copy `_index` of the run's env, as `makeTrainEnv` builds it (all copies alike; seeds come with each reset). */
export function trainEnvCopy(config: EnvCopyConfig, _index: number): Env {
  return makeTrainEnv(config);
}

/** The recipe of `trainEnvCopy` for `config`. */
export function envCopyRecipe(config: EnvCopyConfig): { module: string; exportName: string; args: EnvCopyConfig } {
  return {
    module: import.meta.url,
    exportName: "trainEnvCopy",
    args: { env: config.env, envOptions: config.envOptions, actions: config.actions ?? null, pipeline: config.pipeline },
  };
}
