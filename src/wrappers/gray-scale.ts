/**
 * RGB → gray with OpenCV's integer formula (`cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)` on
 * uint8): `(R·4899 + G·9617 + B·1868 + 8192) >> 14`, i.e. BT.601 weights in 14-bit fixed
 * point, so results equal the DQN notebooks' preprocessing exactly. [H, W, 3] → [H, W].
 */
import type { Action, Env, Observation } from "../envs/core.js";
import { Box } from "../envs/spaces.js";
import { ObservationWrapper } from "./observation-wrapper.js";
import { observationBox } from "./util.js";

// OpenCV's fixed-point RGB→gray coefficients (its R2Y, G2Y, B2Y with yuv_shift = 14).
const R2Y = 4899;
const G2Y = 9617;
const B2Y = 1868;
const YUV_SHIFT = 14;
const ROUND = 1 << (YUV_SHIFT - 1);

export class GrayScale<A extends Action = Action> extends ObservationWrapper<Uint8Array, A> {
  protected readonly space: Box<Uint8Array>;
  private readonly out: Uint8Array;

  constructor(env: Env<Observation, A>) {
    super(env);
    const box = observationBox(env, "GrayScale");
    const [h, w, c] = box.shape;
    if (box.dtype !== "uint8" || box.shape.length !== 3 || c !== 3) {
      throw new TypeError(`GrayScale: needs uint8 RGB observations of shape [H, W, 3], got ${box.toString()}`);
    }
    this.space = new Box<Uint8Array>(0, 255, [h!, w!], "uint8");
    this.out = new Uint8Array(h! * w!);
  }

  /** Writes the gray image into the reused output buffer. */
  protected observation(rgb: Observation): Uint8Array {
    const out = this.out;
    for (let i = 0, j = 0; i < out.length; i++, j += 3) {
      out[i] = (rgb[j]! * R2Y + rgb[j + 1]! * G2Y + rgb[j + 2]! * B2Y + ROUND) >> YUV_SHIFT;
    }
    return out;
  }
}
