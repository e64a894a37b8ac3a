/**
 * Repeats each action `skip` times and sums the rewards, stopping early when the episode
 * terminates or is truncated (the DQN notebooks' skip; no max-pooling of frames). The
 * observation, flags and info are those of the last inner step.
 *
 * Fast path (opt-in by the env, invisible otherwise): if the env under this wrapper
 * implements `SkippableObservation` (CarRacing does), the observations of the inner steps
 * that are thrown away are never produced. It is found through wrappers that hand the
 * inner observation on unchanged (a `Wrapper` whose observation space is its inner env's
 * space object: TimeLimit, NoopReset, RecordEpisodeStatistics); a wrapper that changes the
 * observation stops the search and every frame is produced as before. The observation
 * returned is bit-identical either way, including when the episode ends on a skipped step.
 */
import type { Action, Env, EnvMetadata, Observation, StepResult } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";

/**
 * Optional env capability: not producing observations nobody reads.
 *
 * - `skipObservation()`: the observation of the next `step` will not be read; the env may
 *   return its observation buffer without updating it (rewards, flags, info and the
 *   env's state are unaffected).
 * - `completeObservation()`: if the last `step` was skipped, produce its observation now,
 *   into the buffer that step returned, exactly as the step would have (nothing has run
 *   in between); otherwise do nothing.
 */
export interface SkippableObservation {
  skipObservation(): void;
  completeObservation(): void;
}

export function isSkippableObservation(env: unknown): env is SkippableObservation {
  const e = env as Partial<SkippableObservation> | null;
  return typeof e?.skipObservation === "function" && typeof e.completeObservation === "function";
}

/** The env whose observations reach `env`'s callers unchanged and that can skip them, or null. */
export function findSkippableObservation(env: Env): SkippableObservation | null {
  let e: Env = env;
  for (;;) {
    if (isSkippableObservation(e)) return e;
    if (!(e instanceof Wrapper)) return null;
    const inner = e.env as Env;
    // Only through wrappers that pass the inner observation on (same space object).
    if (e.observationSpace !== inner.observationSpace) return null;
    e = inner;
  }
}

export interface FrameSkipOptions {
  /** Let the env skip the unread observations of the repeated steps when it supports it (default true). */
  skipObservations?: boolean;
}

export class FrameSkip<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  /** The env that skips unread observations, if any (found once, at construction). */
  private readonly skipper: SkippableObservation | null;

  constructor(
    env: Env<O, A>,
    readonly skip: number,
    { skipObservations = true }: FrameSkipOptions = {},
  ) {
    super(env);
    if (!Number.isInteger(skip) || skip < 1) throw new RangeError(`FrameSkip: skip must be a positive integer, got ${skip}`);
    this.skipper = skipObservations && skip > 1 ? findSkippableObservation(env as unknown as Env) : null;
  }

  /** One step spans `skip` frames, so videos and live views play `renderFps / skip` steps per second. */
  override get metadata(): EnvMetadata {
    const inner = this.env.metadata;
    return { ...inner, renderFps: inner.renderFps / this.skip };
  }

  /** Whether the repeated steps' observations are skipped (the env supports it). */
  get skipsObservations(): boolean {
    return this.skipper !== null;
  }

  override step(action: A): StepResult<O> {
    const s = this.skipper;
    if (s === null) {
      let r = this.env.step(action);
      let total = r.reward;
      for (let i = 1; i < this.skip && !r.terminated && !r.truncated; i++) {
        r = this.env.step(action);
        total += r.reward;
      }
      r.reward = total;
      return r;
    }
    // Every inner step but the last is skipped; if the episode ends on a skipped step, its
    // observation is produced after all.
    s.skipObservation();
    let r = this.env.step(action);
    let skipped = true;
    let total = r.reward;
    for (let i = 1; i < this.skip && !r.terminated && !r.truncated; i++) {
      skipped = i < this.skip - 1;
      if (skipped) s.skipObservation();
      r = this.env.step(action);
      total += r.reward;
    }
    if (skipped) s.completeObservation();
    r.reward = total;
    return r;
  }
}
