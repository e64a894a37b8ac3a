/** Small deterministic envs for wrapper tests. */
import type { Env, EnvMetadata, Info, ResetArgs, ResetResult, StepResult } from "../../src/envs/core.js";
import { Box, Discrete } from "../../src/envs/spaces.js";

export interface CounterEnvOptions {
  height?: number;
  width?: number;
  /** The episode ends after this many steps. */
  length?: number;
  /** How it ends. */
  end?: "terminated" | "truncated";
}

/**
 * Image observations [H, W, 3] that identify the frame: every pixel's channel 0 is the step
 * `t` within the episode, channel 1 the episode number (1 after the first reset), channel 2
 * the pixel index `y * W + x` (mod 256). Reward at step t is t. The obs buffer is reused,
 * as real envs do, so a wrapper that keeps a reference instead of copying is caught.
 */
export class CounterEnv implements Env<Uint8Array, number> {
  readonly observationSpace: Box<Uint8Array>;
  readonly actionSpace = new Discrete(3);
  readonly metadata: EnvMetadata = { renderFps: 30 };
  readonly height: number;
  readonly width: number;
  readonly length: number;
  readonly end: "terminated" | "truncated";
  t = 0;
  episode = 0;
  readonly actions: number[] = [];
  readonly resets: ResetArgs[] = [];
  private readonly obs: Uint8Array;

  constructor({ height = 6, width = 5, length = 10, end = "terminated" }: CounterEnvOptions = {}) {
    this.height = height;
    this.width = width;
    this.length = length;
    this.end = end;
    this.observationSpace = new Box<Uint8Array>(0, 255, [height, width, 3], "uint8");
    this.obs = new Uint8Array(height * width * 3);
  }

  /** Pixel value of (episode, t) at (y, x, c). */
  static value(episode: number, t: number, width: number, y: number, x: number, c: number): number {
    return c === 0 ? t & 255 : c === 1 ? episode & 255 : (y * width + x) & 255;
  }

  private fill(): Uint8Array {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        for (let c = 0; c < 3; c++) this.obs[(y * this.width + x) * 3 + c] = CounterEnv.value(this.episode, this.t, this.width, y, x, c);
      }
    }
    return this.obs;
  }

  reset(args: ResetArgs = {}): ResetResult<Uint8Array> {
    this.resets.push(args);
    this.episode++;
    this.t = 0;
    return { obs: this.fill(), info: { episode_start: this.episode } };
  }

  step(action: number): StepResult<Uint8Array> {
    this.actions.push(action);
    this.t++;
    const over = this.t >= this.length;
    return {
      obs: this.fill(),
      reward: this.t,
      terminated: over && this.end === "terminated",
      truncated: over && this.end === "truncated",
      info: { t: this.t } as Info,
    };
  }

  render() {
    return { width: this.width, height: this.height, data: this.obs.slice() };
  }

  close(): void {}
}

/** Plays back recorded frames: reset gives frames[0], each step the next one. */
export class PlaybackEnv implements Env<Uint8Array, number> {
  readonly observationSpace: Box<Uint8Array>;
  readonly actionSpace = new Discrete(5);
  readonly metadata: EnvMetadata = { renderFps: 50 };
  private i = 0;
  private readonly obs: Uint8Array;

  constructor(
    private readonly frames: Uint8Array,
    readonly shape: readonly [number, number, number],
    private readonly count: number,
  ) {
    this.observationSpace = new Box<Uint8Array>(0, 255, shape, "uint8");
    this.obs = new Uint8Array(shape[0] * shape[1] * shape[2]);
  }

  private frame(): Uint8Array {
    const n = this.obs.length;
    this.obs.set(this.frames.subarray(this.i * n, (this.i + 1) * n));
    return this.obs;
  }

  reset(): ResetResult<Uint8Array> {
    this.i = 0;
    return { obs: this.frame(), info: {} };
  }

  step(): StepResult<Uint8Array> {
    this.i++;
    return { obs: this.frame(), reward: 0, terminated: false, truncated: this.i === this.count - 1, info: {} };
  }

  render() {
    return { width: this.shape[1], height: this.shape[0], data: this.obs.slice() };
  }

  close(): void {}
}
