/**
 * Video files from RGB frames: GIF encoded in JS, MP4 through ffmpeg, which reads raw RGB
 * frames on its stdin: `$FFMPEG` when set, else the system's `ffmpeg` on PATH, else the
 * static binary of the optional dependency @ffmpeg-installer/ffmpeg (a per-platform npm
 * package, so nothing is downloaded from outside the npm registry). Node-only.
 */
import { spawn, spawnSync } from "node:child_process";
import { renameSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import { GifWriter, gifFps } from "./gif.js";

export type VideoFormat = "gif" | "mp4";

/** The format of `path` by its extension; anything but .gif and .mp4 is an error naming it. */
export function videoFormat(path: string): VideoFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".gif") return "gif";
  if (ext === ".mp4") return "mp4";
  throw new Error(`${path}: unknown video type "${ext || "(none)"}"; use .gif or .mp4`);
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

/** A video being written, one RGB frame (width × height × 3 bytes) at a time. */
export interface VideoWriter {
  /** Resolves when the writer can take the next frame (backpressure). */
  add(rgb: Uint8Array): Promise<void> | void;
  /** Completes the file; it appears at its path only now, whole. */
  finish(): Promise<void>;
}

export interface VideoOptions {
  width: number;
  height: number;
  /** Frames per second (GIF rounds it to the 1/100 s delays the format stores). */
  fps: number;
  /** MP4's title metadata. */
  title?: string;
}

function gifWriter(path: string, { width, height, fps }: VideoOptions): VideoWriter {
  const gif = new GifWriter({ width, height, fps: gifFps(fps) });
  return {
    add: (rgb) => gif.addFrame(rgb),
    finish: async () => writeFileAtomic(path, gif.finish()),
  };
}

function mp4Writer(path: string, { width, height, fps, title = "" }: VideoOptions): VideoWriter {
  const ffmpeg = findFfmpeg();
  const tmp = `${path}.tmp-${process.pid}.mp4`;
  const child = spawn(
    ffmpeg,
    [
      "-loglevel",
      "error",
      "-y",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-s",
      `${width}x${height}`,
      "-r",
      String(fps),
      "-i",
      "-",
      "-c:v",
      "libx264",
      "-pix_fmt",
      "yuv420p",
      "-movflags",
      "+faststart",
      "-metadata",
      `title=${title}`,
      tmp,
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
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

/** Starts a video at `path`, GIF or MP4 by its extension. */
export function openVideo(path: string, opts: VideoOptions): VideoWriter {
  return videoFormat(path) === "gif" ? gifWriter(path, opts) : mp4Writer(path, opts);
}
