/**
 * Crops image observations `[H, W]` or `[H, W, C]` to `obs[rows[0]:rows[1], cols[0]:cols[1]]`
 * (half-open, as Python slices). The default `[:84, 6:90]` is the DQN CarRacing notebooks'
 * crop: it drops CarRacing's indicator bar (bottom 12 rows) and 6 columns each side, leaving
 * the 84×84 view around the car.
 */
import type { Action, Env, Observation } from "../envs/core.js";
import { Box } from "../envs/spaces.js";
import { ObservationWrapper } from "./observation-wrapper.js";
import { allocate, type BoxArray, observationBox } from "./util.js";

export interface CropOptions {
  /** `[start, end)` rows. */
  rows: readonly [number, number];
  /** `[start, end)` columns. */
  cols: readonly [number, number];
}

export const DEFAULT_CROP: CropOptions = { rows: [0, 84], cols: [6, 90] };

export class Crop<A extends Action = Action> extends ObservationWrapper<BoxArray, A> {
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
  protected readonly space: Box<BoxArray>;
  private readonly out: BoxArray;
  /** Elements per input row and per pixel (channels). */
  private readonly inRow: number;
  private readonly channels: number;

  constructor(env: Env<Observation, A>, options: Partial<CropOptions> = {}) {
    super(env);
    const { rows, cols } = { ...DEFAULT_CROP, ...options };
    const box = observationBox(env, "Crop");
    if (box.shape.length !== 2 && box.shape.length !== 3) {
      throw new TypeError(`Crop: needs image observations [H, W] or [H, W, C], got ${box.toString()}`);
    }
    const [h, w] = box.shape as [number, number];
    checkRange("rows", rows, h);
    checkRange("cols", cols, w);
    this.rows = rows;
    this.cols = cols;
    this.channels = box.shape[2] ?? 1;
    this.inRow = w * this.channels;
    const shape = box.shape.length === 3 ? [rows[1] - rows[0], cols[1] - cols[0], this.channels] : [rows[1] - rows[0], cols[1] - cols[0]];
    const size = shape.reduce((a, b) => a * b, 1);
    // Bounds are cropped like the observations, so per-pixel bounds survive.
    const low = allocate(box.dtype, size);
    const high = allocate(box.dtype, size);
    this.copy(box.low, low);
    this.copy(box.high, high);
    this.space = new Box<BoxArray>(low, high, shape, box.dtype);
    this.out = allocate(box.dtype, size);
  }

  protected observation(obs: Observation): BoxArray {
    return this.copy(obs, this.out);
  }

  /** Element loop rather than `set(subarray(...))`, which would allocate a view per row. */
  private copy(src: ArrayLike<number>, dst: BoxArray): BoxArray {
    const rowLen = (this.cols[1] - this.cols[0]) * this.channels;
    let o = 0;
    for (let y = this.rows[0]; y < this.rows[1]; y++) {
      const base = y * this.inRow + this.cols[0] * this.channels;
      for (let k = 0; k < rowLen; k++) dst[o++] = src[base + k]!;
    }
    return dst;
  }
}

function checkRange(what: string, [start, end]: readonly [number, number], size: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > size || start >= end) {
    throw new RangeError(`Crop: ${what} [${start}, ${end}) must be integers with 0 <= start < end <= ${size}`);
  }
}
