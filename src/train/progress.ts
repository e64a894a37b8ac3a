/**
 * The terminal view of a run: a live progress line on a TTY (steps, steps/s, ε, last
 * return, last eval, ETA) and, off a TTY (CI, log files), the same fields as plain
 * lines every few seconds. Evaluation results are printed as permanent lines.
 */
import cliProgress from "cli-progress";

export interface ProgressFields {
  epsilon: number;
  lastReturn: number | null;
  lastEval: { mean: number; std: number } | null;
}

export interface ProgressOptions {
  total: number;
  /** Step count the run resumes from (speed and ETA count only new steps). */
  start?: number;
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines when not on a TTY. */
  plainEverySeconds?: number;
}

const fmt = (v: number | null, digits = 1) => (v === null || !Number.isFinite(v) ? "—" : v.toFixed(digits));

/** Steps per second over a sliding window of recent samples. */
class RateMeter {
  private readonly times: number[] = [];
  private readonly steps: number[] = [];

  sample(step: number, now: number): number {
    this.times.push(now);
    this.steps.push(step);
    while (this.times.length > 2 && now - this.times[0]! > 10_000) {
      this.times.shift();
      this.steps.shift();
    }
    const dt = (now - this.times[0]!) / 1000;
    return dt > 0 ? (step - this.steps[0]!) / dt : 0;
  }
}

export class ProgressDisplay {
  private readonly multi: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;
  private readonly rate = new RateMeter();
  private lastDraw = 0;

  constructor(opts: ProgressOptions) {
    const stream = opts.stream ?? process.stderr;
    this.multi = new cliProgress.MultiBar(
      {
        format: "{bar} {value}/{total} steps | {speed} steps/s | ε {eps} | return {ret} | eval {eval} | ETA {eta_formatted}",
        stream,
        noTTYOutput: true,
        notTTYSchedule: (opts.plainEverySeconds ?? 10) * 1000,
        hideCursor: true,
        etaBuffer: 100,
        fps: 5,
        barsize: 24,
        clearOnComplete: false,
        stopOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(opts.total, opts.start ?? 0, { speed: "—", eps: "—", ret: "—", eval: "—" });
  }

  /** Cheap enough to call every step: redraws at most 5 times a second. */
  update(step: number, f: ProgressFields): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const speed = this.rate.sample(step, now);
    this.bar.update(step, {
      speed: speed >= 100 ? speed.toFixed(0) : speed.toFixed(1),
      eps: f.epsilon.toFixed(3),
      ret: fmt(f.lastReturn),
      eval: f.lastEval ? `${fmt(f.lastEval.mean)} ± ${fmt(f.lastEval.std)}` : "—",
    });
  }

  /** A permanent line above the progress line (evaluations, checkpoints, warnings). */
  log(line: string): void {
    this.multi.log(`${line}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}
