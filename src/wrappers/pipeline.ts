/**
 * The DQN notebooks' image preprocessing as one configurable wrapper chain:
 *
 *   env → NoopReset(50) → FrameSkip(4) → Crop([:84, 6:90]) → GrayScale → [Resize] → FrameStack(4)
 *
 * The no-ops are single raw frames (innermost), each agent step repeats its action 4
 * frames, and the agent sees the last 4 agent-step frames as uint8 `[4, 84, 84]`.
 */
import type { Action, Env, Observation } from "../envs/core.js";
import { Crop, type CropOptions, DEFAULT_CROP } from "./crop.js";
import { FrameSkip } from "./frame-skip.js";
import { FrameStack } from "./frame-stack.js";
import { GrayScale } from "./gray-scale.js";
import { NoopReset } from "./noop-reset.js";
import { Resize, type ResizeOptions } from "./resize.js";
import { observationBox } from "./util.js";

export interface DqnImagePipelineOptions<A extends Action = Action> {
  /** Do-nothing steps after each reset (skips CarRacing's zoom-in); 0 disables. */
  noops: number;
  /** Action used for the no-ops; default the first `Discrete` action. */
  noopAction?: A;
  /** Frames each action is repeated, rewards summed; 1 disables. */
  skip: number;
  /** Crop before anything else; null keeps the full frame. */
  crop: CropOptions | null;
  /** Convert RGB to OpenCV's integer gray. */
  grayscale: boolean;
  /** Resize after crop and gray; null keeps the cropped size. */
  resize: ResizeOptions | null;
  /** Frames stacked channel-first; 1 still adds the leading axis. */
  stack: number;
}

/** The notebooks' defaults. */
export const DQN_IMAGE_DEFAULTS: DqnImagePipelineOptions = {
  noops: 50,
  skip: 4,
  crop: DEFAULT_CROP,
  grayscale: true,
  resize: null,
  stack: 4,
};

/** Wraps an image env (uint8 `[H, W, 3]` observations) for a convolutional Q-network. */
export function dqnImagePipeline<A extends Action = Action>(env: Env<Observation, A>, options: Partial<DqnImagePipelineOptions<A>> = {}): Env<Uint8Array, A> {
  const o = { ...DQN_IMAGE_DEFAULTS, ...options } as DqnImagePipelineOptions<A>;
  const box = observationBox(env, "dqnImagePipeline");
  if (box.dtype !== "uint8") throw new TypeError(`dqnImagePipeline: needs uint8 image observations, got ${box.toString()}`);
  let e: Env<Observation, A> = env;
  if (o.noops > 0) e = new NoopReset(e, o.noopAction === undefined ? { noops: o.noops } : { noops: o.noops, noopAction: o.noopAction });
  if (o.skip > 1) e = new FrameSkip(e, o.skip);
  if (o.crop !== null) e = new Crop(e, o.crop);
  if (o.grayscale) e = new GrayScale(e);
  if (o.resize !== null) e = new Resize(e, o.resize);
  // Every stage keeps the uint8 dtype checked above, so the stack is a Uint8Array.
  return new FrameStack(e, o.stack) as unknown as Env<Uint8Array, A>;
}
