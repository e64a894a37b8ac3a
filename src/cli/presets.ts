/**
 * Presets are JSON files of `TrainConfig` shape in the package's `presets/` folder; a
 * preset named like an env id (`CartPole-v1.json`) is that env's tuned default.
 * `--set key=value` edits a config by dotted path; bare DQN keys (`lr`, `double`) mean
 * `agent.<key>`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DQN_CONFIG_KEYS } from "../agents/config.js";
import type { TrainConfig } from "../train/config.js";
import { cut } from "../util/text.js";
import { UsageError } from "./args.js";

export type PresetConfig = Partial<TrainConfig> & { env: string };

/** `presets/` at the package root (the same relative path from src/cli and dist/cli). */
export const PRESETS_DIR = fileURLToPath(new URL("../../presets/", import.meta.url));

export interface PresetEntry {
  name: string;
  env: string;
  description: string;
}

export function listPresets(dir = PRESETS_DIR): PresetEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -5);
      const raw = readPresetFile(`${dir}${f}`);
      return { name, env: String(raw.env), description: typeof raw.description === "string" ? raw.description : "" };
    });
}

function readPresetFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`preset file ${path} cannot be read`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`preset file ${path} is not a JSON object: ${(e as Error).message}`);
  }
}

/** A preset by name (or a path to a .json file), without its `description`. */
export function loadPreset(nameOrPath: string, dir = PRESETS_DIR): PresetConfig {
  const path = nameOrPath.endsWith(".json") ? nameOrPath : `${dir}${nameOrPath}.json`;
  if (!existsSync(path)) {
    const names = listPresets(dir).map((p) => p.name);
    throw new UsageError(`--preset ${nameOrPath}: no such preset; available: ${names.join(", ") || "(none)"}`);
  }
  const { description: _description, ...config } = readPresetFile(path);
  if (typeof config.env !== "string") throw new Error(`preset ${nameOrPath}: "env" must name an env id`);
  return config as PresetConfig;
}

/** The tuned preset of an env, if one exists. */
export function defaultPresetFor(envId: string, dir = PRESETS_DIR): PresetConfig | null {
  return existsSync(`${dir}${envId}.json`) ? loadPreset(envId, dir) : null;
}

/** A `--set` value: JSON when it parses (numbers, booleans, null, arrays, objects), else the raw string. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Sets an own, enumerable property: a plain assignment to "__proto__" would replace the prototype instead. */
function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Applies `key=value` (dotted key) to `config` in place. The path is walked through own
 * properties only, so no name reaches a prototype; what it names is then checked by the
 * config validation like any other key.
 */
export function applySet(config: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set ${cut(assignment, 60)}: expected key=value, e.g. --set lr=3e-4 or --set agent.network.hidden=[128,128]`);
  let key = assignment.slice(0, eq);
  const value = parseValue(assignment.slice(eq + 1));
  if ((DQN_CONFIG_KEYS as readonly string[]).includes(key.split(".")[0]!)) key = `agent.${key}`;
  const parts = key.split(".");
  if (parts.some((p) => p.length === 0)) throw new UsageError(`--set ${cut(assignment, 60)}: the key has an empty part`);
  let node = config;
  for (const p of parts.slice(0, -1)) {
    const next = Object.hasOwn(node, p) ? node[p] : undefined;
    if (next === undefined || next === null) setOwn(node, p, {});
    else if (typeof next !== "object" || Array.isArray(next)) throw new UsageError(`--set ${cut(assignment, 60)}: "${p}" is not an object`);
    node = node[p] as Record<string, unknown>;
  }
  setOwn(node, parts[parts.length - 1]!, value);
}
