/**
 * The environment contract, mirroring Gymnasium's `Env`: `reset` → `{ obs, info }`,
 * `step` → `{ obs, reward, terminated, truncated, info }`.
 *
 * Buffer ownership: an env may reuse its observation buffer, so `obs` is valid
 * until the next `step`/`reset` of that env. Copy it (`obs.slice()`) to keep it.
 * This keeps stepping allocation-free, which is what makes millions of steps per
 * second possible.
 */
import type { Space } from "./spaces.js";

export type Info = Record<string, unknown>;

/** Observations are typed arrays with a shape given by the observation space. */
export type Observation = Float32Array | Float64Array | Uint8Array;

/** Discrete actions are integers; continuous ones are arrays of numbers. */
export type Action = number | Float32Array | Float64Array | Uint8Array | readonly number[];

export interface ResetArgs {
  /** Reseeds the env's numpy-compatible generator; without it the stream continues. */
  seed?: number | undefined;
  options?: Record<string, unknown> | undefined;
}

export interface ResetResult<O extends Observation = Observation> {
  obs: O;
  info: Info;
}

export interface StepResult<O extends Observation = Observation> {
  obs: O;
  reward: number;
  /** The MDP reached a terminal state: do not bootstrap from `obs`. */
  terminated: boolean;
  /** Cut short from outside the MDP (time limit): bootstrap from `obs`. */
  truncated: boolean;
  info: Info;
}

/** An RGB image, row-major, 3 bytes per pixel. */
export interface RenderFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * How a person plays an env with discrete actions from a keyboard (Gymnasium's
 * `get_keys_to_action`): the live play page and any other front end read it from
 * `env.metadata.keyControls`, so no viewer needs to know env ids.
 */
export interface KeyControls {
  /** `KeyboardEvent.key` names ("ArrowLeft", " ") → discrete action. */
  readonly keys: Readonly<Record<string, number>>;
  /**
   * Actions taken while no mapped key is pressed, one per step in turn (step t takes
   * `idle[t % idle.length]`): `[0]` for an env with a "do nothing" action, `[0, 1]` to
   * alternate where there is none (CartPole).
   */
  readonly idle: readonly number[];
  /** One plain-text line naming the keys ("← push left · → push right"). */
  readonly help: string;
}

export interface EnvMetadata {
  /** Frames per second of the human view (Gymnasium's `render_fps`). */
  renderFps: number;
  /** Keyboard play, for envs with discrete actions that define it. */
  keyControls?: KeyControls;
}

export interface Env<O extends Observation = Observation, A extends Action = Action> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  readonly metadata: EnvMetadata;
  /** The registry spec when created through `make`. */
  spec?: EnvSpec | undefined;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** The human/video view (e.g. CarRacing 600×400). */
  render(): RenderFrame;
  close(): void;
}

export interface EnvSpec {
  id: string;
  /** Options after normalization (camelCase), as passed to the constructor. */
  options: Record<string, unknown>;
  maxEpisodeSteps: number | undefined;
}

/** Converts Gymnasium's snake_case option names to camelCase (`enable_wind` → `enableWind`). */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The spelling the user gave each option of an options object that `make` normalized, so
 * errors quote `no_such_option` rather than the `noSuchOption` the env received.
 */
export const givenOptionNames = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * Validates and normalizes constructor options: accepts camelCase or snake_case
 * keys, rejects unknown keys and values of the wrong type, naming what is allowed.
 */
export function parseOptions<T extends object>(envName: string, given: Record<string, unknown> | undefined, defaults: T): T {
  const defs = defaults as Record<string, unknown>;
  const out: Record<string, unknown> = { ...defs };
  const spelled = given ? givenOptionNames.get(given) : undefined;
  for (const [givenKey, value] of Object.entries(given ?? {})) {
    const key = camelCase(givenKey);
    const rawKey = spelled?.get(givenKey) ?? givenKey;
    if (!(key in defs)) {
      const allowed = Object.keys(defs);
      throw new Error(`${envName}: unknown option "${rawKey}"; allowed: ${allowed.length ? allowed.join(", ") : "(none)"}`);
    }
    const expected = typeof defs[key];
    const ok = value === undefined || expected === "undefined" || defs[key] === null || typeof value === expected;
    if (!ok) {
      throw new Error(`${envName}: option "${rawKey}" must be a ${expected}, got ${JSON.stringify(value)}`);
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new Error(`${envName}: option "${rawKey}" must be finite, got ${value}`);
    }
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}
