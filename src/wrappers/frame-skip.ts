/**
 * Repeats each action `skip` times and sums the rewards, stopping early when the episode
 * terminates or is truncated (the DQN notebooks' skip; no max-pooling of frames). The
 * observation, flags and info are those of the last inner step.
 */
import type { Action, Env, Observation, StepResult } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";

export class FrameSkip<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  constructor(env: Env<O, A>, readonly skip: number) {
    super(env);
    if (!Number.isInteger(skip) || skip < 1) throw new RangeError(`FrameSkip: skip must be a positive integer, got ${skip}`);
  }

  override step(action: A): StepResult<O> {
    let r = this.env.step(action);
    let total = r.reward;
    for (let i = 1; i < this.skip && !r.terminated && !r.truncated; i++) {
      r = this.env.step(action);
      total += r.reward;
    }
    r.reward = total;
    return r;
  }
}
