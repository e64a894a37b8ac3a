/**
 * Gymnasium's `RecordEpisodeStatistics`: at the end of each episode the step's info gets
 * `episode = { r: return, l: length, t: seconds the episode took }`, and the last
 * `bufferLength` returns, lengths and durations are kept for running averages.
 */
import type { Action, Env, Observation, ResetArgs, ResetResult, StepResult } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";

export interface EpisodeStatistics {
  /** Sum of rewards. */
  r: number;
  /** Number of steps. */
  l: number;
  /** Wall-clock seconds from reset to the last step, rounded to microseconds as Gymnasium does. */
  t: number;
}

export interface RecordEpisodeStatisticsOptions {
  /** Episodes kept in the queues (Gymnasium's `buffer_length`). */
  bufferLength: number;
  /** Info key for the statistics (Gymnasium's `stats_key`). */
  statsKey: string;
}

/**
 * The statistics a `RecordEpisodeStatistics` wrapper left in an episode's final info under
 * `statsKey`, or null when the info has none (no such wrapper, or not a final step).
 */
export function episodeStatistics(info: Readonly<Record<string, unknown>> | null | undefined, statsKey = "episode"): EpisodeStatistics | null {
  const ep = info?.[statsKey] as Partial<EpisodeStatistics> | undefined;
  return ep && typeof ep.r === "number" && typeof ep.l === "number" ? (ep as EpisodeStatistics) : null;
}

const DEFAULTS: RecordEpisodeStatisticsOptions = { bufferLength: 100, statsKey: "episode" };

/** A fixed-capacity FIFO of numbers; the oldest entry is dropped when full. */
class Queue {
  private readonly data: Float64Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }

  push(v: number): void {
    const cap = this.data.length;
    this.data[(this.start + this.count) % cap] = v;
    if (this.count < cap) this.count++;
    else this.start = (this.start + 1) % cap;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.data[(this.start + i) % this.data.length]!);
    return out;
  }
}

export class RecordEpisodeStatistics<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  readonly bufferLength: number;
  readonly statsKey: string;
  /** Episodes finished since construction. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = 0;
  private readonly returns: Queue;
  private readonly lengths: Queue;
  private readonly times: Queue;

  constructor(env: Env<O, A>, options: Partial<RecordEpisodeStatisticsOptions> = {}) {
    super(env);
    const { bufferLength, statsKey } = { ...DEFAULTS, ...options };
    if (!Number.isInteger(bufferLength) || bufferLength <= 0) {
      throw new RangeError(`RecordEpisodeStatistics: bufferLength must be a positive integer, got ${bufferLength}`);
    }
    this.bufferLength = bufferLength;
    this.statsKey = statsKey;
    this.returns = new Queue(bufferLength);
    this.lengths = new Queue(bufferLength);
    this.times = new Queue(bufferLength);
  }

  /** Returns of the last `bufferLength` episodes, oldest first. */
  get returnQueue(): number[] {
    return this.returns.toArray();
  }

  get lengthQueue(): number[] {
    return this.lengths.toArray();
  }

  get timeQueue(): number[] {
    return this.times.toArray();
  }

  /**
   * Return of the episode in progress: every step since the last reset, including the steps
   * outer wrappers take inside their own reset (no-ops), so it ends at the episode's `r`.
   */
  get currentReturn(): number {
    return this.episodeReturn;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeStart = performance.now();
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength++;
    if (r.terminated || r.truncated) {
      if (this.statsKey in r.info) {
        throw new Error(`RecordEpisodeStatistics: info already has a "${this.statsKey}" key; pass another statsKey`);
      }
      const t = (performance.now() - this.episodeStart) / 1000;
      const stats: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t: Math.round(t * 1e6) / 1e6 };
      r.info[this.statsKey] = stats;
      this.returns.push(stats.r);
      this.lengths.push(stats.l);
      this.times.push(stats.t);
      this.episodeCount++;
    }
    return r;
  }
}
