/**
 * CartPole-v1, as Gymnasium's `classic_control/cartpole.py` (Barto, Sutton & Anderson 1983):
 * the same constants, Euler integration, thresholds, rewards and seeded initial state,
 * so a seed and an action sequence give Gymnasium's trajectory (float32 observations
 * built from a float64 state; only the last bit of `cos`/`sin` may differ between
 * libms).
 */

import { Raster, type Rgb } from "../media/raster.js";
import {
  type Env,
  type EnvMetadata,
  type EnvSpec,
  type KeyControls,
  parseOptions,
  type RenderFrame,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from "./core.js";
import { type Generator, npRandom } from "./rng.js";
import { assertAction, Box, Discrete } from "./spaces.js";

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
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
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
const CART_COLOR: Rgb = [0, 0, 0];
const POLE_COLOR: Rgb = [202, 152, 101];
const AXLE_COLOR: Rgb = [129, 132, 203];
const TRACK_COLOR: Rgb = [0, 0, 0];
const BACKGROUND: Rgb = [255, 255, 255];

export interface CartPoleOptions extends Record<string, unknown> {
  /** Gymnasium ≥ 1.0's `sutton_barto_reward`: 0 per step and −1 on (and after) termination, instead of +1 per step. */
  suttonBartoReward: boolean;
}

const DEFAULT_OPTIONS: CartPoleOptions = { suttonBartoReward: false };

/** Arrow keys push the cart; with no "do nothing" action, no key alternates left and right (zero net force on average). */
const CARTPOLE_KEYS: KeyControls = {
  keys: { ArrowLeft: 0, ArrowRight: 1 },
  idle: [0, 1],
  help: "← push left · → push right (no key: alternate)",
};

export class CartPoleEnv implements Env<Float32Array, number> {
  /** Gymnasium ≥ 1.0 bounds: ±2·x_threshold, ±2·theta_threshold, velocities unbounded. */
  readonly observationSpace = new Box(
    [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD_RADIANS * 2, -Infinity],
    [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity],
    [4],
    "float32",
  );
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata = { renderFps: 50, keyControls: CARTPOLE_KEYS };
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
    const thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;

    // Explicit Euler (Gymnasium's default `kinematics_integrator = "euler"`): positions use the old velocities.
    const x = this.x + TAU * this.xDot;
    this.xDot = this.xDot + TAU * xacc;
    const newTheta = theta + TAU * thetaDot;
    this.thetaDot = thetaDot + TAU * thetaacc;
    this.x = x;
    this.theta = newTheta;

    const terminated = x < -X_THRESHOLD || x > X_THRESHOLD || newTheta < -THETA_THRESHOLD_RADIANS || newTheta > THETA_THRESHOLD_RADIANS;

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
        console.warn("CartPole: step() called after the episode returned terminated = true; call reset() — further steps are undefined behaviour.");
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
    // Drawn on pygame's y-up surface (row y is pygame's y), then flipped as Gymnasium does.
    const img = new Raster(SCREEN_WIDTH, SCREEN_HEIGHT);
    img.fill(BACKGROUND);
    const worldWidth = X_THRESHOLD * 2;
    const scale = SCREEN_WIDTH / worldWidth;
    const polelen = scale * (2 * LENGTH);

    let l = -CARTWIDTH / 2;
    let r = CARTWIDTH / 2;
    let t = CARTHEIGHT / 2;
    let b = -CARTHEIGHT / 2;
    const axleoffset = CARTHEIGHT / 4.0;
    const cartx = this.x * scale + SCREEN_WIDTH / 2.0; // middle of the cart
    img.fillPolygonEdgesIncluded([l + cartx, b + CARTY, l + cartx, t + CARTY, r + cartx, t + CARTY, r + cartx, b + CARTY], CART_COLOR);

    l = -POLEWIDTH / 2;
    r = POLEWIDTH / 2;
    t = polelen - POLEWIDTH / 2;
    b = -POLEWIDTH / 2;
    // pygame's Vector2.rotate_rad(-theta), then moved to the axle.
    const c = Math.cos(-this.theta);
    const s = Math.sin(-this.theta);
    const pole = [
      [l, b],
      [l, t],
      [r, t],
      [r, b],
    ].flatMap(([px, py]) => [px! * c - py! * s + cartx, px! * s + py! * c + CARTY + axleoffset]);
    img.fillPolygonEdgesIncluded(pole, POLE_COLOR);
    img.fillCircle(Math.trunc(cartx), Math.trunc(CARTY + axleoffset), Math.trunc(POLEWIDTH / 2), AXLE_COLOR);
    // gfxdraw.hline: pixels 0..SCREEN_WIDTH inclusive (the last one clipped).
    img.span(CARTY, 0, SCREEN_WIDTH, TRACK_COLOR);
    return img.flippedRows();
  }

  /** Nothing to release: `render()` draws off-screen, there is no window. */
  close(): void {}
}

/** Gymnasium's `utils.maybe_parse_reset_bounds(options, -0.05, 0.05)`. */
function parseResetBounds(options: Record<string, unknown> | undefined): [number, number] {
  const low = options?.["low"] ?? RESET_LOW;
  const high = options?.["high"] ?? RESET_HIGH;
  for (const [name, v] of [
    ["low", low],
    ["high", high],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`CartPole.reset: options.${name} must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
  if ((low as number) > (high as number)) {
    throw new RangeError(`CartPole.reset: lower bound (${String(low)}) must be lower than higher bound (${String(high)})`);
  }
  return [low as number, high as number];
}
