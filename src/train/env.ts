/**
 * The env a run (or a model file) is about, built the same way for training, evaluation,
 * recording and the browser: no file-system access here.
 */
import type { DQNSpec } from "../agents/dqn.js";
import type { Env } from "../envs/core.js";
import { make } from "../envs/registry.js";
import { Box, Discrete } from "../envs/spaces.js";
import { DiscreteActions, resolveActionTable } from "../wrappers/discrete-actions.js";
import { dqnImagePipeline } from "../wrappers/pipeline.js";
import { RecordEpisodeStatistics } from "../wrappers/record-episode-statistics.js";
import { SkippedTilePenalty } from "../wrappers/skipped-tile-penalty.js";
import type { TrainConfig } from "./config.js";

/** What builds an env: its id and options, its discrete action set (absent: none) and its image pipeline. */
export type EnvSetup = Pick<TrainConfig, "env" | "envOptions" | "pipeline"> & { actions?: TrainConfig["actions"] };

/**
/**
 * The env as training and evaluation see it: DiscreteActions (if any) and RecordEpisodeStatistics
 * innermost, so returns are the env's own; `wrapRaw` may wrap the raw env first (RecordVideo);
 * `create` builds the raw env (a user's env that is not registered).
 */
export function makeTrainEnv(cfg: EnvSetup, wrapRaw: (env: Env) => Env = (e) => e, create: () => Env = () => make(cfg.env, cfg.envOptions)): Env {
  const raw = wrapRaw(create());
  const base = new RecordEpisodeStatistics(cfg.actions === undefined || cfg.actions === null ? raw : new DiscreteActions(raw, cfg.actions));
  return cfg.pipeline === null ? base : (dqnImagePipeline(base, cfg.pipeline) as unknown as Env);
}

/** What builds a run's training copies: `EnvSetup` and the training-only reward. */
export type TrainingEnvSetup = EnvSetup & Partial<Pick<TrainConfig, "skippedTilePenalty">>;

/**
 * A training copy of the env: `makeTrainEnv`'s, and outside it the training-only reward
 * (`skippedTilePenalty`), so the episode statistics keep the env's own returns.
 */
export function makeTrainingEnv(cfg: TrainingEnvSetup, wrapRaw?: (env: Env) => Env, create?: () => Env): Env {
  const env = makeTrainEnv(cfg, wrapRaw, create);
  const penalty = cfg.skippedTilePenalty ?? 0;
  if (penalty === 0) return env;
  try {
    return new SkippedTilePenalty(env, { penalty });
  } catch (e) {
    env.close();
    throw new Error(`skippedTilePenalty ${penalty} on ${cfg.env}: ${(e as Error).message}`);
  }
}

/** The env part of a model file's metadata: a named action table is stored as its rows, so the file does not depend on the name. */
export function modelEnvInfo(cfg: EnvSetup): Required<EnvSetup> & { actions: number[][] | null } {
  const actions = cfg.actions === undefined || cfg.actions === null ? null : resolveActionTable(cfg.actions);
  return { env: cfg.env, envOptions: cfg.envOptions, actions, pipeline: cfg.pipeline };
}

/** What the agent needs to know about an env, or a clear error if DQN cannot drive it. */
export function agentSpec(env: Env, envId: string): DQNSpec {
  const a = env.actionSpace;
  if (!(a instanceof Discrete)) {
    throw new Error(
      `${envId}: DQN needs a discrete action space, got ${a.toString()}; for CarRacing and LunarLander pass continuous: false, or give a discrete action set (actions: "carracing-9")`,
    );
  }
  const o = env.observationSpace;
  if (!(o instanceof Box)) throw new Error(`${envId}: observation space ${o.toString()} is not a Box`);
  if (o.dtype === "uint8") return { observationShape: [...o.shape], observationType: "uint8", nActions: a.n };
  if (o.shape.length !== 1) {
    throw new Error(`${envId}: float observations of shape [${o.shape.join(", ")}] need flattening; DQN takes vectors or uint8 image stacks`);
  }
  return { observationShape: [...o.shape], observationType: "float32", nActions: a.n };
}

function describeSpec(s: DQNSpec): string {
  return `${s.observationType} observations of shape [${s.observationShape.join(", ")}] and ${s.nActions} actions`;
}

/**
 * Throws unless an agent built for `expected` can drive `env`: the same observation shape
 * and type and the same number of actions. `what` names the model or checkpoint.
 */
export function checkSpecFits(expected: DQNSpec, env: Env, envId: string, what: string): void {
  const got = agentSpec(env, envId);
  const same =
    got.observationType === expected.observationType &&
    got.nActions === expected.nActions &&
    got.observationShape.length === expected.observationShape.length &&
    got.observationShape.every((d, i) => d === expected.observationShape[i]);
  if (!same) throw new Error(`${what} expects ${describeSpec(expected)}, but ${envId} gives ${describeSpec(got)}`);
}
