/** Gymnasium's `TimeLimit`: sets `truncated` once `maxEpisodeSteps` steps have run. */
import type { Action, Env, Observation, ResetArgs, ResetResult, StepResult } from "./core.js";
import { Wrapper } from "./wrapper.js";

export class TimeLimit<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  private elapsed = 0;

  constructor(
    env: Env<O, A>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.elapsed = 0;
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) r.truncated = true;
    return r;
  }
}
