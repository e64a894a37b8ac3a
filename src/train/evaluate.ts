/**
 * Greedy evaluation on its own env with fixed seeds, so successive evaluations of a
 * run (and of different runs) score the same episodes.
 */
import type { Action, Env, Info, Observation } from "../envs/core.js";
import { episodeStatistics } from "../wrappers/record-episode-statistics.js";

export interface EvalResult {
  mean: number;
  std: number;
  min: number;
  max: number;
  returns: number[];
  lengths: number[];
}

export interface EvaluateOptions {
  episodes: number;
  /** Episode i is reset with seed `seed + i`. */
  seed: number;
  /**
   * Called after each episode, with the `info` of its last step (progress display, or
   * reading how it ended, e.g. CarRacing-v3's `lap_finished`).
   */
  onEpisode?: ((index: number, ret: number, length: number, info: Info) => void) | undefined;
}

/**
 * Runs `episodes` episodes of `policy`. The return is the env's own episode return when
 * a `RecordEpisodeStatistics` wrapper sits inside the preprocessing (so no-op starts and
 * skipped frames count, as Gymnasium reports them), else the sum of rewards seen here.
 */
export function evaluate<O extends Observation, A extends Action>(env: Env<O, A>, policy: (obs: O) => A, opts: EvaluateOptions): EvalResult {
  if (!Number.isInteger(opts.episodes) || opts.episodes <= 0) {
    throw new RangeError(`evaluate: episodes must be a positive integer, got ${opts.episodes}`);
  }
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < opts.episodes; e++) {
    let { obs } = env.reset({ seed: opts.seed + e });
    let sum = 0;
    let len = 0;
    let last: Info;
    for (;;) {
      const r = env.step(policy(obs));
      sum += r.reward;
      len++;
      obs = r.obs;
      if (r.terminated || r.truncated) {
        returns.push(episodeStatistics(r.info)?.r ?? sum);
        lengths.push(len);
        last = r.info;
        break;
      }
    }
    opts.onEpisode?.(e, returns[e]!, len, last);
  }
  return evalResult(returns, lengths);
}

/** Mean, population std, min and max of episode returns (at least one). */
export function evalResult(returns: number[], lengths: number[]): EvalResult {
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  return { mean, std, min: Math.min(...returns), max: Math.max(...returns), returns, lengths };
}
