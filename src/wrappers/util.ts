/** Shared checks and buffers for the observation wrappers. */
import type { Action, Env, Observation, StepResult } from "../envs/core.js";
import { Box, type BoxDType } from "../envs/spaces.js";

/** The typed arrays a `Box` holds. */
export type BoxArray = Float32Array | Float64Array | Uint8Array;

/** The env's observation space, which must be a `Box` (the wrapper named in the error needs a shape). */
export function observationBox<A extends Action>(env: Env<Observation, A>, who: string): Box<BoxArray> {
  const space = env.observationSpace;
  if (!(space instanceof Box)) throw new TypeError(`${who}: needs a Box observation space, got ${space.toString()}`);
  return space as Box<BoxArray>;
}

/** A zeroed typed array of the Box dtype. */
export function allocate(dtype: BoxDType, size: number): BoxArray {
  return dtype === "float32" ? new Float32Array(size) : dtype === "float64" ? new Float64Array(size) : new Uint8Array(size);
}

/**
 * Replaces the observation of a step result in place. Results are fresh objects owned by
 * the caller (only `obs` buffers are reused), so rewriting one costs no allocation.
 */
export function withObs<O extends Observation>(r: StepResult<Observation>, obs: O): StepResult<O> {
  (r as { obs: Observation }).obs = obs;
  return r as unknown as StepResult<O>;
}
