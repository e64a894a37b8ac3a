/**
 * Gymnasium's `ObservationWrapper`: a wrapper that maps every observation (from `reset`
 * and `step` alike) through `observation`, into a new Box space. Subclasses set `space`
 * in their constructor and write into a buffer they reuse.
 */
import type { Action, Observation, ResetArgs, ResetResult, StepResult } from "../envs/core.js";
import type { Box } from "../envs/spaces.js";
import { Wrapper } from "../envs/wrapper.js";
import { type BoxArray, withObs } from "./util.js";

export abstract class ObservationWrapper<O extends BoxArray, A extends Action = Action> extends Wrapper<O, A, Observation, A> {
  protected abstract readonly space: Box<O>;

  /** The inner observation, mapped (into a reused buffer). */
  protected abstract observation(obs: Observation): O;

  override get observationSpace(): Box<O> {
    return this.space;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    return { obs: this.observation(r.obs), info: r.info };
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    return withObs(r, this.observation(r.obs));
  }
}
