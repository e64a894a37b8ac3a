/**
 * A fixed set of continuous actions as a `Discrete` space, so a DQN can drive an env whose
 * action space is a Box (CarRacing-v3 with `continuous: true`). Action i sends row i of the
 * table to the inner env unchanged: rewards, observations and episode ends are the env's own.
 */
import type { Env, Observation, StepResult } from "../envs/core.js";
import { Box, Discrete } from "../envs/spaces.js";
import { Wrapper } from "../envs/wrapper.js";
import { brief } from "../util/text.js";

/** One row per discrete action, each a full action of the inner Box (flattened, row-major). */
export type ActionTable = readonly (readonly number[])[];

/**
 * Named tables. CarRacing rows are [steer, gas, brake], steer −1 full left, +1 full right.
 *
 * - `carracing-9`: steer {−1, 0, +1} × {coast, full gas, brake 0.8}: full throttle and steering
 *   at once, which Gymnasium's discrete set cannot do (a lap is worth 1000 − 0.1 × frames, so
 *   speed is score).
 * - `carracing-5`: Gymnasium's own discrete set (`continuous: false`) in its order: nothing,
 *   steer +0.6, steer −0.6, gas 0.2, brake 0.8; step for step the discrete env, for comparison.
 */
export const ACTION_TABLES: Readonly<Record<string, ActionTable>> = Object.freeze({
  "carracing-9": [
    [-1, 0, 0],
    [0, 0, 0],
    [1, 0, 0],
    [-1, 1, 0],
    [0, 1, 0],
    [1, 1, 0],
    [-1, 0, 0.8],
    [0, 0, 0.8],
    [1, 0, 0.8],
  ],
  "carracing-5": [
    [0, 0, 0],
    [0.6, 0, 0],
    [-0.6, 0, 0],
    [0, 0.2, 0],
    [0, 0, 0.8],
  ],
});

/** Most rows a table may have (a Q-network output per row). */
const MAX_ACTIONS = 4096;

/** A table by name, or an explicit table checked for shape and finite numbers (`field` names it in errors). */
export function resolveActionTable(actions: string | ActionTable, field = "actions"): number[][] {
  if (typeof actions === "string") {
    const table = ACTION_TABLES[actions];
    if (table === undefined) {
      throw new Error(
        `${field} = ${brief(actions, 40)} is not a named action table; named tables: ${Object.keys(ACTION_TABLES).join(", ")}, or give an array of rows`,
      );
    }
    return table.map((row) => [...row]);
  }
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > MAX_ACTIONS) {
    throw new Error(
      `${field} = ${brief(actions, 60)} is invalid; expected a table name (${Object.keys(ACTION_TABLES).join(", ")}) or 1 to ${MAX_ACTIONS} rows of numbers`,
    );
  }
  const width = Array.isArray(actions[0]) ? actions[0].length : -1;
  return actions.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length === 0 || row.length !== width || !row.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new Error(`${field}[${i}] = ${brief(row, 60)} is invalid; every row must be a non-empty array of finite numbers, all of the same length`);
    }
    return [...(row as number[])];
  });
}

/**
 * Throws unless every row of `table` is an action of `space`: one number per element of the
 * Box, each within its bounds; rows must differ (a repeated row is a wasted network output).
 */
export function checkActionTable(table: ActionTable, space: Box<Float32Array | Float64Array | Uint8Array>, field = "actions"): void {
  const seen = new Set<string>();
  table.forEach((row, i) => {
    if (row.length !== space.size) {
      throw new Error(`${field}[${i}] has ${row.length} numbers, but the action space ${space.toString()} takes ${space.size}`);
    }
    row.forEach((v, j) => {
      if (!(v >= space.low[j]! && v <= space.high[j]!)) {
        throw new Error(
          `${field}[${i}][${j}] = ${brief(v)} is outside the action space ${space.toString()}: element ${j} allows [${space.low[j]}, ${space.high[j]}]`,
        );
      }
    });
    const key = row.join(",");
    if (seen.has(key)) throw new Error(`${field}[${i}] = [${key}] repeats an earlier row; every row must be a different action`);
    seen.add(key);
  });
}

export class DiscreteActions<O extends Observation = Observation> extends Wrapper<O, number, O, Float64Array> {
  readonly table: readonly (readonly number[])[];
  private readonly space: Discrete;
  /** The inner action, refilled from the table at each step (the env may keep or read it; no step allocates). */
  private readonly action: Float64Array;

  constructor(env: Env<O>, table: string | ActionTable) {
    super(env as unknown as Env<O, Float64Array>);
    const inner = env.actionSpace;
    if (!(inner instanceof Box))
      throw new Error(`DiscreteActions: the env's action space ${inner.toString()} is not a Box; it is already discrete or not continuous`);
    const rows = resolveActionTable(table);
    checkActionTable(rows, inner);
    this.table = rows;
    this.space = new Discrete(rows.length);
    this.action = new Float64Array(inner.size);
  }

  override get actionSpace(): Discrete {
    return this.space;
  }

  override step(action: number): StepResult<O> {
    const row = this.table[action];
    if (row === undefined) {
      throw new RangeError(`DiscreteActions: action ${brief(action)} is not in the action space ${this.space.toString()}`);
    }
    this.action.set(row);
    return this.env.step(this.action);
  }
}
