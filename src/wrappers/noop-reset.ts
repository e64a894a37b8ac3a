/**
 * Takes `noops` steps of a fixed do-nothing action after every reset, as the DQN CarRacing
 * notebooks do (50 steps of action 0) to skip the zoom-in at the start of each episode.
 * Rewards of those steps are discarded. If the episode ends during the no-ops, the env is
 * reset again without the seed (reseeding would replay the same ending forever).
 * Envs that can skip unread observations (see `SkippableObservation`) skip all but the last.
 */
import type { Action, Env, Observation, ResetArgs, ResetResult } from "../envs/core.js";
import { assertAction, Discrete } from "../envs/spaces.js";
import { Wrapper } from "../envs/wrapper.js";
import { findSkippableObservation, type SkippableObservation } from "./frame-skip.js";

export interface NoopResetOptions<A extends Action> {
  /** Steps after each reset: a fixed count as in the notebooks (SB3's NoopResetEnv draws 1..noop_max instead). */
  noops: number;
  /** Defaults to the first action of a `Discrete` space; a `Box` space needs it given. */
  noopAction?: A;
  /** Let the env skip the observations of all but the last no-op when it supports it (default true). */
  skipObservations?: boolean;
}

export class NoopReset<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  readonly noops: number;
  readonly noopAction: A;
  private readonly skipper: SkippableObservation | null;

  constructor(env: Env<O, A>, { noops, noopAction, skipObservations = true }: NoopResetOptions<A>) {
    super(env);
    if (!Number.isInteger(noops) || noops < 0) throw new RangeError(`NoopReset: noops must be a non-negative integer, got ${noops}`);
    const space = env.actionSpace;
    if (noopAction === undefined) {
      if (!(space instanceof Discrete)) {
        throw new TypeError(`NoopReset: give noopAction for the action space ${space.toString()} (only Discrete has a default)`);
      }
      noopAction = space.start as A;
    }
    assertAction("NoopReset: noopAction", space, noopAction);
    this.noops = noops;
    this.noopAction = noopAction;
    this.skipper = skipObservations ? findSkippableObservation(env as unknown as Env) : null;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    let first = this.env.reset(args);
    let obs = first.obs;
    for (let i = 0; i < this.noops; i++) {
      if (i < this.noops - 1) this.skipper?.skipObservation();
      const r = this.env.step(this.noopAction);
      obs = r.obs;
      if (r.terminated || r.truncated) {
        // The reset below replaces the (possibly skipped) observation.
        first = this.env.reset(args?.options === undefined ? undefined : { options: args.options });
        obs = first.obs;
      }
    }
    return { obs, info: first.info };
  }
}
