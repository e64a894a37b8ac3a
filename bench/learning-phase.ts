/** Shared by the benchmarks: agent steps per second of a training run once learning has started. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainConfig } from "../src/train/config.js";
import { train } from "../src/train/trainer.js";

/** Runs `config` (no evaluations or checkpoints) in a temporary run directory; steps/s after `agent.learningStarts`. */
export async function learningPhaseSpeed(config: Partial<TrainConfig> & { env: string }): Promise<number> {
  const learningStarts = config.agent?.learningStarts ?? 0;
  const dir = mkdtempSync(join(tmpdir(), "deepq-bench-"));
  let mark: { step: number; t: number } | null = null;
  let end = { step: 0, t: 0 };
  try {
    await train({ ...config, evalEvery: 10_000_000, evalEpisodes: 1, checkpointEvery: 10_000_000, saveReplay: false, video: null }, {
      runDir: dir,
      onEvent: (e) => {
        if (e.kind !== "progress") return;
        const now = performance.now();
        if (mark === null && e.step > learningStarts) mark = { step: e.step, t: now };
        end = { step: e.step, t: now };
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const m = mark as { step: number; t: number } | null;
  if (m === null || end.t <= m.t) throw new Error(`${config.env}: too few progress reports after learning started`);
  return ((end.step - m.step) / (end.t - m.t)) * 1000;
}
