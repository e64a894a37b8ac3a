/**
 * `make` and `register`, as Gymnasium's registry: ids like `LunarLander-v3`, options
 * in camelCase or Gymnasium's snake_case, the id's `max_episode_steps` applied
 * through a `TimeLimit` wrapper.
 */
import { camelCase, type Env, type EnvSpec, givenOptionNames } from "./core.js";
import { TimeLimit } from "./time-limit.js";

export interface EnvRegistration {
  id: string;
  /** Builds the raw env from normalized (camelCase) options; validates them. */
  create: (options: Record<string, unknown>) => Env;
  /** Gymnasium's `max_episode_steps`; undefined for no limit. */
  maxEpisodeSteps?: number;
  /** Options fixed by the id (e.g. v2 vs v3 behaviour), merged under the user's. */
  defaultOptions?: Record<string, unknown>;
  /** One line for `deepq list`. */
  description?: string;
}

const registry = new Map<string, EnvRegistration>();

export function register(reg: EnvRegistration): void {
  if (!/^[A-Za-z0-9_/.:-]+-v\d+$/.test(reg.id)) {
    throw new Error(`register: id "${reg.id}" must look like Name-vN`);
  }
  if (registry.has(reg.id)) throw new Error(`register: "${reg.id}" is already registered`);
  registry.set(reg.id, reg);
}

/** Registered ids, sorted. */
export function registeredIds(): string[] {
  return [...registry.keys()].sort();
}

export function registration(id: string): EnvRegistration | undefined {
  return registry.get(id);
}

export interface MakeOptions {
  /** Overrides the id's episode limit; `null` removes it. */
  maxEpisodeSteps?: number | null;
  [option: string]: unknown;
}

/** Creates a registered env: `make("LunarLander-v3", { enable_wind: true })`. */
export function make(id: string, options: MakeOptions = {}): Env {
  const reg = registry.get(id);
  if (!reg) {
    throw new Error(`make: unknown environment id "${id}"; registered: ${registeredIds().join(", ") || "(none)"}`);
  }
  const normalized: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  let limit: number | null | undefined = reg.maxEpisodeSteps;
  for (const [k, v] of Object.entries(options)) {
    const key = camelCase(k);
    if (key === "maxEpisodeSteps") {
      if (v !== null && (typeof v !== "number" || !Number.isInteger(v) || v <= 0)) {
        throw new Error(`make: max_episode_steps must be a positive integer or null, got ${JSON.stringify(v)}`);
      }
      limit = v as number | null;
    } else {
      normalized[key] = v;
      spelled.set(key, k);
    }
  }
  const merged = { ...(reg.defaultOptions ?? {}), ...normalized };
  givenOptionNames.set(merged, spelled);
  const env = reg.create(merged);
  const spec: EnvSpec = { id, options: merged, maxEpisodeSteps: limit ?? undefined };
  env.spec = spec;
  if (limit == null) return env;
  const wrapped = new TimeLimit(env, limit);
  wrapped.spec = spec;
  return wrapped;
}
