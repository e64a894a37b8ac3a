/**
 * Videos of greedy episodes: the env's human-sized view (`render()`, e.g. CarRacing's
 * 600×400), one frame per env step (or every k-th), with the running return captioned on
 * each frame, written as GIF or MP4 by media's video writers. When the env records episode
 * statistics, the caption and the returned returns are those statistics (the episode's own
 * return, which counts the rewards of steps taken inside resets, e.g. CarRacing's no-ops), so
 * they equal what `evaluate` reports for the same seed.
 */
import type { Action, Env, Observation } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";
import { captionFrame } from "../media/gif.js";
import { openVideo, type VideoWriter, videoFormat } from "../media/video.js";
import { RecordEpisodeStatistics } from "../wrappers/record-episode-statistics.js";

export interface RecordOptions {
  episodes: number;
  /** Episode i is reset with seed `seed + i`. */
  seed: number;
  /** Frames per second of the video (default: the env's render fps, capped at 50 for GIF). */
  fps?: number | undefined;
  /** Keep every k-th frame (GIFs of long episodes get big). */
  frameStride?: number | undefined;
  /** Stop an episode after this many steps. */
  maxSteps?: number | undefined;
}

export interface RecordResult {
  returns: number[];
  frames: number;
  width: number;
  height: number;
}

/** Plays `episodes` episodes of `policy` on `env` and writes them, one after another, to `out` (.gif or .mp4). */
export async function recordVideo<O extends Observation, A extends Action>(
  env: Env<O, A>,
  policy: (obs: O) => A,
  out: string,
  opts: RecordOptions,
): Promise<RecordResult> {
  videoFormat(out); // a bad extension fails before any episode is played
  if (!Number.isInteger(opts.episodes) || opts.episodes <= 0) throw new RangeError(`episodes must be a positive integer, got ${opts.episodes}`);
  const stride = opts.frameStride ?? 1;
  if (!Number.isInteger(stride) || stride <= 0) throw new RangeError(`frameStride must be a positive integer, got ${stride}`);
  const fps = opts.fps ?? env.metadata.renderFps / stride;
  let video: VideoWriter | null = null;
  let width = 0;
  let height = 0;
  let frames = 0;
  const returns: number[] = [];
  const stats = episodeStatisticsIn(env);
  const addFrame = async (ret: number, episode: number) => {
    const f = env.render();
    if (video === null) {
      width = f.width;
      height = f.height;
      video = openVideo(out, { width, height, fps, title: `deepq ${env.spec?.id ?? ""}` });
    }
    const rgb = f.data.slice();
    captionFrame(rgb, width, height, `episode ${episode + 1}  return ${ret.toFixed(1)}`);
    await video.add(rgb);
    frames++;
  };
  for (let e = 0; e < opts.episodes; e++) {
    let { obs } = env.reset({ seed: opts.seed + e });
    let ret = stats?.currentReturn ?? 0;
    await addFrame(ret, e);
    for (let t = 0; opts.maxSteps === undefined || t < opts.maxSteps; t++) {
      const r = env.step(policy(obs));
      ret = stats === null ? ret + r.reward : stats.currentReturn;
      obs = r.obs;
      const ended = r.terminated || r.truncated;
      if (ended || (t + 1) % stride === 0) await addFrame(ret, e);
      if (ended) break;
    }
    returns.push(ret);
  }
  await (video as VideoWriter | null)?.finish();
  return { returns, frames, width, height };
}

/** The RecordEpisodeStatistics wrapper in `env`'s chain, if any. */
function episodeStatisticsIn(env: Env): RecordEpisodeStatistics | null {
  for (let e: Env = env; e instanceof Wrapper; e = e.env) if (e instanceof RecordEpisodeStatistics) return e;
  return null;
}
