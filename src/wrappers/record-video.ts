/**
 * Gymnasium's `RecordVideo` for training runs: every `every`-th episode of the wrapped env
 * is saved as a GIF (the env's `render()` view, every `stride`-th frame, with the running
 * return captioned) into a folder of the run directory.
 */
import type { Action, Env, Observation, ResetArgs, ResetResult, StepResult } from "../envs/core.js";
import { Wrapper } from "../envs/wrapper.js";
import { captionFrame, GifWriter, gifFps } from "../media/gif.js";
import { writeFileAtomic } from "../util/atomic-file.js";

export interface RecordVideoOptions {
  /** Folder the GIFs go to (`episode-<n>.gif`). */
  dir: string;
  /** Record episodes 0, every, 2·every, … */
  every: number;
  /** Keep every k-th frame (default 1). */
  stride?: number;
  /** Number of the first episode this wrapper sees (a resumed run continues the numbering). */
  firstEpisode?: number;
  /** Told about each saved file. */
  onSaved?: (path: string, episode: number, ret: number) => void;
}

export class RecordVideo<O extends Observation = Observation, A extends Action = Action> extends Wrapper<O, A, O, A> {
  private readonly opts: Required<Omit<RecordVideoOptions, "onSaved">> & Pick<RecordVideoOptions, "onSaved">;
  private episode: number;
  private gif: GifWriter | null = null;
  private ret = 0;
  private t = 0;

  constructor(env: Env<O, A>, opts: RecordVideoOptions) {
    super(env);
    for (const [k, v] of [
      ["every", opts.every],
      ["stride", opts.stride ?? 1],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`RecordVideo: ${k} must be a positive integer, got ${v}`);
    }
    this.opts = { stride: 1, firstEpisode: 0, ...opts };
    this.episode = this.opts.firstEpisode - 1;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.gif = null;
    this.episode++;
    const r = super.reset(args);
    if (this.episode % this.opts.every === 0) {
      this.ret = 0;
      this.t = 0;
      this.addFrame(true);
    }
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = super.step(action);
    if (this.gif !== null) {
      this.ret += r.reward;
      this.t++;
      const ended = r.terminated || r.truncated;
      if (ended || this.t % this.opts.stride === 0) this.addFrame(false);
      if (ended) this.save();
    }
    return r;
  }

  private addFrame(first: boolean): void {
    const f = this.env.render();
    if (first) {
      this.gif = new GifWriter({ width: f.width, height: f.height, fps: gifFps(this.env.metadata.renderFps / this.opts.stride) });
    }
    const rgb = f.data.slice();
    captionFrame(rgb, f.width, f.height, `episode ${this.episode}  return ${this.ret.toFixed(1)}`);
    this.gif!.addFrame(rgb);
  }

  private save(): void {
    const path = `${this.opts.dir}/episode-${this.episode}.gif`;
    writeFileAtomic(path, this.gif!.finish());
    this.gif = null;
    this.opts.onSaved?.(path, this.episode, this.ret);
  }
}
