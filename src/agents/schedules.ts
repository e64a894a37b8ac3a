/**
 * Exploration schedules. Each is a pure function of the run's counters, so resuming
 * a run restores ε exactly from the step and episode counts in the checkpoint.
 */

/** CleanRL's `linear_schedule`: from `start` to `end` over `duration` steps, then flat. */
export function epsilonLinear(start: number, end: number, duration: number): (t: number) => number {
  checkProbability("start", start);
  checkProbability("end", end);
  if (!(duration > 0)) throw new RangeError(`epsilonLinear: duration must be > 0, got ${duration}`);
  const slope = (end - start) / duration;
  return (t) => (t >= duration ? end : start + slope * t);
}

/** ε = max(end, start · decayᵗ): the notebooks' `eps *= decay` applied t times. */
export function epsilonExponential(start: number, end: number, decay: number): (t: number) => number {
  checkProbability("start", start);
  checkProbability("end", end);
  if (!(decay > 0 && decay <= 1)) throw new RangeError(`epsilonExponential: decay must be in (0, 1], got ${decay}`);
  const logDecay = Math.log(decay);
  return (t) => Math.max(end, start * Math.exp(logDecay * t));
}

/** Exploration as configured in `DQNConfig` (JSON-friendly, so presets can hold it). */
export type ExplorationConfig =
  | {
      kind: "linear";
      start: number;
      end: number;
      /** Steps over which ε falls; if absent, `fraction` of the run's total steps. */
      steps?: number;
      /** Fraction of the total steps (CleanRL's `exploration_fraction`). */
      fraction?: number;
    }
  | {
      kind: "exponential";
      start: number;
      end: number;
      /** Multiplier applied once per `per`. */
      decay: number;
      /** Decay per environment step or per finished episode. */
      per: "step" | "episode";
    };

/** Builds ε(step, episode) for a run of `totalSteps` steps. */
export function explorationSchedule(cfg: ExplorationConfig, totalSteps: number): (step: number, episode: number) => number {
  if (cfg.kind === "linear") {
    const f = epsilonLinear(cfg.start, cfg.end, linearDuration("exploration", cfg, 0.1, totalSteps));
    return (step) => f(step);
  }
  if (cfg.kind === "exponential") {
    const f = epsilonExponential(cfg.start, cfg.end, cfg.decay);
    if (cfg.per === "step") return (step) => f(step);
    if (cfg.per === "episode") return (_step, episode) => f(episode);
    throw new Error(`exploration: per must be "step" or "episode", got ${JSON.stringify((cfg as { per: unknown }).per)}`);
  }
  throw new Error(`exploration: kind must be "linear" or "exponential", got ${JSON.stringify((cfg as { kind: unknown }).kind)}`);
}

/** Steps a linear schedule lasts: `steps`, or `fraction` (default `defaultFraction`) of the run; `what` names it in errors. */
function linearDuration(what: string, cfg: { steps?: number; fraction?: number }, defaultFraction: number, totalSteps: number): number {
  if (cfg.steps !== undefined && cfg.fraction !== undefined) {
    throw new Error(`${what}: give either steps (${cfg.steps}) or fraction (${cfg.fraction}), not both`);
  }
  return cfg.steps ?? Math.max(1, Math.round((cfg.fraction ?? defaultFraction) * totalSteps));
}

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`epsilon ${name} must be in [0, 1], got ${p}`);
}

/**
 * Learning rate over the run, as configured in `DQNConfig.lrSchedule` (JSON-friendly). It starts
 * at `DQNConfig.lr`; `linear` falls to `end` over `steps` environment steps (or `fraction` of the
 * run), then stays there, like SB3's `get_linear_fn`. A pure function of the step, so a resumed
 * run sets the same rate at the same update.
 */
export type LearningRateScheduleConfig = { kind: "constant" } | { kind: "linear"; end: number; steps?: number; fraction?: number };

/** Builds lr(step) for a run of `totalSteps` steps starting at `lr`. */
export function learningRateSchedule(lr: number, cfg: LearningRateScheduleConfig, totalSteps: number): (step: number) => number {
  if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRateSchedule: lr must be a positive number, got ${lr}`);
  if (cfg.kind === "constant") return () => lr;
  if (cfg.kind === "linear") {
    if (!(cfg.end >= 0 && Number.isFinite(cfg.end))) throw new RangeError(`lrSchedule: end must be a non-negative number, got ${cfg.end}`);
    const duration = linearDuration("lrSchedule", cfg, 1, totalSteps);
    const slope = (cfg.end - lr) / duration;
    return (step) => (step >= duration ? cfg.end : lr + slope * step);
  }
  throw new Error(`lrSchedule: kind must be "constant" or "linear", got ${JSON.stringify((cfg as { kind: unknown }).kind)}`);
}
