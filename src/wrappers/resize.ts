/**
 * Resizes image observations `[H, W]` or `[H, W, C]` to `[height, width(, C)]`.
 *
 * - `"area"` (default, what Gymnasium's `ResizeObservation` asks OpenCV for): each output
 *   pixel is the mean of the input area it covers, weighted by fractional coverage, the
 *   definition of OpenCV's `INTER_AREA`. Shrinking only.
 * - `"bilinear"`: half-pixel-centred bilinear interpolation (OpenCV's and PIL's convention),
 *   edges clamped; shrinks or enlarges.
 *
 * uint8 results are rounded to nearest. Not bit-exact with cv2, which uses fixed-point
 * weights: expect an occasional difference of one grey level.
 */
import type { Action, Env, Observation } from "../envs/core.js";
import { Box } from "../envs/spaces.js";
import { ObservationWrapper } from "./observation-wrapper.js";
import { allocate, type BoxArray, observationBox } from "./util.js";

export type Interpolation = "area" | "bilinear";

export interface ResizeOptions {
  height: number;
  width: number;
  interpolation?: Interpolation;
}

/** Coverage below this is floating-point noise at an area boundary, not a real tap. */
const MIN_WEIGHT = 1e-12;

/** The input samples and weights behind each output coordinate along one axis. */
interface Taps {
  /** Taps of output d are `first[d] .. first[d + 1] - 1`. */
  first: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

function buildTaps(inSize: number, outSize: number, interpolation: Interpolation): Taps {
  const scale = inSize / outSize;
  const first = [0];
  const index: number[] = [];
  const weight: number[] = [];
  for (let d = 0; d < outSize; d++) {
    if (interpolation === "area") {
      const f1 = d * scale;
      const f2 = f1 + scale;
      for (let i = Math.floor(f1); i < Math.min(inSize, Math.ceil(f2)); i++) {
        const w = (Math.min(f2, i + 1) - Math.max(f1, i)) / scale;
        if (w > MIN_WEIGHT) {
          index.push(i);
          weight.push(w);
        }
      }
    } else {
      const s = Math.max(0, (d + 0.5) * scale - 0.5);
      const i0 = Math.floor(s);
      // A single tap when the sample lands on a pixel, so infinite Box bounds never meet a zero weight (0·∞ = NaN).
      if (i0 >= inSize - 1 || s === i0) {
        index.push(Math.min(i0, inSize - 1));
        weight.push(1);
      } else {
        index.push(i0, i0 + 1);
        weight.push(1 - (s - i0), s - i0);
      }
    }
    first.push(index.length);
  }
  return { first: Int32Array.from(first), index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

export class Resize<A extends Action = Action> extends ObservationWrapper<BoxArray, A> {
  readonly height: number;
  readonly width: number;
  readonly interpolation: Interpolation;
  protected readonly space: Box<BoxArray>;
  private readonly out: BoxArray;
  private readonly rowsTaps: Taps;
  private readonly colsTaps: Taps;
  private readonly channels: number;
  private readonly inWidth: number;
  private readonly round: boolean;

  constructor(env: Env<Observation, A>, { height, width, interpolation = "area" }: ResizeOptions) {
    super(env);
    const box = observationBox(env, "Resize");
    if (box.shape.length !== 2 && box.shape.length !== 3) {
      throw new TypeError(`Resize: needs image observations [H, W] or [H, W, C], got ${box.toString()}`);
    }
    for (const [name, v] of [
      ["height", height],
      ["width", width],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Resize: ${name} must be a positive integer, got ${v}`);
    }
    if (interpolation !== "area" && interpolation !== "bilinear") {
      throw new RangeError(`Resize: interpolation must be "area" or "bilinear", got ${JSON.stringify(interpolation)}`);
    }
    const [h, w] = box.shape as [number, number];
    if (interpolation === "area" && (height > h || width > w)) {
      throw new RangeError(`Resize: "area" only shrinks; ${h}×${w} → ${height}×${width} needs interpolation "bilinear"`);
    }
    this.height = height;
    this.width = width;
    this.interpolation = interpolation;
    this.channels = box.shape[2] ?? 1;
    this.inWidth = w;
    this.round = box.dtype === "uint8";
    this.rowsTaps = buildTaps(h, height, interpolation);
    this.colsTaps = buildTaps(w, width, interpolation);
    const shape = box.shape.length === 3 ? [height, width, this.channels] : [height, width];
    const size = height * width * this.channels;
    const low = allocate(box.dtype, size);
    const high = allocate(box.dtype, size);
    this.resample(box.low, low);
    this.resample(box.high, high);
    this.space = new Box<BoxArray>(low, high, shape, box.dtype);
    this.out = allocate(box.dtype, size);
  }

  protected observation(obs: Observation): BoxArray {
    return this.resample(obs, this.out);
  }

  private resample(src: ArrayLike<number>, dst: BoxArray): BoxArray {
    const { first: ry0, index: ri, weight: rw } = this.rowsTaps;
    const { first: cx0, index: ci, weight: cw } = this.colsTaps;
    const C = this.channels;
    const rowStride = this.inWidth * C;
    let o = 0;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let ty = ry0[y]!; ty < ry0[y + 1]!; ty++) {
            const rowBase = ri[ty]! * rowStride + c;
            let rowAcc = 0;
            for (let tx = cx0[x]!; tx < cx0[x + 1]!; tx++) rowAcc += cw[tx]! * src[rowBase + ci[tx]! * C]!;
            acc += rw[ty]! * rowAcc;
          }
          dst[o++] = this.round ? Math.min(255, Math.max(0, Math.round(acc))) : acc;
        }
      }
    }
    return dst;
  }
}
