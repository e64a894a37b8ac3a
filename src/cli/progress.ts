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

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export class ProgressDisplay {
  /** The live bar, on a TTY only: cli-progress's own non-TTY mode repeats unchanged lines. */
  private readonly multi: cliProgress.MultiBar | null;
  private readonly bar: cliProgress.SingleBar | null;
  private readonly stream: NodeJS.WriteStream;
  private readonly rate = new RateMeter();
  private readonly plainEveryMs: number;
  private lastDraw = 0;
  private lastPlain = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.plainEveryMs = (opts.plainEverySeconds ?? 10) * 1000;
    if (this.stream.isTTY) {
      this.multi = new cliProgress.MultiBar(
        {
          format: "{bar} {value}/{total} steps | {speed} steps/s | ε {eps} | return {ret} | eval {eval} | ETA {etaText}",
          stream: this.stream,
          hideCursor: true,
          fps: 5,
          barsize: 24,
          clearOnComplete: false,
          stopOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multi.create(opts.total, opts.start ?? 0, { speed: "—", eps: "—", ret: "—", eval: "—", etaText: "—" });
    } else {
      this.multi = null;
      this.bar = null;
    }
  }

  /** Cheap enough to call every step: redraws at most 5 times a second. */
  update(step: number, f: ProgressFields): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const speed = this.rate.sample(step, now);
    const fields = {
      speed: speed >= 100 ? speed.toFixed(0) : speed.toFixed(1),
      eps: f.epsilon.toFixed(3),
      ret: fmt(f.lastReturn),
      eval: f.lastEval ? `${fmt(f.lastEval.mean)} ± ${fmt(f.lastEval.std)}` : "—",
      etaText: speed > 0 ? formatDuration((this.opts.total - step) / speed) : "—",
    };
    if (this.bar) {
      this.bar.update(step, fields);
    } else if (now - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = now;
      this.stream.write(
        `${step}/${this.opts.total} steps | ${fields.speed} steps/s | ε ${fields.eps} | return ${fields.ret} | eval ${fields.eval} | ETA ${fields.etaText}\n`,
      );
    }
  }

  /** A permanent line above the progress line (evaluations, checkpoints, warnings). */
  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.multi?.stop();
  }
}
