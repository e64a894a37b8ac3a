/**
 * CarRacing-v2 and -v3, after Gymnasium's `gymnasium/envs/box2d/car_racing.py` and
 * `car_dynamics.py` (0.29.1 for v2, 1.2.x for v3), with planck.js for Box2D and the
 * state pixels drawn directly at 96×96 (no canvas, no pygame).
 *
 * Same seed, same track: the numpy-compatible generator is drawn in Gymnasium's
 * order (domain-randomised colours, then checkpoints, retried until the walk closes)
 * and the walk uses correctly rounded trigonometry as glibc does (car-racing/crmath.ts).
 * Rewards: −0.1 per frame, +1000/N per newly visited tile, −100 and termination off
 * the playfield. Finishing the lap truncates in v2 (0.29.1) and terminates with
 * `info.lap_finished = true` in v3 (1.x); v3 also reports `lap_finished: false` when
 * leaving the playfield. Episode length is the registry's TimeLimit (1000).
 * The lap rule is the released one by default (see `LapRule`).
 *
 * Box2D runs in float32 and planck in float64, so trajectories agree closely for
 * tens of steps and then drift (docs/envs/CarRacing.md gives the sizes).
 */
import { type Body, type Contact, PolygonShape, Vec2, World } from "planck";
import { rgbInt } from "../media/raster.js";
import * as carConstants from "./car-racing/car.js";
import { Car, type WheelTag } from "./car-racing/car.js";
import { SpanRaster, SRC_H, SRC_W } from "./car-racing/raster.js";
import * as trackConstants from "./car-racing/track.js";
import { generateTrack, type Track } from "./car-racing/track.js";
import {
  type Action,
  type Env,
  type EnvMetadata,
  type EnvSpec,
  type Info,
  type KeyControls,
  parseOptions,
  type RenderFrame,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from "./core.js";
import { type Generator, npRandom } from "./rng.js";
import { assertAction, Box, Discrete, type Space } from "./spaces.js";

// Local copies: module bindings read in hot loops cost a getter call under some loaders.
const { GRASS_DIM, PLAYFIELD, SCALE, TRACK_DETAIL_STEP, TRACK_WIDTH } = trackConstants;
const BORDER_W = trackConstants.BORDER + 0.01;

import { drawScore } from "./car-racing/digits.js";

export const STATE_W = 96; // less than Atari 160x192
export const STATE_H = 96;
export const VIDEO_W = 600;
export const VIDEO_H = 400;
export const WINDOW_W = SRC_W;
export const WINDOW_H = SRC_H;
export const FPS = 50; // Frames per second
export const ZOOM = 2.7; // Camera zoom
const MAX_SHAPE_DIM = Math.max(GRASS_DIM, TRACK_WIDTH, TRACK_DETAIL_STEP) * Math.sqrt(2) * ZOOM * SCALE;

export { PLAYFIELD };

const { SIZE, WHEEL_R, WHEEL_W } = carConstants;

/**
 * Surface rows scanned per state-pixel row above the bar: 1 of the 8⅓, the middle one
 * (0.29/255 mean error against Gymnasium's frames; 2 rows give 0.21/255 at ~1.8× the
 * drawing time, since rows fed by one surface row are written directly).
 */
const STATE_ROWS_PER_PIXEL = 1;
/** From this state row down (the indicator bar) every surface row is scanned: thin bars, small digits. */
const STATE_BAR_ROW = 84;

export type CarRacingVersion = "v2" | "v3";

/**
 * When reaching tile 0 completes the lap.
 * - `"first-visit"` — every released Gymnasium (0.29.1 to 1.3.0): the check runs only when a wheel
 *   visits a tile for the first time. Tile 0 is visited at reset, so in practice only visiting
 *   every tile ends the episode early; otherwise it runs to the time limit (truncated).
 * - `"tile0-contact"` — the fix proposed in Gymnasium issue #1269 (unreleased PR #1670): any
 *   wheel contact with tile 0, beginning or ending, once more than `lapCompletePercent` of the
 *   tiles are visited, completes the lap.
 */
export type LapRule = "first-visit" | "tile0-contact";
export const LAP_RULES: readonly LapRule[] = ["first-visit", "tile0-contact"];

export interface CarRacingOptions {
  /** Box([-1, 0, 0], [1, 1, 1]) actions [steer, gas, brake] instead of Discrete(5). */
  continuous: boolean;
  /** Random road, background and grass colours, redrawn every reset (see reset's `randomize`). */
  domainRandomize: boolean;
  /** Fraction of tiles to visit before reaching tile 0 again completes the lap. */
  lapCompletePercent: number;
  /** When reaching tile 0 completes the lap; released Gymnasium's `"first-visit"` by default. */
  lapRule: LapRule;
}

export const CAR_RACING_DEFAULTS: CarRacingOptions = {
  continuous: true,
  domainRandomize: false,
  lapCompletePercent: 0.95,
  lapRule: "first-visit",
};

/** Tile bodies carry their index for the contact listener. */
interface TileTag {
  tile: number;
}

/** The background quad (the whole playfield). */
const BACKGROUND = new Float64Array([PLAYFIELD, PLAYFIELD, PLAYFIELD, -PLAYFIELD, -PLAYFIELD, -PLAYFIELD, -PLAYFIELD, PLAYFIELD]);
const WHEEL_COLOR = rgbInt(0, 0, 0);
const WHEEL_WHITE = rgbInt(77, 77, 77);
const MUD_COLOR = rgbInt(102, 102, 0);
const HULL_COLOR = rgbInt(204, 0, 0); // int(0.8 * 255)
const WHITE = rgbInt(255, 255, 255);
const BLACK = rgbInt(0, 0, 0);

/** Discrete actions: 0 nothing, 1 steer left, 2 steer right, 3 gas, 4 brake. */
const CAR_RACING_KEYS: KeyControls = {
  keys: { ArrowLeft: 1, ArrowRight: 2, ArrowUp: 3, ArrowDown: 4 },
  idle: [0],
  help: "←/→ steer · ↑ gas · ↓ brake",
};

export class CarRacing implements Env<Uint8Array, Action> {
  readonly observationSpace = new Box<Uint8Array>(0, 255, [STATE_H, STATE_W, 3], "uint8");
  readonly actionSpace: Space<Action>;
  readonly metadata: EnvMetadata;
  spec?: EnvSpec;
  readonly options: CarRacingOptions;
  private readonly name: string;
  private rng: Generator | undefined;

  // Colours (float, as numpy arrays in Gymnasium; drawn with int()).
  private roadColor = [102, 102, 102];
  private bgColor = [102, 204, 102];
  private grassColor = [102, 230, 102];

  private world: World | undefined;
  private car: Car | undefined;
  private track: Track | undefined;
  private tiles: Body[] = [];
  /** Gymnasium's `tile.road_visited`. */
  private visited = new Uint8Array(0);
  /** A tile touched by anything takes the plain road colour (Gymnasium writes `tile.color[:]`). */
  private touched = new Uint8Array(0);
  private tileVisitedCount = 0;
  private reward = 0.0;
  private prevReward = 0.0;
  private newLap = false;
  private t = 0.0;
  /** skipObservation() was called: the next step draws no state frame. */
  private skipNext = false;
  /** The last step skipped its frame; the score it would have shown (reward before the step's −0.1). */
  private pendingScore: number | null = null;
  private readonly state = occludeBar(new SpanRaster(STATE_W, STATE_H, STATE_ROWS_PER_PIXEL, STATE_BAR_ROW));
  private video: SpanRaster | undefined;
  // Scratch polygon buffers.
  private readonly px = new Float64Array(16);
  private readonly py = new Float64Array(16);
  // Per-frame camera.
  private ca = 1;
  private sa = 0;
  private zoom = 1;
  private tx = 0;
  private ty = 0;

  constructor(
    options: Record<string, unknown> = {},
    readonly version: CarRacingVersion = "v3",
  ) {
    this.name = `CarRacing-${version}`;
    this.options = parseOptions(this.name, options, CAR_RACING_DEFAULTS);
    const p = this.options.lapCompletePercent;
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`${this.name}: lap_complete_percent must be in [0, 1], got ${p}`);
    }
    if (!LAP_RULES.includes(this.options.lapRule)) {
      throw new RangeError(`${this.name}: lap_rule must be one of ${LAP_RULES.join(", ")}, got ${JSON.stringify(this.options.lapRule)}`);
    }
    this.actionSpace = this.options.continuous ? new Box([-1, 0, 0], [1, 1, 1], [3], "float32") : new Discrete(5);
    this.metadata = this.options.continuous ? { renderFps: FPS } : { renderFps: FPS, keyControls: CAR_RACING_KEYS };
    if (this.options.domainRandomize) this.randomizeColors(npRandom());
  }

  private randomizeColors(g: Generator): void {
    this.roadColor = [g.uniform(0, 210), g.uniform(0, 210), g.uniform(0, 210)];
    this.bgColor = [g.uniform(0, 210), g.uniform(0, 210), g.uniform(0, 210)];
    this.grassColor = this.bgColor.slice();
    const idx = g.integers(3);
    this.grassColor[idx]! += 20;
  }

  /** The track of the current episode: (alpha, beta, x, y) per point, as Gymnasium's `env.track`. */
  get trackPoints(): readonly (readonly [number, number, number, number])[] {
    if (!this.track) throw new Error(`${this.name}: call reset() first`);
    return this.track.points;
  }

  /** Tiles visited by a wheel so far this episode (Gymnasium's `tile_visited_count`). */
  get tilesVisited(): number {
    return this.tileVisitedCount;
  }

  /** Tiles of the current track (Gymnasium's `len(env.track)`). */
  get tileCount(): number {
    if (!this.track) throw new Error(`${this.name}: call reset() first`);
    return this.visited.length;
  }

  /** Whether a wheel has touched tile `index` this episode (one entry of `visitedTileMask()`, without the copy). */
  tileVisited(index: number): boolean {
    return this.visited[index] === 1;
  }

  /** 1 for each tile a wheel has touched this episode, in track order (Gymnasium's `tile.road_visited`); a copy. */
  visitedTileMask(): Uint8Array {
    if (!this.track) throw new Error(`${this.name}: call reset() first`);
    return this.visited.slice();
  }

  /** The hull's (x, y, angle, vx, vy). */
  hullPose(): [number, number, number, number, number] {
    if (!this.car) throw new Error(`${this.name}: call reset() first`);
    const h = this.car.hull;
    const p = h.getPosition();
    const v = h.getLinearVelocity();
    return [p.x, p.y, h.getAngle(), v.x, v.y];
  }

  /** `options.randomize` (with domain_randomize) chooses whether this reset draws new colours (default true). */
  reset(args: ResetArgs = {}): ResetResult<Uint8Array> {
    if (args.seed !== undefined) this.rng = npRandom(args.seed);
    const rng = (this.rng ??= npRandom());
    this.reward = 0.0;
    this.prevReward = 0.0;
    this.tileVisitedCount = 0;
    this.t = 0.0;
    this.newLap = false;
    this.skipNext = false;
    this.pendingScore = null;

    if (this.options.domainRandomize) {
      let randomize = true;
      const opt = args.options;
      if (opt && "randomize" in opt) {
        if (typeof opt.randomize !== "boolean") {
          throw new TypeError(`${this.name}: reset options.randomize must be a boolean, got ${JSON.stringify(opt.randomize)}`);
        }
        randomize = opt.randomize;
      }
      if (randomize) this.randomizeColors(rng);
    }

    const track = generateTrack(rng);
    this.track = track;
    const n = track.points.length;
    const world = new World({ gravity: new Vec2(0, 0) });
    this.world = world;
    this.tiles = [];
    for (let i = 0; i < n; i++) {
      const q = track.tiles[i]!;
      const t = world.createBody();
      t.createFixture({
        shape: new PolygonShape([new Vec2(q[0]!, q[1]!), new Vec2(q[2]!, q[3]!), new Vec2(q[4]!, q[5]!), new Vec2(q[6]!, q[7]!)]),
        isSensor: true,
      });
      t.setUserData({ tile: i } satisfies TileTag);
      this.tiles.push(t);
    }
    this.tileBounds = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const q = track.tiles[i]!;
      const m = BORDER_W;
      this.tileBounds[4 * i] = Math.min(q[0]!, q[2]!, q[4]!, q[6]!) - m;
      this.tileBounds[4 * i + 1] = Math.min(q[1]!, q[3]!, q[5]!, q[7]!) - m;
      this.tileBounds[4 * i + 2] = Math.max(q[0]!, q[2]!, q[4]!, q[6]!) + m;
      this.tileBounds[4 * i + 3] = Math.max(q[1]!, q[3]!, q[5]!, q[7]!) + m;
    }
    this.visited = new Uint8Array(n);
    this.touched = new Uint8Array(n);
    const [, beta, x, y] = track.points[0]!;
    this.car = new Car(world, beta, x, y);
    world.on("begin-contact", (c: Contact) => this.contact(c, true));
    world.on("end-contact", (c: Contact) => this.contact(c, false));
    return { obs: this.advance(null).obs, info: {} };
  }

  /** Gymnasium's FrictionDetector. */
  private contact(c: Contact, begin: boolean): void {
    const u1 = c.getFixtureA().getBody().getUserData() as Partial<TileTag & WheelTag> | null;
    const u2 = c.getFixtureB().getBody().getUserData() as Partial<TileTag & WheelTag> | null;
    let tile = -1;
    let obj: Partial<TileTag & WheelTag> | null = null;
    if (u1 && u1.tile !== undefined) {
      tile = u1.tile;
      obj = u2;
    }
    if (u2 && u2.tile !== undefined) {
      tile = u2.tile;
      obj = u1;
    }
    if (tile < 0) return;
    // inherit tile colour from env
    this.touched[tile] = 1;
    if (!obj || obj.wheel === undefined) return;
    const n = this.track!.points.length;
    const tile0Contact = this.options.lapRule === "tile0-contact";
    if (tile0Contact) this.checkLap(tile, n);
    const w = this.car!.wheels[obj.wheel]!;
    if (begin) {
      w.tiles++;
      if (!this.visited[tile]) {
        this.visited[tile] = 1;
        this.reward += 1000.0 / n;
        this.tileVisitedCount += 1;
        if (!tile0Contact) this.checkLap(tile, n);
      }
    } else {
      w.tiles--;
    }
  }

  /** Lap is considered completed if enough % of the track was covered. */
  private checkLap(tile: number, nTiles: number): void {
    if (tile === 0 && this.tileVisitedCount / nTiles > this.options.lapCompletePercent) this.newLap = true;
  }

  step(action: Action): StepResult<Uint8Array> {
    if (!this.car) throw new Error(`${this.name}: call reset() before step()`);
    return this.advance(action);
  }

  /**
   * The next step's observation will not be read (FrameSkip's repeated steps): it returns
   * the observation buffer without drawing into it. Not part of Gymnasium's API; see
   * `SkippableObservation` in wrappers/frame-skip.ts.
   */
  skipObservation(): void {
    this.skipNext = true;
  }

  /** Draws the frame the last step skipped (no-op otherwise), identical to drawing it then. */
  completeObservation(): void {
    const score = this.pendingScore;
    if (score === null) return;
    this.pendingScore = null;
    this.drawFrame(this.state, false, score);
  }

  private advance(action: Action | null): StepResult<Uint8Array> {
    const car = this.car!;
    if (action !== null) {
      if (this.options.continuous) {
        if (typeof action === "number" || action.length !== 3 || !this.actionSpace.contains(action)) {
          assertAction(this.name, this.actionSpace, action);
        }
        const a = action as ArrayLike<number>;
        car.steer(-a[0]!);
        car.gas(a[1]!);
        car.brake(a[2]!);
      } else {
        if (action !== 0 && action !== 1 && action !== 2 && action !== 3 && action !== 4) {
          assertAction(this.name, this.actionSpace, action);
        }
        car.steer(-0.6 * (action === 1 ? 1 : 0) + 0.6 * (action === 2 ? 1 : 0));
        car.gas(0.2 * (action === 3 ? 1 : 0));
        car.brake(0.8 * (action === 4 ? 1 : 0));
      }
    }
    car.trackParticles = this.video !== undefined;
    car.step(1.0 / FPS);
    this.world!.step(1.0 / FPS, 6 * 30, 2 * 30);
    this.t += 1.0 / FPS;

    let obs: Uint8Array;
    if (this.skipNext && action !== null) {
      // Everything the frame shows is final now except the score, drawn before the −0.1 below.
      this.pendingScore = this.reward;
      obs = this.state.out;
    } else {
      this.pendingScore = null;
      obs = this.drawFrame(this.state, false, this.reward);
    }
    this.skipNext = false;

    let stepReward = 0;
    let terminated = false;
    let truncated = false;
    const info: Info = {};
    if (action !== null) {
      // First step without action, called from reset()
      this.reward -= 0.1;
      car.fuelSpent = 0.0;
      stepReward = this.reward - this.prevReward;
      this.prevReward = this.reward;
      if (this.tileVisitedCount === this.track!.points.length || this.newLap) {
        if (this.version === "v2") {
          // 0.29.1: truncation due to finishing the lap, "like a timeout".
          truncated = true;
        } else {
          terminated = true;
          info.lap_finished = true;
        }
      }
      const p = car.hull.getPosition();
      if (Math.abs(p.x) > PLAYFIELD || Math.abs(p.y) > PLAYFIELD) {
        terminated = true;
        if (this.version === "v3") info.lap_finished = false;
        stepReward = -100;
      }
    }
    return { obs, reward: stepReward, terminated, truncated, info };
  }

  /** The 600×400 view Gymnasium's `rgb_array` mode returns (with skid marks). A new frame each call. */
  render(): RenderFrame {
    if (!this.car) throw new Error(`${this.name}: call reset() before render()`);
    this.video ??= occludeBar(new SpanRaster(VIDEO_W, VIDEO_H));
    const data = this.drawFrame(this.video, true, this.reward).slice();
    return { width: VIDEO_W, height: VIDEO_H, data };
  }

  close(): void {}

  // ---- drawing -------------------------------------------------------------------------

  private drawFrame(r: SpanRaster, particles: boolean, score: number): Uint8Array {
    const car = this.car!;
    r.clear();
    const hull = car.hull;
    const angle = -hull.getAngle();
    // Animating first second zoom.
    const zoom = 0.1 * SCALE * Math.max(1 - this.t, 0) + ZOOM * SCALE * Math.min(this.t, 1);
    const pos = hull.getPosition();
    const scrollX = -pos.x * zoom;
    const scrollY = -pos.y * zoom;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    this.ca = ca;
    this.sa = sa;
    this.zoom = zoom;
    this.tx = WINDOW_W / 2 + (scrollX * ca - scrollY * sa);
    this.ty = WINDOW_H / 4 + (scrollX * sa + scrollY * ca);

    // Background
    this.worldPoly(BACKGROUND, 4, rgbOf(this.bgColor), r, false);
    // World-space bounds of the visible surface (plus a pixel), to skip what cannot show.
    this.viewBounds();
    const view = this.view;
    const vx0 = view[0]!;
    const vy0 = view[1]!;
    const vx1 = view[2]!;
    const vy1 = view[3]!;
    // Grass patches (disjoint squares of one colour, so only the visible ones matter).
    const grass = rgbOf(this.grassColor);
    const sq = this.sqBuf;
    const gx0 = Math.max(-20, 2 * Math.floor(Math.floor(vx0 / GRASS_DIM) / 2) - 2);
    const gx1 = Math.min(20, vx1 / GRASS_DIM + 1);
    const gy0 = Math.max(-20, 2 * Math.floor(Math.floor(vy0 / GRASS_DIM) / 2) - 2);
    const gy1 = Math.min(20, vy1 / GRASS_DIM + 1);
    for (let x = gx0; x < gx1; x += 2) {
      for (let y = gy0; y < gy1; y += 2) {
        sq[0] = GRASS_DIM * x + GRASS_DIM;
        sq[1] = GRASS_DIM * y + 0;
        sq[2] = GRASS_DIM * x + 0;
        sq[3] = GRASS_DIM * y + 0;
        sq[4] = GRASS_DIM * x + 0;
        sq[5] = GRASS_DIM * y + GRASS_DIM;
        sq[6] = GRASS_DIM * x + GRASS_DIM;
        sq[7] = GRASS_DIM * y + GRASS_DIM;
        this.worldPoly(sq, 4, grass, r, true);
      }
    }
    // Road: tiles with their kerbs, in Gymnasium's road_poly order.
    const track = this.track!;
    const rc = this.roadColor;
    const bb = this.tileBounds;
    let kerb = 0;
    for (let i = 0; i < track.tiles.length; i++) {
      const k = track.kerbs[kerb];
      const hasKerb = k !== undefined && k.tile === i;
      if (hasKerb) kerb++;
      // Tile and kerb lie within the tile's bounds grown by the kerb width.
      if (bb[4 * i]! > vx1 || bb[4 * i + 2]! < vx0 || bb[4 * i + 1]! > vy1 || bb[4 * i + 3]! < vy0) continue;
      const c = this.touched[i] ? 0 : 0.01 * (i % 3) * 255;
      this.worldPoly(track.tiles[i]!, 4, rgbInt(Math.trunc(rc[0]! + c), Math.trunc(rc[1]! + c), Math.trunc(rc[2]! + c)), r, true);
      if (hasKerb) this.worldPoly(k.quad, 4, k.white ? WHITE : rgbInt(255, 0, 0), r, true);
    }
    if (particles) this.drawParticles(r);
    this.drawCar(r);
    this.drawIndicators(r);
    drawScore(r, score);
    return r.resolve();
  }

  private readonly sqBuf = new Float64Array(8);
  /** Per tile: world AABB (x0, y0, x1, y1) of the tile and its kerb. */
  private tileBounds = new Float64Array(0);
  private readonly view = new Float64Array(4);

  /** World AABB of the 1000×800 surface under the current camera, grown by two pixels. */
  private viewBounds(): void {
    const { ca, sa, zoom, tx, ty } = this;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let k = 0; k < 4; k++) {
      const X = (k & 1 ? WINDOW_W + 2 : -2) - tx;
      const Y = (k & 2 ? WINDOW_H + 2 : -2) - ty;
      // Inverse rotation of (X, Y) / zoom.
      const wx = (X * ca + Y * sa) / zoom;
      const wy = (-X * sa + Y * ca) / zoom;
      if (wx < x0) x0 = wx;
      if (wx > x1) x1 = wx;
      if (wy < y0) y0 = wy;
      if (wy > y1) y1 = wy;
    }
    const v = this.view;
    v[0] = x0;
    v[1] = y0;
    v[2] = x1;
    v[3] = y1;
  }

  /** `_draw_colored_polygon`: rotate, zoom, translate, cull as Gymnasium, then gfxdraw fill. */
  private worldPoly(poly: ArrayLike<number>, n: number, rgb: number, r: SpanRaster, clip: boolean): void {
    const { ca, sa, zoom, tx, ty, px, py } = this;
    let inside = !clip;
    for (let i = 0; i < n; i++) {
      const x = poly[2 * i]!;
      const y = poly[2 * i + 1]!;
      const X = (x * ca - y * sa) * zoom + tx;
      const Y = (x * sa + y * ca) * zoom + ty;
      px[i] = X;
      py[i] = Y;
      if (!inside && -MAX_SHAPE_DIM <= X && X <= WINDOW_W + MAX_SHAPE_DIM && -MAX_SHAPE_DIM <= Y && Y <= WINDOW_H + MAX_SHAPE_DIM) inside = true;
    }
    if (inside) r.gfxPolygon(px, py, n, rgb, true);
  }

  /** Body-local vertices → surface, drawn with pygame.draw.polygon. */
  private bodyPoly(body: Body, verts: readonly Vec2[] | null, local: Float64Array | null, n: number, rgb: number, r: SpanRaster): void {
    const xf = (body as unknown as { m_xf: { p: Vec2; q: { s: number; c: number } } }).m_xf;
    const { ca, sa, zoom, tx, ty, px, py } = this;
    for (let i = 0; i < n; i++) {
      const vx = verts ? verts[i]!.x : local![2 * i]!;
      const vy = verts ? verts[i]!.y : local![2 * i + 1]!;
      const x = xf.q.c * vx - xf.q.s * vy + xf.p.x;
      const y = xf.q.s * vx + xf.q.c * vy + xf.p.y;
      px[i] = (x * ca - y * sa) * zoom + tx;
      py[i] = (x * sa + y * ca) * zoom + ty;
    }
    r.drawPolygon(px, py, n, rgb, true);
  }

  private readonly whiteBuf = new Float64Array(8);

  private drawCar(r: SpanRaster): void {
    const car = this.car!;
    for (const w of car.wheels) {
      this.bodyPoly(w.body, car.wheelShape.m_vertices, null, car.wheelShape.m_vertices.length, WHEEL_COLOR, r);
      const a1 = w.phase;
      const a2 = w.phase + 1.2; // radians
      const s1 = Math.sin(a1);
      const s2 = Math.sin(a2);
      let c1 = Math.cos(a1);
      let c2 = Math.cos(a2);
      if (s1 > 0 && s2 > 0) continue;
      if (s1 > 0) c1 = Math.sign(c1);
      if (s2 > 0) c2 = Math.sign(c2);
      const wp = this.whiteBuf;
      wp[0] = -WHEEL_W * SIZE;
      wp[1] = +WHEEL_R * c1 * SIZE;
      wp[2] = +WHEEL_W * SIZE;
      wp[3] = +WHEEL_R * c1 * SIZE;
      wp[4] = +WHEEL_W * SIZE;
      wp[5] = +WHEEL_R * c2 * SIZE;
      wp[6] = -WHEEL_W * SIZE;
      wp[7] = +WHEEL_R * c2 * SIZE;
      this.bodyPoly(w.body, null, wp, 4, WHEEL_WHITE, r);
    }
    // Box2D lists a body's fixtures newest first.
    for (let i = car.hullShapes.length - 1; i >= 0; i--) {
      const s = car.hullShapes[i]!;
      this.bodyPoly(car.hull, s.m_vertices, null, s.m_vertices.length, HULL_COLOR, r);
    }
  }

  /** Skid marks: 2-pixel polylines (render() only). */
  private drawParticles(r: SpanRaster): void {
    const { ca, sa, zoom, tx, ty, px, py } = this;
    for (const p of this.car!.particles) {
      const color = p.grass ? MUD_COLOR : WHEEL_COLOR;
      for (let i = 0; i + 3 < p.poly.length; i += 2) {
        const x0 = (p.poly[i]! * ca - p.poly[i + 1]! * sa) * zoom + tx;
        const y0 = (p.poly[i]! * sa + p.poly[i + 1]! * ca) * zoom + ty;
        const x1 = (p.poly[i + 2]! * ca - p.poly[i + 3]! * sa) * zoom + tx;
        const y1 = (p.poly[i + 2]! * sa + p.poly[i + 3]! * ca) * zoom + ty;
        const dx = x1 - x0;
        const dy = y1 - y0;
        const len = Math.hypot(dx, dy) || 1;
        const nx = -dy / len;
        const ny = dx / len;
        px[0] = x0 - nx;
        py[0] = y0 - ny;
        px[1] = x1 - nx;
        py[1] = y1 - ny;
        px[2] = x1 + nx;
        py[2] = y1 + ny;
        px[3] = x0 + nx;
        py[3] = y0 + ny;
        r.drawPolygon(px, py, 4, color, true);
      }
    }
  }

  private vertical(r: SpanRaster, place: number, val: number, rgb: number): void {
    const s = WINDOW_W / 40.0;
    const h = WINDOW_H / 40.0;
    const H = WINDOW_H;
    r.drawQuad(place * s, H - (h + h * val), (place + 1) * s, H - (h + h * val), (place + 1) * s, H - h, (place + 0) * s, H - h, rgb, false);
  }

  private horiz(r: SpanRaster, place: number, val: number, rgb: number): void {
    const s = WINDOW_W / 40.0;
    const h = WINDOW_H / 40.0;
    const H = WINDOW_H;
    r.drawQuad((place + 0) * s, H - 4 * h, (place + val) * s, H - 4 * h, (place + val) * s, H - 2 * h, (place + 0) * s, H - 2 * h, rgb, false);
  }

  /** `_render_indicators(WINDOW_W, WINDOW_H)`, drawn after the flip. */
  private drawIndicators(r: SpanRaster): void {
    const W = WINDOW_W;
    const H = WINDOW_H;
    const h = H / 40.0;
    r.drawQuad(W, H, W, H - 5 * h, 0, H - 5 * h, 0, H, BLACK, false);
    const car = this.car!;
    const v = car.hull.getLinearVelocity();
    const trueSpeed = Math.sqrt(v.x * v.x + v.y * v.y);
    if (Math.abs(trueSpeed) > 1e-4) this.vertical(r, 5, 0.02 * trueSpeed, WHITE);
    const wh = car.wheels;
    // ABS sensors
    if (Math.abs(wh[0]!.omega) > 1e-4) this.vertical(r, 7, 0.01 * wh[0]!.omega, rgbInt(0, 0, 255));
    if (Math.abs(wh[1]!.omega) > 1e-4) this.vertical(r, 8, 0.01 * wh[1]!.omega, rgbInt(0, 0, 255));
    if (Math.abs(wh[2]!.omega) > 1e-4) this.vertical(r, 9, 0.01 * wh[2]!.omega, rgbInt(51, 0, 255));
    if (Math.abs(wh[3]!.omega) > 1e-4) this.vertical(r, 10, 0.01 * wh[3]!.omega, rgbInt(51, 0, 255));
    const ja = wh[0]!.joint.getJointAngle();
    if (Math.abs(ja) > 1e-4) this.horiz(r, 20, -10.0 * ja, rgbInt(0, 255, 0));
    const av = car.hull.getAngularVelocity();
    if (Math.abs(av) > 1e-4) this.horiz(r, 30, -0.8 * av, rgbInt(255, 0, 0));
  }
}

/** The indicator bar's black rectangle covers surface rows 700–799 (H − 5h … H) across the full width. */
function occludeBar(r: SpanRaster): SpanRaster {
  r.occludedFrom = WINDOW_H - 5 * (WINDOW_H / 40.0);
  return r;
}

function rgbOf(c: readonly number[]): number {
  return rgbInt(Math.trunc(c[0]!), Math.trunc(c[1]!), Math.trunc(c[2]!));
}
