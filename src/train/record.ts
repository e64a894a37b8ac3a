/**
 * Videos of greedy episodes: the env's human-sized view (`render()`, e.g. CarRacing's
 * 600×400), one frame per env step, with the running return captioned on each frame.
 * GIF is encoded in JS; MP4 goes through ffmpeg, which reads raw RGB frames on its stdin:
 * `$FFMPEG` when set, else the system's `ffmpeg` on PATH, else the static binary of the
 * optional dependency @ffmpeg-installer/ffmpeg (a per-platform npm package, so nothing is
 * downloaded from outside the npm registry).
 */
import { spawn, spawnSync } from "node:child_process";
import { renameSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import type { Action, Env, Observation } from "../envs/core.js";
import { captionFrame, GifWriter, gifFps } from "../viz/gif.js";
import { writeFileAtomic } from "./files.js";

export type VideoFormat = "gif" | "mp4";

export function videoFormat(path: string): VideoFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".gif") return "gif";
  if (ext === ".mp4") return "mp4";
  throw new Error(`--out ${path}: unknown video type "${ext || "(none)"}"; use .gif or .mp4`);
}

function runs(binary: string): boolean {
  const probe = spawnSync(binary, ["-version"], { stdio: "ignore" });
  return !probe.error && probe.status === 0;
}

/** The binary of the optional @ffmpeg-installer/ffmpeg package, or null where it is not installed (or has no build for this platform). */
function packagedFfmpeg(): string | null {
  try {
    const { path } = createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg") as { path: string };
    return path;
  } catch {
    return null;
  }
}

/** The ffmpeg binary to use, or a clear error saying how to get one. */
export function findFfmpeg(): string {
  const explicit = process.env.FFMPEG;
  if (explicit !== undefined) {
    if (runs(explicit)) return explicit;
    throw new Error(`MP4 needs ffmpeg, and FFMPEG="${explicit}" did not run; point FFMPEG at an ffmpeg binary, unset it, or write a .gif instead`);
  }
  if (runs("ffmpeg")) return "ffmpeg";
  const packaged = packagedFfmpeg();
  if (packaged !== null && runs(packaged)) return packaged;
  throw new Error(
    `MP4 needs ffmpeg: there is none on PATH and ${packaged === null ? "the optional package @ffmpeg-installer/ffmpeg is not installed" : `the packaged ${packaged} did not run`}; ` +
    "install ffmpeg (apt install ffmpeg, brew install ffmpeg), set FFMPEG=/path/to/ffmpeg, or write a .gif instead",
  );
}

export interface RecordOptions {
  episodes: number;
  /** Episode i is reset with seed `seed + i`. */
  seed: number;
  /** Frames per second of the video (default: the env's render fps, capped at 50 for GIF). */
  fps?: number;
  /** Keep every k-th frame (GIFs of long episodes get big). */
  frameStride?: number;
  /** Stop an episode after this many steps. */
  maxSteps?: number;
}

export interface RecordResult {
  returns: number[];
  frames: number;
  width: number;
  height: number;
}

interface FrameSink {
  /** Resolves when the sink can take the next frame (backpressure). */
  add(rgb: Uint8Array): Promise<void> | void;
  finish(): Promise<void>;
}

function gifSink(path: string, width: number, height: number, fps: number): FrameSink {
  const gif = new GifWriter({ width, height, fps: gifFps(fps) });
  return {
    add: (rgb) => gif.addFrame(rgb),
    finish: async () => writeFileAtomic(path, gif.finish()),
  };
}

function mp4Sink(path: string, width: number, height: number, fps: number, title: string): FrameSink {
  const ffmpeg = findFfmpeg();
  const tmp = `${path}.tmp-${process.pid}.mp4`;
  const child = spawn(ffmpeg, [
    "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${width}x${height}`, "-r", String(fps), "-i", "-",
    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-metadata", `title=${title}`, tmp,
  ], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
  return {
    add(rgb) {
      if (child.stdin.write(Buffer.from(rgb))) return;
      return new Promise<void>((resolve, reject) => {
        child.stdin.once("drain", resolve);
        void exited.then((code) => reject(new Error(`ffmpeg exited (code ${code}) while frames were still coming: ${stderr.trim()}`)), reject);
      });
    },
    async finish() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`ffmpeg failed (exit ${code}): ${stderr.trim()}`);
      renameSync(tmp, path);
    },
  };
}

/** Plays `episodes` episodes of `policy` on `env` and writes them, one after another, to `out`. */
export async function recordVideo<O extends Observation, A extends Action>(
  env: Env<O, A>, policy: (obs: O) => A, out: string, opts: RecordOptions,
): Promise<RecordResult> {
  const format = videoFormat(out);
  if (!Number.isInteger(opts.episodes) || opts.episodes <= 0) throw new RangeError(`episodes must be a positive integer, got ${opts.episodes}`);
  const stride = opts.frameStride ?? 1;
  if (!Number.isInteger(stride) || stride <= 0) throw new RangeError(`frameStride must be a positive integer, got ${stride}`);
  const fps = opts.fps ?? env.metadata.renderFps / stride;
  let sink: FrameSink | null = null;
  let width = 0;
  let height = 0;
  let frames = 0;
  const returns: number[] = [];
  const addFrame = async (ret: number, episode: number) => {
    const f = env.render();
    if (sink === null) {
      width = f.width;
      height = f.height;
      sink = format === "gif" ? gifSink(out, width, height, fps) : mp4Sink(out, width, height, fps, `deepq ${env.spec?.id ?? ""}`);
    }
    const rgb = f.data.slice();
    captionFrame(rgb, width, height, `episode ${episode + 1}  return ${ret.toFixed(1)}`);
    await sink.add(rgb);
    frames++;
  };
  for (let e = 0; e < opts.episodes; e++) {
    let { obs } = env.reset({ seed: opts.seed + e });
    let ret = 0;
    await addFrame(ret, e);
    for (let t = 0; opts.maxSteps === undefined || t < opts.maxSteps; t++) {
      const r = env.step(policy(obs));
      ret += r.reward;
      obs = r.obs;
      const ended = r.terminated || r.truncated;
      if (ended || (t + 1) % stride === 0) await addFrame(ret, e);
      if (ended) break;
    }
    returns.push(ret);
  }
  await (sink as FrameSink | null)?.finish();
  return { returns, frames, width, height };
}
