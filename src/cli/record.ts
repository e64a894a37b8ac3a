/** `deepq record`: load a model, record its greedy episodes as a GIF or MP4, print what was written. */
import type { Observation } from "../envs/core.js";
import { videoFormat } from "../media/video.js";
import { makeTrainEnv } from "../train/env.js";
import { recordVideo } from "../train/record.js";
import { UsageError } from "./args.js";
import { loadModelForEnv, type ModelFlags } from "./model-args.js";

export interface RecordFlags extends ModelFlags {
  out: string;
  episodes: number;
  seed: number;
  stride: number;
  maxSteps?: number;
}

/** Loads the model at `path`, records its greedy episodes to `flags.out` and prints what was written. */
export async function recordCommand(path: string, flags: RecordFlags): Promise<void> {
  try {
    videoFormat(flags.out);
  } catch (e) {
    throw new UsageError(`--out ${(e as Error).message}`);
  }
  const { agent, env: cfg } = loadModelForEnv(path, flags);
  const env = makeTrainEnv(cfg);
  const r = await recordVideo(env, (o: Observation) => agent.act(o as Float32Array | Uint8Array, { epsilon: 0 }), flags.out, {
    episodes: flags.episodes,
    seed: flags.seed,
    frameStride: flags.stride,
    maxSteps: flags.maxSteps,
  });
  process.stdout.write(`${flags.out}: ${r.frames} frames ${r.width}×${r.height}, returns ${r.returns.map((x) => x.toFixed(1)).join(", ")}\n`);
}
