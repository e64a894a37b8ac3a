/**
 * CartPole-v1, as Gymnasium's `classic_control/cartpole.py` (Barto, Sutton & Anderson 1983):
 * the same constants, Euler integration, thresholds, rewards and seeded initial state,
 * so a seed and an action sequence give Gymnasium's trajectory (float32 observations
 * built from a float64 state; only the last bit of `cos`/`sin` may differ between
 * libms).
 */
import { type Env, type EnvMetadata, type EnvSpec, type RenderFrame, type ResetArgs, type ResetResult, type StepResult, parseOptions } from "./core.js";
import { type Generator, npRandom } from "./rng.js";
import { Box, Discrete, assertAction } from "./spaces.js";

// Physics, named as in Gymnasium's CartPoleEnv.__init__.
const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
/** Actually half the pole's length. */
const LENGTH = 0.5;
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;

/** Angle at which to fail the episode (12°), evaluated in Gymnasium's order so the double is identical. */
const THETA_THRESHOLD_RADIANS = 12 * 2 * Math.PI / 360;
const X_THRESHOLD = 2.4;

/** Default bounds of the uniform initial state (`utils.maybe_parse_reset_bounds`). */
const RESET_LOW = -0.05;
const RESET_HIGH = 0.05;

// Rendering, as Gymnasium's pygame view.
const SCREEN_WIDTH = 600;
const SCREEN_HEIGHT = 400;
const POLEWIDTH = 10.0;
const CARTWIDTH = 50.0;
const CARTHEIGHT = 30.0;
/** Height of the cart's top (and the track line) in pygame's y-up surface before the flip. */
const CARTY = 100;
const CART_COLOR = [0, 0, 0] as const;
const POLE_COLOR = [202, 152, 101] as const;
const AXLE_COLOR = [129, 132, 203] as const;
const TRACK_COLOR = [0, 0, 0] as const;

export interface CartPoleOptions extends Record<string, unknown> {
  /** Gymnasium ≥ 1.0's `sutton_barto_reward`: 0 per step and −1 on (and after) termination, instead of +1 per step. */
  suttonBartoReward: boolean;
}

const DEFAULT_OPTIONS: CartPoleOptions = { suttonBartoReward: false };

export class CartPoleEnv implements Env<Float32Array, number> {
  /** Gymnasium ≥ 1.0 bounds: ±2·x_threshold, ±2·theta_threshold, velocities unbounded. */
  readonly observationSpace = new Box(
    [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD_RADIANS * 2, -Infinity],
    [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity],
    [4],
    "float32",
  );
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata = { renderFps: 50 };
  /** Set by `make`. */
  spec?: EnvSpec;
  readonly options: CartPoleOptions;

  // The float64 state (x, x_dot, theta, theta_dot), kept as fields rather than an array for speed.
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Gymnasium's `steps_beyond_terminated`; -1 stands for None. */
  private stepsBeyondTerminated = -1;
  /** The observation buffer, reused by every step/reset (see the buffer-ownership rule in core.ts). */
  private readonly obs = new Float32Array(4);
  private rng: Generator | undefined;

  constructor(options: Partial<CartPoleOptions> = {}) {
    this.options = parseOptions("CartPole", options, DEFAULT_OPTIONS);
  }

  private get npRandom(): Generator {
    this.rng ??= npRandom();
    return this.rng;
  }

  /** `options.low`/`options.high` change the bounds of the uniform initial state, as in Gymnasium. */
  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    if (args.seed !== undefined) this.rng = npRandom(args.seed);
    const [low, high] = parseResetBounds(args.options);
    // np_random.uniform(low, high, size=(4,)) draws x, x_dot, theta, theta_dot in that order.
    const g = this.npRandom;
    this.x = g.uniform(low, high);
    this.xDot = g.uniform(low, high);
    this.theta = g.uniform(low, high);
    this.thetaDot = g.uniform(low, high);
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    this.writeObs();
    return { obs: this.obs, info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    // One comparison pair on the hot path; the full check only builds the error message.
    if (action !== 1 && action !== 0) assertAction("CartPole", this.actionSpace, action);
    if (!this.hasState) throw new Error("CartPole: call reset() before step()");
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const theta = this.theta;
    const thetaDot = this.thetaDot;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);

    // https://coneural.org/florian/papers/05_cart_pole.pdf ; operation order kept as Gymnasium's.
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaacc = (GRAVITY * sintheta - costheta * temp) /
      (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
    const xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;

    // Explicit Euler (Gymnasium's default `kinematics_integrator = "euler"`): positions use the old velocities.
    const x = this.x + TAU * this.xDot;
    this.xDot = this.xDot + TAU * xacc;
    const newTheta = theta + TAU * thetaDot;
    this.thetaDot = thetaDot + TAU * thetaacc;
    this.x = x;
    this.theta = newTheta;

    const terminated = x < -X_THRESHOLD || x > X_THRESHOLD ||
      newTheta < -THETA_THRESHOLD_RADIANS || newTheta > THETA_THRESHOLD_RADIANS;

    const sb = this.options.suttonBartoReward;
    let reward: number;
    if (!terminated) {
      reward = sb ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // Pole just fell.
      this.stepsBeyondTerminated = 0;
      reward = sb ? -1.0 : 1.0;
    } else {
      if (this.stepsBeyondTerminated === 0) {
        console.warn(
          "CartPole: step() called after the episode returned terminated = true; call reset() — further steps are undefined behaviour.",
        );
      }
      this.stepsBeyondTerminated++;
      reward = sb ? -1.0 : 0.0;
    }

    this.writeObs();
    // A fresh result and info each step: wrappers (TimeLimit, RecordEpisodeStatistics) write into them.
    return { obs: this.obs, reward, terminated, truncated: false, info: {} };
  }

  /** np.array(state, dtype=float32): round each double to the nearest float32. */
  private writeObs(): void {
    const o = this.obs;
    o[0] = this.x;
    o[1] = this.xDot;
    o[2] = this.theta;
    o[3] = this.thetaDot;
  }

  /**
   * The 600×400 view of Gymnasium's pygame renderer: cart, pole, axle and track line
   * at the same coordinates and colours, without antialiasing. Returns a new frame.
   */
  render(): RenderFrame {
    if (!this.hasState) throw new Error("CartPole: call reset() before render()");
    const img = new Canvas(SCREEN_WIDTH, SCREEN_HEIGHT);
    const worldWidth = X_THRESHOLD * 2;
    const scale = SCREEN_WIDTH / worldWidth;
    const polelen = scale * (2 * LENGTH);

    let l = -CARTWIDTH / 2;
    let r = CARTWIDTH / 2;
    let t = CARTHEIGHT / 2;
    let b = -CARTHEIGHT / 2;
    const axleoffset = CARTHEIGHT / 4.0;
    const cartx = this.x * scale + SCREEN_WIDTH / 2.0; // middle of the cart
    img.fillPolygon([[l + cartx, b + CARTY], [l + cartx, t + CARTY], [r + cartx, t + CARTY], [r + cartx, b + CARTY]], CART_COLOR);

    l = -POLEWIDTH / 2;
    r = POLEWIDTH / 2;
    t = polelen - POLEWIDTH / 2;
    b = -POLEWIDTH / 2;
    // pygame's Vector2.rotate_rad(-theta), then moved to the axle.
    const c = Math.cos(-this.theta);
    const s = Math.sin(-this.theta);
    const pole: [number, number][] = [[l, b], [l, t], [r, t], [r, b]].map(
      ([px, py]) => [px! * c - py! * s + cartx, px! * s + py! * c + CARTY + axleoffset],
    );
    img.fillPolygon(pole, POLE_COLOR);
    img.fillCircle(Math.trunc(cartx), Math.trunc(CARTY + axleoffset), Math.trunc(POLEWIDTH / 2), AXLE_COLOR);
    img.hline(0, SCREEN_WIDTH, CARTY, TRACK_COLOR);
    return img.flippedFrame();
  }

  /** Nothing to release: `render()` draws off-screen, there is no window. */
  close(): void {}
}

/** Gymnasium's `utils.maybe_parse_reset_bounds(options, -0.05, 0.05)`. */
function parseResetBounds(options: Record<string, unknown> | undefined): [number, number] {
  const low = options?.["low"] ?? RESET_LOW;
  const high = options?.["high"] ?? RESET_HIGH;
  for (const [name, v] of [["low", low], ["high", high]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`CartPole.reset: options.${name} must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
  if ((low as number) > (high as number)) {
    throw new RangeError(`CartPole.reset: lower bound (${String(low)}) must be lower than higher bound (${String(high)})`);
  }
  return [low as number, high as number];
}

type RGB = readonly [number, number, number];

/** A y-up RGB surface (pygame's drawing coordinates before Gymnasium flips the image). */
class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 3).fill(255);
  }

  private span(y: number, x0: number, x1: number, [r, g, b]: RGB): void {
    if (y < 0 || y >= this.height) return;
    const from = Math.max(0, x0);
    const to = Math.min(this.width - 1, x1);
    const d = this.data;
    for (let x = from, i = (y * this.width + from) * 3; x <= to; x++, i += 3) {
      d[i] = r;
      d[i + 1] = g;
      d[i + 2] = b;
    }
  }

  /** gfxdraw.hline: pixels x0..x1 inclusive on row y. */
  hline(x0: number, x1: number, y: number, color: RGB): void {
    this.span(y, x0, x1, color);
  }

  /**
   * Scanline fill as SDL_gfx's filledPolygon: vertices truncated to integers (pygame passes
   * Sint16), each row filled between paired edge crossings, edges included.
   */
  fillPolygon(points: readonly (readonly [number, number])[], color: RGB): void {
    const xs = points.map((p) => Math.trunc(p[0]));
    const ys = points.map((p) => Math.trunc(p[1]));
    const n = xs.length;
    const miny = Math.min(...ys);
    const maxy = Math.max(...ys);
    const crossings: number[] = [];
    for (let y = miny; y <= maxy; y++) {
      crossings.length = 0;
      for (let i = 0; i < n; i++) {
        const j = i === 0 ? n - 1 : i - 1;
        let y1 = ys[j]!, y2 = ys[i]!, x1 = xs[j]!, x2 = xs[i]!;
        if (y1 > y2) [y1, y2, x1, x2] = [y2, y1, x2, x1];
        else if (y1 === y2) continue;
        if ((y >= y1 && y < y2) || (y === maxy && y > y1 && y <= y2)) {
          crossings.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
        }
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        this.span(y, Math.round(crossings[k]!), Math.round(crossings[k + 1]!), color);
      }
    }
  }

  /** gfxdraw.filled_circle: every pixel within radius `rad` of the centre. */
  fillCircle(cx: number, cy: number, rad: number, color: RGB): void {
    for (let dy = -rad; dy <= rad; dy++) {
      const half = Math.floor(Math.sqrt(rad * rad - dy * dy));
      this.span(cy + dy, cx - half, cx + half, color);
    }
  }

  /** The image flipped vertically (pygame.transform.flip(surf, False, True)), row-major RGB. */
  flippedFrame(): RenderFrame {
    const rowBytes = this.width * 3;
    const out = new Uint8Array(this.data.length);
    for (let y = 0; y < this.height; y++) {
      out.set(this.data.subarray(y * rowBytes, (y + 1) * rowBytes), (this.height - 1 - y) * rowBytes);
    }
    return { width: this.width, height: this.height, data: out };
  }
}
