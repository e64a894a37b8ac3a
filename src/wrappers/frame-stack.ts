/**
 * Stacks the last `k` observations into one `[k, ...shape]` array, oldest first: channel-
 * first, as the network's first convolution wants `[k, H, W]`. On reset every slot holds the
 * first observation (Gymnasium's `FrameStackObservation` default padding, and what the DQN
 * notebooks do), so a stack never mixes two episodes.
 */
import type { Action, Env, Observation, ResetArgs, ResetResult, StepResult } from "../envs/core.js";
import { Box } from "../envs/spaces.js";
import { Wrapper } from "../envs/wrapper.js";
import { allocate, type BoxArray, observationBox, withObs } from "./util.js";

export class FrameStack<A extends Action = Action> extends Wrapper<BoxArray, A, Observation, A> {
  private readonly space: Box<BoxArray>;
  private readonly stack: BoxArray;
  private readonly frameSize: number;

  constructor(
    env: Env<Observation, A>,
    readonly k: number,
  ) {
    super(env);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`FrameStack: k must be a positive integer, got ${k}`);
    const box = observationBox(env, "FrameStack");
    this.frameSize = box.size;
    const low = allocate(box.dtype, k * box.size);
    const high = allocate(box.dtype, k * box.size);
    for (let i = 0; i < k; i++) {
      low.set(box.low, i * box.size);
      high.set(box.high, i * box.size);
    }
    this.space = new Box<BoxArray>(low, high, [k, ...box.shape], box.dtype);
    this.stack = allocate(box.dtype, k * box.size);
  }

  override get observationSpace(): Box<BoxArray> {
    return this.space;
  }

  override reset(args?: ResetArgs): ResetResult<BoxArray> {
    const r = this.env.reset(args);
    for (let i = 0; i < this.k; i++) this.stack.set(r.obs, i * this.frameSize);
    return { obs: this.stack, info: r.info };
  }

  override step(action: A): StepResult<BoxArray> {
    const r = this.env.step(action);
    // Shift the older frames down one slot (a memmove) and append the new one.
    this.stack.copyWithin(0, this.frameSize);
    this.stack.set(r.obs, (this.k - 1) * this.frameSize);
    return withObs(r, this.stack);
  }
}
