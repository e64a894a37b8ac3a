/**
 * The model file format, without file-system access (so browsers can load models too).
 *
 * A model file holds the online network's weights under PyTorch names (so it loads in
 * PyTorch into the matching `nn.Sequential`) and, in its metadata, everything needed
 * to rebuild the env and the network: `deepq eval model.safetensors` needs nothing else.
 */

import type { AlgorithmSettings } from "../agents/algorithms/index.js";
import { type DQNConfig, type NetworkSpec, resolveDQNConfig } from "../agents/config.js";
import { DQNAgent, type DQNAgentOptions, type DQNSpec } from "../agents/dqn.js";
import { parseSafeTensors, type SafeTensor, type SafeTensorsFile, safeTensorsParts, toFloat32 } from "../nn/safetensors.js";
import { brief } from "../util/text.js";
import { resolveActionTable } from "../wrappers/discrete-actions.js";
import type { TrainConfig } from "./config.js";
import { MetaCheck } from "./meta-check.js";

export const MODEL_FORMAT = "deepq-model/1";

/** What a model file says about itself. */
export interface ModelInfo {
  format: typeof MODEL_FORMAT;
  env: string;
  envOptions: Record<string, unknown>;
  /** The discrete action set over a continuous action space, as rows (null: the env's own actions); files from before it are null. */
  actions: number[][] | null;
  pipeline: TrainConfig["pipeline"];
  spec: DQNSpec;
  network: DQNConfig["network"];
  /** The algorithm and its head's hyperparameters; files written before algorithms were recorded are DQN. */
  algorithm?: AlgorithmSettings | undefined;
  /** Environment steps of training behind these weights. */
  step: number;
  /** The evaluation that selected these weights, if any. */
  eval: { mean: number; std: number; episodes: number } | null;
  /** Every hyperparameter of the agent (so `DQN.load` can continue training); absent in older files. */
  config?: DQNConfig;
}

/** What the caller of `modelFileParts` says (the rest comes from the agent); no `actions`: the env's own. */
export type ModelFileInfo = Omit<ModelInfo, "format" | "spec" | "network" | "algorithm" | "actions" | "config"> & { actions?: number[][] | null };

/** The file's bytes, as consecutive parts (see `writeFileAtomic`). */
export function modelFileParts(agent: DQNAgent, info: ModelFileInfo): Uint8Array[] {
  const meta: ModelInfo = {
    format: MODEL_FORMAT,
    ...info,
    actions: info.actions ?? null,
    spec: agent.spec,
    network: agent.config.network,
    algorithm: agent.algorithm.modelSettings(),
    config: agent.config,
  };
  return safeTensorsParts(agent.modelStateDict(), { deepq: JSON.stringify(meta) });
}

export function parseMeta(path: string, raw: string | undefined, format: string): Record<string, unknown> {
  if (raw === undefined) {
    throw new Error(`${path}: no "deepq" metadata; is this a ${format === MODEL_FORMAT ? "deepq model" : "deepq checkpoint"} file?`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(raw) as unknown;
  } catch {
    throw new Error(`${path}: the "deepq" metadata is not valid JSON`);
  }
  const c = new MetaCheck(path);
  const obj = c.object("metadata", meta);
  if (obj.format !== format) {
    throw new Error(`${path}: format is ${brief(obj.format)}, expected "${format}"`);
  }
  return obj;
}

/** Largest observation (values) and action count a file may describe: far above any env here, far below an allocation that fails. */
const MAX_OBSERVATION_VALUES = 2 ** 24;
const MAX_ACTIONS = 2 ** 16;

/** Validates an agent spec read from a file (`field` names it in errors). */
export function checkSpec(c: MetaCheck, field: string, v: unknown): DQNSpec {
  const o = c.object(field, v);
  const type = o.observationType;
  if (type !== "float32" && type !== "uint8") c.fail(`${field}.observationType`, type, '"float32" or "uint8"');
  const shape = c.array(`${field}.observationShape`, o.observationShape, type === "uint8" ? 3 : 1);
  shape.forEach((d, i) => c.int(`${field}.observationShape[${i}]`, d, 1, MAX_OBSERVATION_VALUES));
  const values = (shape as number[]).reduce((a, b) => a * b, 1);
  if (values > MAX_OBSERVATION_VALUES) c.fail(`${field}.observationShape`, shape, `at most ${MAX_OBSERVATION_VALUES} values`);
  const nActions = c.int(`${field}.nActions`, o.nActions, 1, MAX_ACTIONS);
  return { observationShape: shape as number[], observationType: type, nActions };
}

/** Validates a recorded action table: rows of numbers, one per network output (absent in older files: null). */
function checkActions(c: MetaCheck, v: unknown, nActions: number): number[][] | null {
  if (v === undefined || v === null) return null;
  const rows = c.array("actions", v);
  const table = c.wrap("actions", () => resolveActionTable(rows as number[][]));
  if (table.length !== nActions) c.fail("actions", `${table.length} rows`, `one row per network output (${nActions})`);
  return table;
}

/** Validates a network description read from a file. */
function checkNetwork(c: MetaCheck, field: string, v: unknown): NetworkSpec {
  return c.wrap(field, () => resolveDQNConfig({ network: v as NetworkSpec }).network);
}

function checkModelInfo(name: string, raw: string | undefined): ModelInfo {
  const meta = parseMeta(name, raw, MODEL_FORMAT);
  const c = new MetaCheck(name);
  const evalField = meta.eval === null || meta.eval === undefined ? null : c.object("eval", meta.eval);
  const spec = checkSpec(c, "spec", meta.spec);
  return {
    format: MODEL_FORMAT,
    env: c.string("env", meta.env, /^\S{1,200}$/, "an env id"),
    envOptions: c.object("envOptions", meta.envOptions),
    actions: checkActions(c, meta.actions, spec.nActions),
    pipeline: meta.pipeline === null ? null : c.object("pipeline", meta.pipeline),
    spec,
    network: checkNetwork(c, "network", meta.network),
    algorithm: meta.algorithm === undefined ? undefined : checkAlgorithm(name, meta.algorithm),
    step: c.int("step", meta.step, 0),
    eval:
      evalField === null
        ? null
        : {
            mean: c.finite("eval.mean", evalField.mean),
            std: c.finite("eval.std", evalField.std, 0),
            episodes: c.int("eval.episodes", evalField.episodes, 1),
          },
    ...(meta.config === undefined ? {} : { config: c.wrap("config", () => resolveDQNConfig(c.object("config", meta.config) as Partial<DQNConfig>)) }),
  };
}

/** The recorded algorithm settings, validated as config keys (a crafted file is refused naming the field). */
function checkAlgorithm(name: string, v: unknown): AlgorithmSettings {
  if (v === null || typeof v !== "object" || Array.isArray(v) || !("algorithm" in v)) {
    throw new Error(`${name}: metadata field "algorithm" must be an object such as {"algorithm":"qr-dqn","quantiles":200}, got ${brief(v)}`);
  }
  try {
    resolveDQNConfig(v as Partial<DQNConfig>);
  } catch (e) {
    throw new Error(`${name}: metadata field "algorithm": ${(e as Error).message}`);
  }
  return v as AlgorithmSettings;
}

/** Throws, naming the tensor and index, if any float weight is NaN or infinite (such a model acts on garbage). */
export function checkFiniteWeights(sd: ReadonlyMap<string, SafeTensor>, name: string): void {
  for (const [key, t] of sd) {
    if (t.dtype !== "F32" && t.dtype !== "F64" && t.dtype !== "F16" && t.dtype !== "BF16") continue;
    const data = t.dtype === "F32" || t.dtype === "F64" ? (t.data as Float32Array | Float64Array) : toFloat32(t);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new Error(`${name}: weight ${brief(key, 60)} holds ${data[i]} at index ${i}; the model is unusable`);
    }
  }
}

/** A model from a file's bytes (`name` labels errors), in a fresh agent for greedy use. */
export function modelFromBytes(bytes: Uint8Array, name: string, opts: DQNAgentOptions = {}): { agent: DQNAgent; info: ModelInfo } {
  return modelFromFile(parseSafeTensors(bytes, name), name, opts);
}

/** A fresh greedy agent for `spec`, `network` and `algorithm` (DQN by default) holding the weights of `tensors`, with errors naming `name`. */
export function agentFromWeights(
  tensors: ReadonlyMap<string, SafeTensor>,
  name: string,
  spec: DQNSpec,
  network: NetworkSpec,
  opts: DQNAgentOptions = {},
  algorithm: AlgorithmSettings = { algorithm: "dqn" },
): DQNAgent {
  checkFiniteWeights(tensors, name);
  let agent: DQNAgent;
  try {
    agent = new DQNAgent(spec, { ...algorithm, network, batchSize: 1, bufferSize: 1 }, opts);
  } catch (e) {
    throw new Error(`${name}: cannot build the network ${brief(network)}: ${(e as Error).message}`);
  }
  try {
    agent.loadModelStateDict(tensors);
  } catch (e) {
    throw new Error(`${name}: weights do not fit the network ${brief(network)}: ${(e as Error).message}`);
  }
  return agent;
}

/** What a parsed model file says about itself, validated (`name` labels errors). */
export function modelInfoOf(file: SafeTensorsFile, name: string): ModelInfo {
  return checkModelInfo(name, file.metadata.deepq);
}

/** A model from a parsed file (`name` labels errors), in a fresh agent for greedy use. */
export function modelFromFile(file: SafeTensorsFile, name: string, opts: DQNAgentOptions = {}): { agent: DQNAgent; info: ModelInfo } {
  const info = checkModelInfo(name, file.metadata.deepq);
  return { agent: agentFromWeights(file.tensors, name, info.spec, info.network, opts, info.algorithm), info };
}
