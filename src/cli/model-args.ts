/**
 * The model a command runs (eval, record, play) and the env it runs on, checked against
 * each other before anything starts: a deepq model file names its env and network; a plain
 * safetensors file (e.g. saved from PyTorch) needs `--env` and `--network`.
 */
import type { NetworkSpec } from "../agents/config.js";
import type { DQNAgent } from "../agents/dqn.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";
import { agentSpec, checkSpecFits, type EnvSetup, makeTrainEnv } from "../train/env.js";
import { agentFromWeights, type ModelInfo, modelFromFile } from "../train/model-format.js";
import { checkEnvId, UsageError } from "./args.js";
import { defaultPresetFor } from "./presets.js";

export type EnvConfig = EnvSetup;

export interface ModelFlags {
  /** Run on this env instead of the model's own. */
  env?: string;
  /** The network of a plain safetensors file. */
  network?: NetworkSpec;
}

export interface LoadedModel {
  agent: DQNAgent;
  env: EnvConfig;
  /** The file's own description, null for a plain safetensors file. */
  info: ModelInfo | null;
}

/** An env as its tuned preset builds it (options such as `continuous: false`, the image pipeline), else with defaults. */
function presetEnv(id: string): EnvConfig {
  const preset = defaultPresetFor(id);
  return { env: id, envOptions: preset?.envOptions ?? {}, actions: preset?.actions ?? null, pipeline: preset?.pipeline ?? null };
}

export function loadModelForEnv(path: string, flags: ModelFlags): LoadedModel {
  const file = readSafeTensorsFile(path);
  let agent: DQNAgent;
  let env: EnvConfig;
  let info: ModelInfo | null = null;
  let what: string;
  if (file.metadata.deepq === undefined) {
    if (flags.env === undefined || flags.network === undefined) {
      throw new UsageError(
        `${path} has no deepq metadata (a plain safetensors file, e.g. saved from PyTorch): pass --env <id> and --network <net> (e.g. --network mlp:256,256 or dueling-small-cnn) to run it`,
      );
    }
    env = presetEnv(checkEnvId(flags.env));
    const probe = makeTrainEnv(env);
    const spec = agentSpec(probe, env.env);
    probe.close();
    agent = agentFromWeights(file.tensors, path, spec, flags.network);
    what = path;
  } else {
    if (flags.network !== undefined) throw new UsageError(`--network is for plain safetensors files; ${path} describes its own network`);
    ({ agent, info } = modelFromFile(file, path));
    env = { env: flags.env === undefined ? info.env : checkEnvId(flags.env), envOptions: info.envOptions, actions: info.actions, pipeline: info.pipeline };
    what = `${path} (trained on ${info.env})`;
  }
  const probe = makeTrainEnv(env);
  try {
    checkSpecFits(agent.spec, probe, env.env, what);
  } finally {
    probe.close();
  }
  return { agent, env, info };
}
