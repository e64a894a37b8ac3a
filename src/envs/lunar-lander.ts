/**
 * LunarLander-v2 and -v3, line for line after Gymnasium's
 * `gymnasium/envs/box2d/lunar_lander.py` (0.29.1 for v2, 1.2.x for v3), with
 * planck.js standing in for pybox2d (Box2D 2.3).
 *
 * Same seed, same terrain, same initial push and the same engine dispersion: the
 * numpy-compatible generator is drawn in exactly Gymnasium's order (terrain
 * heights, the two initial-force components, v3's wind offsets, then two
 * dispersion draws per step, firing or not). Box2D runs in float32 in Gymnasium
 * and planck in float64, so trajectories agree closely in flight and drift once
 * contacts amplify the difference; docs/envs/LunarLander.md gives the sizes.
 *
 * Engine particles are not simulated: in Gymnasium they are Box2D bodies that
 * collide only with the ground, draw no random numbers and never touch the lander,
 * so they cannot change the lander's trajectory (1.x creates them only when
 * rendering anyway).
 *
 * Each episode's world gets `installIslandSolver` (lunar-lander/island-solver.ts):
 * planck's island solve, bit for bit, several times faster for the 180 velocity
 * iterations Gymnasium asks for.
 */
import { type Body, BoxShape, type Contact, EdgeShape, PolygonShape, RevoluteJoint, Vec2, World } from "planck";
import { Raster, type Rgb } from "../media/raster.js";
import { polygonMass } from "./box2d.js";
import {
  type Action,
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
import { installIslandSolver } from "./lunar-lander/island-solver.js";
import { type Generator, npRandom } from "./rng.js";
import { assertAction, Box, Discrete, formatAction, type Space } from "./spaces.js";

export const FPS = 50;
/** Affects how fast-paced the game is; forces are tuned to it. */
export const SCALE = 30.0;

const MAIN_ENGINE_POWER = 13.0;
const SIDE_ENGINE_POWER = 0.6;

/** Magnitude bound of the random force applied at reset (Gymnasium: "set 1500 to make game harder"). */
const INITIAL_RANDOM = 1000.0;

/** Lander hull in pixels, as Gymnasium's LANDER_POLY. */
export const LANDER_POLY: readonly (readonly [number, number])[] = [
  [-14, +17],
  [-17, 0],
  [-17, -10],
  [+17, -10],
  [+17, 0],
  [+14, +17],
];
const LANDER_DENSITY = 5.0;
const LEG_AWAY = 20;
export const LEG_DOWN = 18;
export const LEG_W = 2;
export const LEG_H = 8;
const LEG_SPRING_TORQUE = 40;

const SIDE_ENGINE_HEIGHT = 14;
const SIDE_ENGINE_AWAY = 12;
/** The Y location of the main engine on the body of the lander (named in 1.x; 0.29 wrote 4 inline). */
const MAIN_ENGINE_Y_LOCATION = 4;

export const VIEWPORT_W = 600;
export const VIEWPORT_H = 400;

/** Terrain control points across the viewport. */
const CHUNKS = 11;

/** Box2D solver iterations Gymnasium passes to `world.Step(1/FPS, 6*30, 2*30)`. */
const VELOCITY_ITERATIONS = 6 * 30;
const POSITION_ITERATIONS = 2 * 30;

const W = VIEWPORT_W / SCALE;
const H = VIEWPORT_H / SCALE;

/** Box2D filter bits: the ground keeps Box2D's default category 0x0001; hull and legs collide only with it. */
const CATEGORY_LANDER = 0x0010;
const CATEGORY_LEG = 0x0020;
const MASK_GROUND_ONLY = 0x001;

/** b2FixtureDef's default friction, which the moon's first (bottom) edge and the legs keep. */
const BOX2D_DEFAULT_FRICTION = 0.2;

export type LunarLanderVersion = "v2" | "v3";

export interface LunarLanderOptions {
  /** `Box(-1, 1, (2,))` throttles instead of `Discrete(4)`. */
  continuous: boolean;
  /** Gravitational acceleration; Gymnasium requires −12 < gravity < 0. */
  gravity: number;
  /** Horizontal wind force and turbulence torque while no leg touches the ground. */
  enableWind: boolean;
  /** Peak wind force (recommended 0–20). */
  windPower: number;
  /** Peak turbulence torque (recommended 0–2). */
  turbulencePower: number;
}

export const LUNAR_LANDER_DEFAULTS: LunarLanderOptions = {
  continuous: false,
  gravity: -10.0,
  enableWind: false,
  windPower: 15.0,
  turbulencePower: 1.5,
};

/** Observation bounds: v3 widened them (Gymnasium issue 752) without changing the dynamics. */
const OBS_BOUNDS: Record<LunarLanderVersion, { pos: number; vel: number; angle: number }> = {
  v2: { pos: 1.5, vel: 5.0, angle: Math.PI },
  v3: { pos: 2.5, vel: 10.0, angle: 2 * Math.PI },
};

/** What `render()` needs of the current episode. */
interface Scene {
  /** Per terrain chunk: the polygon above the moon's surface, (x, y) world-unit pairs. */
  skyPolys: number[][];
  helipadX1: number;
  helipadX2: number;
  helipadY: number;
  bodies: { body: Body; vertices: readonly Vec2[] }[];
}

// Gymnasium's colours.
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const LANDER_COLOR1: Rgb = [128, 102, 230];
const LANDER_COLOR2: Rgb = [77, 77, 128];
const FLAG_COLOR: Rgb = [204, 204, 0];

/** Gymnasium's `tanh(sin(2k·t) + sin(πk·t))`, k = 0.01: never periodic. */
function windFunction(t: number): number {
  return Math.tanh(Math.sin(0.02 * t) + Math.sin(Math.PI * 0.01 * t));
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Discrete actions: 0 nothing, 1 left orientation engine, 2 main engine, 3 right orientation engine. */
const LUNAR_LANDER_KEYS: KeyControls = {
  keys: { ArrowUp: 2, ArrowLeft: 1, ArrowRight: 3 },
  idle: [0],
  help: "↑ main engine · ← left engine · → right engine",
};

export class LunarLander implements Env<Float32Array, Action> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Space<Action>;
  readonly metadata: EnvMetadata;
  spec?: EnvSpec;

  readonly options: LunarLanderOptions;
  private readonly name: string;
  private rng: Generator | undefined;

  private world: World | undefined;
  private lander: Body | undefined;
  private legs: [Body, Body] | undefined;
  private readonly legContact: [boolean, boolean] = [false, false];
  private gameOver = false;
  private prevShaping: number | null = null;
  private windIdx = 0;
  private torqueIdx = 0;
  private scene: Scene | undefined;

  private readonly obs = new Float32Array(8);
  /** Reused argument vectors: planck copies their values, so no per-step allocation. */
  private readonly impulse = new Vec2(0, 0);
  private readonly impulsePos = new Vec2(0, 0);
  private readonly force = new Vec2(0, 0);

  constructor(
    options: Record<string, unknown> = {},
    readonly version: LunarLanderVersion = "v3",
  ) {
    this.name = `LunarLander-${version}`;
    this.options = parseOptions(this.name, options, LUNAR_LANDER_DEFAULTS);
    const { gravity, windPower, turbulencePower, continuous } = this.options;
    if (!(-12.0 < gravity && gravity < 0.0)) {
      throw new RangeError(`${this.name}: gravity must be between -12 and 0 (exclusive), got ${gravity}`);
    }
    if (windPower < 0.0 || windPower > 20.0) {
      console.warn(`WARN: ${this.name}: wind_power value is recommended to be between 0.0 and 20.0, (current value: ${windPower})`);
    }
    if (turbulencePower < 0.0 || turbulencePower > 2.0) {
      console.warn(`WARN: ${this.name}: turbulence_power value is recommended to be between 0.0 and 2.0, (current value: ${turbulencePower})`);
    }
    if (version === "v2") {
      // 0.29.1 draws the wind offsets once, in __init__, from numpy's unseeded global
      // generator: v2 wind is not reproducible from the reset seed, and neither is this.
      const g = npRandom();
      this.windIdx = g.integers(-9999, 9999);
      this.torqueIdx = g.integers(-9999, 9999);
    }
    const b = OBS_BOUNDS[version];
    this.observationSpace = new Box(
      [-b.pos, -b.pos, -b.vel, -b.vel, -b.angle, -b.vel, -0.0, -0.0],
      [b.pos, b.pos, b.vel, b.vel, b.angle, b.vel, 1.0, 1.0],
      [8],
    );
    this.actionSpace = continuous ? new Box(-1, +1, [2]) : new Discrete(4);
    this.metadata = continuous ? { renderFps: FPS } : { renderFps: FPS, keyControls: LUNAR_LANDER_KEYS };
  }

  /** Helipad height in world units (H/4 with the default viewport). */
  get helipadY(): number {
    return H / 4;
  }

  /** The current episode's terrain: the 11 control points (chunk x, smoothed height) of the moon's surface. */
  get terrain(): { x: number[]; y: number[] } {
    const scene = this.scene;
    if (!scene) throw new Error(`${this.name}: call reset() before reading the terrain`);
    const x = scene.skyPolys.map((p) => p[0]!);
    const y = scene.skyPolys.map((p) => p[1]!);
    const last = scene.skyPolys[scene.skyPolys.length - 1]!;
    x.push(last[2]!);
    y.push(last[3]!);
    return { x, y };
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    if (args.seed !== undefined) this.rng = npRandom(args.seed);
    const rng = (this.rng ??= npRandom());

    // A fresh world every episode, as Gymnasium does since the fix for issue 728.
    const world = new World({ gravity: new Vec2(0, this.options.gravity) });
    installIslandSolver(world);
    this.world = world;
    this.gameOver = false;
    this.prevShaping = null;
    this.legContact[0] = false;
    this.legContact[1] = false;

    // Terrain
    const height = rng.uniformArray(0, H / 2, CHUNKS + 1);
    const chunkX: number[] = [];
    for (let i = 0; i < CHUNKS; i++) chunkX.push((W / (CHUNKS - 1)) * i);
    const half = Math.floor(CHUNKS / 2);
    const helipadX1 = chunkX[half - 1]!;
    const helipadX2 = chunkX[half + 1]!;
    const helipadY = H / 4;
    for (let k = -2; k <= 2; k++) height[half + k] = helipadY;
    const smoothY: number[] = [];
    for (let i = 0; i < CHUNKS; i++) {
      // Python's height[i - 1] at i = 0 is height[-1], the last element.
      const prev = height[i === 0 ? CHUNKS : i - 1]!;
      smoothY.push(0.33 * (prev + height[i]! + height[i + 1]!));
    }

    const moon = world.createBody();
    moon.createFixture({ shape: new EdgeShape(new Vec2(0, 0), new Vec2(W, 0)), density: 0, friction: BOX2D_DEFAULT_FRICTION });
    const skyPolys: number[][] = [];
    for (let i = 0; i < CHUNKS - 1; i++) {
      const p1: [number, number] = [chunkX[i]!, smoothY[i]!];
      const p2: [number, number] = [chunkX[i + 1]!, smoothY[i + 1]!];
      moon.createFixture({ shape: new EdgeShape(new Vec2(p1[0], p1[1]), new Vec2(p2[0], p2[1])), density: 0, friction: 0.1 });
      skyPolys.push([p1[0], p1[1], p2[0], p2[1], p2[0], H, p1[0], H]);
    }

    // Lander
    const initialY = VIEWPORT_H / SCALE;
    const initialX = VIEWPORT_W / SCALE / 2;
    const lander = world.createDynamicBody({ position: new Vec2(initialX, initialY), angle: 0.0 });
    const landerShape = new PolygonShape(LANDER_POLY.map(([x, y]) => new Vec2(x / SCALE, y / SCALE)));
    lander.createFixture({
      shape: landerShape,
      density: LANDER_DENSITY,
      friction: 0.1,
      filterCategoryBits: CATEGORY_LANDER,
      filterMaskBits: MASK_GROUND_ONLY,
      restitution: 0.0,
    });
    const m = polygonMass(landerShape.m_vertices, LANDER_DENSITY);
    lander.setMassData({ mass: m.mass, center: new Vec2(m.cx, m.cy), I: m.I });
    this.lander = lander;
    const fx = rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    const fy = rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    lander.applyForceToCenter(new Vec2(fx, fy), true);

    if (this.version === "v3" && this.options.enableWind) {
      // v3 redraws the wind offsets every reset, from the seeded generator (issue 954).
      this.windIdx = rng.integers(-9999, 9999);
      this.torqueIdx = rng.integers(-9999, 9999);
    }

    // Legs: legs[0] is i = -1 (to the right of the hull), legs[1] is i = +1.
    const legs: Body[] = [];
    const legShape = new BoxShape(LEG_W / SCALE, LEG_H / SCALE);
    for (const i of [-1, +1]) {
      const leg = world.createDynamicBody({ position: new Vec2(initialX - (i * LEG_AWAY) / SCALE, initialY), angle: i * 0.05 });
      leg.createFixture({
        shape: legShape,
        density: 1.0,
        friction: BOX2D_DEFAULT_FRICTION,
        restitution: 0.0,
        filterCategoryBits: CATEGORY_LEG,
        filterMaskBits: MASK_GROUND_ONLY,
      });
      world.createJoint(
        new RevoluteJoint({
          bodyA: lander,
          bodyB: leg,
          localAnchorA: new Vec2(0, 0),
          localAnchorB: new Vec2((i * LEG_AWAY) / SCALE, LEG_DOWN / SCALE),
          // pybox2d's revoluteJointDef(bodyA=, bodyB=) takes the bodies' angle
          // difference (the legs' ±0.05) as reference; with 0 instead the legs
          // reach their limits 8 steps late, visible in the fixtures as a kick.
          referenceAngle: i * 0.05,
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: LEG_SPRING_TORQUE,
          motorSpeed: +0.3 * i, // low enough not to jump back into the sky
          // The esoteric numbers of the original: angled legs travel within these.
          lowerAngle: i === -1 ? +0.9 - 0.5 : -0.9,
          upperAngle: i === -1 ? +0.9 : -0.9 + 0.5,
        }),
      );
      legs.push(leg);
    }
    this.legs = [legs[0]!, legs[1]!];

    world.on("begin-contact", (c: Contact) => this.contact(c, true));
    world.on("end-contact", (c: Contact) => this.contact(c, false));

    this.scene = {
      skyPolys,
      helipadX1,
      helipadX2,
      helipadY,
      bodies: [
        { body: lander, vertices: landerShape.m_vertices },
        { body: this.legs[0], vertices: legShape.m_vertices },
        { body: this.legs[1], vertices: legShape.m_vertices },
      ],
    };

    // Gymnasium's reset returns the observation of one no-op step.
    return { obs: this.step(this.options.continuous ? [0, 0] : 0).obs, info: {} };
  }

  /** Gymnasium's ContactDetector: hull contact ends the game; legs report ground contact. */
  private contact(c: Contact, begin: boolean): void {
    const a = c.getFixtureA().getBody();
    const b = c.getFixtureB().getBody();
    if (begin && (a === this.lander || b === this.lander)) this.gameOver = true;
    for (let i = 0; i < 2; i++) {
      const leg = this.legs![i];
      if (a === leg || b === leg) this.legContact[i] = begin;
    }
  }

  step(action: Action): StepResult<Float32Array> {
    const lander = this.lander;
    const world = this.world;
    if (!lander || !world) throw new Error(`${this.name}: call reset() before step()`);
    const { continuous, enableWind } = this.options;

    if (enableWind && !(this.legContact[0] || this.legContact[1])) {
      const windMag = windFunction(this.windIdx) * this.options.windPower;
      this.windIdx += 1;
      this.force.set(windMag, 0.0);
      lander.applyForceToCenter(this.force, true);
      const torqueMag = windFunction(this.torqueIdx) * this.options.turbulencePower;
      this.torqueIdx += 1;
      lander.applyTorque(torqueMag, true);
    }

    let mainThrottle: number;
    let lateral: number;
    if (continuous) {
      if (typeof action === "number" || action.length !== 2 || !Number.isFinite(action[0]) || !Number.isFinite(action[1])) {
        throw new RangeError(
          `${this.name}: action ${formatAction(action)} is not in the action space ${this.actionSpace.toString()}: it takes 2 finite numbers [main, lateral], clipped to [-1, 1]`,
        );
      }
      // Gymnasium clips continuous actions instead of rejecting them; 0.29 also
      // casts them to float32 (1.x keeps float64).
      mainThrottle = clip(action[0]!, -1, 1);
      lateral = clip(action[1]!, -1, 1);
      if (this.version === "v2") {
        mainThrottle = Math.fround(mainThrottle);
        lateral = Math.fround(lateral);
      }
    } else {
      assertAction(this.name, this.actionSpace, action);
      mainThrottle = 0;
      lateral = 0;
    }

    // Engines. tip: the hull's up direction; side: perpendicular to it.
    const angle = lander.getAngle();
    const tip0 = Math.sin(angle);
    const tip1 = Math.cos(angle);
    const side0 = -tip1;
    const side1 = tip0;
    // Drawn every step, firing or not: the stream stays aligned with Gymnasium's.
    const dispersion0 = this.rng!.uniform(-1.0, +1.0) / SCALE;
    const dispersion1 = this.rng!.uniform(-1.0, +1.0) / SCALE;
    const pos = lander.getPosition();

    let mPower = 0.0;
    if (continuous ? mainThrottle > 0.0 : action === 2) {
      mPower = continuous ? (clip(mainThrottle, 0.0, 1.0) + 1.0) * 0.5 : 1.0; // 0.5..1.0
      // MAIN_ENGINE_Y_LOCATION moves the nozzle a bit down, ±2 dispersion for randomness.
      const ox = tip0 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0) + side0 * dispersion1;
      const oy = -tip1 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0) - side1 * dispersion1;
      this.impulsePos.set(pos.x + ox, pos.y + oy);
      this.impulse.set(-ox * MAIN_ENGINE_POWER * mPower, -oy * MAIN_ENGINE_POWER * mPower);
      lander.applyLinearImpulse(this.impulse, this.impulsePos, true);
    }

    let sPower = 0.0;
    if (continuous ? Math.abs(lateral) > 0.5 : action === 1 || action === 3) {
      let direction: number;
      if (continuous) {
        direction = Math.sign(lateral);
        sPower = clip(Math.abs(lateral), 0.5, 1.0);
      } else {
        direction = (action as number) - 2; // 1 fires the left engine (pushes right), 3 the right
        sPower = 1.0;
      }
      const ox = tip0 * dispersion0 + side0 * (3 * dispersion1 + (direction * SIDE_ENGINE_AWAY) / SCALE);
      const oy = -tip1 * dispersion0 - side1 * (3 * dispersion1 + (direction * SIDE_ENGINE_AWAY) / SCALE);
      // Gymnasium's 17 (not SIDE_ENGINE_HEIGHT) makes the thrust point, and so the
      // torque, depend on the hull's orientation; kept for fidelity.
      this.impulsePos.set(pos.x + ox - (tip0 * 17) / SCALE, pos.y + oy + (tip1 * SIDE_ENGINE_HEIGHT) / SCALE);
      this.impulse.set(-ox * SIDE_ENGINE_POWER * sPower, -oy * SIDE_ENGINE_POWER * sPower);
      lander.applyLinearImpulse(this.impulse, this.impulsePos, true);
    }

    world.step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const p = lander.getPosition();
    const v = lander.getLinearVelocity();
    const s0 = (p.x - VIEWPORT_W / SCALE / 2) / (VIEWPORT_W / SCALE / 2);
    const s1 = (p.y - (H / 4 + LEG_DOWN / SCALE)) / (VIEWPORT_H / SCALE / 2);
    const s2 = (v.x * (VIEWPORT_W / SCALE / 2)) / FPS;
    const s3 = (v.y * (VIEWPORT_H / SCALE / 2)) / FPS;
    const s4 = lander.getAngle();
    const s5 = (20.0 * lander.getAngularVelocity()) / FPS;
    const s6 = this.legContact[0] ? 1.0 : 0.0;
    const s7 = this.legContact[1] ? 1.0 : 0.0;
    const obs = this.obs;
    obs[0] = s0;
    obs[1] = s1;
    obs[2] = s2;
    obs[3] = s3;
    obs[4] = s4;
    obs[5] = s5;
    obs[6] = s6;
    obs[7] = s7;

    // Shaping from the float64 state, as Gymnasium computes it before the float32 cast.
    // Ten points per leg contact: losing contact after landing costs them again.
    const shaping = -100 * Math.sqrt(s0 * s0 + s1 * s1) - 100 * Math.sqrt(s2 * s2 + s3 * s3) - 100 * Math.abs(s4) + 10 * s6 + 10 * s7;
    let reward = 0;
    if (this.prevShaping !== null) reward = shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward -= mPower * 0.3; // less fuel spent is better, about -30 for a heuristic landing
    reward -= sPower * 0.03;

    let terminated = false;
    if (this.gameOver || Math.abs(s0) >= 1.0) {
      terminated = true;
      reward = -100;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = +100;
    }
    return { obs, reward, terminated, truncated: false, info: {} };
  }

  /** The 600×400 human view: black sky above the moon's surface, helipad flags, lander and legs. */
  render(): RenderFrame {
    const scene = this.scene;
    if (!scene) throw new Error(`${this.name}: call reset() before render()`);
    const r = new Raster(VIEWPORT_W, VIEWPORT_H);
    // pygame draws with y up in world pixels and flips the surface; map directly instead.
    const toPixels = (world: readonly number[]) => world.map((v, i) => (i % 2 === 0 ? v * SCALE : VIEWPORT_H - v * SCALE));
    r.fill(WHITE);
    for (const poly of scene.skyPolys) r.fillPolygon(toPixels(poly), BLACK);
    for (const { body, vertices } of scene.bodies) {
      const t = body.getTransform();
      const path = toPixels(vertices.flatMap((v) => [t.p.x + t.q.c * v.x - t.q.s * v.y, t.p.y + t.q.s * v.x + t.q.c * v.y]));
      r.fillPolygon(path, LANDER_COLOR1);
      r.outline(path, LANDER_COLOR2);
    }
    for (const x of [scene.helipadX1, scene.helipadX2]) {
      const flagY1 = scene.helipadY * SCALE;
      const flagY2 = flagY1 + 50;
      const X = x * SCALE;
      const Y = (y: number) => VIEWPORT_H - y;
      r.line(X, Y(flagY1), X, Y(flagY2), WHITE);
      r.fillPolygon([X, Y(flagY2), X, Y(flagY2 - 10), X + 25, Y(flagY2 - 5)], FLAG_COLOR);
    }
    return r;
  }

  close(): void {
    this.world = undefined;
    this.lander = undefined;
    this.legs = undefined;
    this.scene = undefined;
  }
}
