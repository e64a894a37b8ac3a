/**
 * Shared by the benchmarks: agent steps per second of a training run once learning has
 * started, by the wall clock and per second of the process's CPU time (all its threads).
 * On a loaded machine the wall-clock rate measures the load too; the CPU rate does not,
 * but it counts a second thread's work as cost rather than as overlap.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainConfig } from "../src/train/config.js";
import { train } from "../src/train/trainer.js";

export interface LearningPhaseSpeed {
  /** Agent steps per wall-clock second. */
  stepsPerS: number;
  /** Agent steps per CPU second of the process. */
  stepsPerCpuS: number;
}

interface Mark {
  step: number;
  t: number;
  cpu: number;
}

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Runs `config` (no evaluations or checkpoints) in a temporary run directory; speeds after `agent.learningStarts`. */
export async function learningPhaseSpeed(config: Partial<TrainConfig> & { env: string }): Promise<LearningPhaseSpeed> {
  const learningStarts = config.agent?.learningStarts ?? 0;
  const dir = mkdtempSync(join(tmpdir(), "deepq-bench-"));
  let mark: Mark | null = null;
  let end: Mark = { step: 0, t: 0, cpu: 0 };
  try {
    await train(
      { ...config, evalEvery: 10_000_000, evalEpisodes: 1, checkpointEvery: 10_000_000, saveReplay: false, video: null },
      {
        runDir: dir,
        onEvent: (e) => {
          if (e.kind !== "progress") return;
          const now = { step: e.step, t: performance.now(), cpu: cpuMs() };
          if (mark === null && e.step > learningStarts) mark = now;
          end = now;
        },
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const m = mark as Mark | null;
  if (m === null || end.t <= m.t) throw new Error(`${config.env}: too few progress reports after learning started`);
  const steps = end.step - m.step;
  return { stepsPerS: (steps / (end.t - m.t)) * 1000, stepsPerCpuS: (steps / Math.max(1e-9, end.cpu - m.cpu)) * 1000 };
}
