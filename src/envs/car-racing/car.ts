/**
 * The car of Gymnasium's `car_dynamics.py` (Oleg Klimov's top-down model after
 * iforce2d): a four-fixture hull, four wheels on motorised revolute joints with
 * ±0.4 rad limits (the front two steer), rear-wheel drive with a gas ramp,
 * brakes that lock the wheels at ≥ 0.9, and per-wheel tyre friction that is
 * higher while the wheel touches any road tile. Box2D is planck.js.
 *
 * Same constants, same operation order. Skid-mark particles are kept for the
 * 600×400 `render()` only (they never reach the state pixels, which Gymnasium
 * draws without particles).
 */
import { type Body, PolygonShape, Vec2, type World } from "planck";
import { polygonMass } from "../box2d.js";
import { FastRevoluteJoint } from "../box2d-revolute-joint.js";

export const SIZE = 0.02;
const ENGINE_POWER = 100000000 * SIZE * SIZE;
const WHEEL_MOMENT_OF_INERTIA = 4000 * SIZE * SIZE;
const FRICTION_LIMIT = 1000000 * SIZE * SIZE; // friction ~= mass ~= size^2 (calculated implicitly using density)
export const WHEEL_R = 27;
export const WHEEL_W = 14;
const WHEELPOS: readonly (readonly [number, number])[] = [
  [-55, +80],
  [+55, +80],
  [-55, -82],
  [+55, -82],
];
export const HULL_POLYS: readonly (readonly (readonly [number, number])[])[] = [
  [
    [-60, +130],
    [+60, +130],
    [+60, +110],
    [-60, +110],
  ],
  [
    [-15, +120],
    [+15, +120],
    [+20, +20],
    [-20, 20],
  ],
  [
    [+25, +20],
    [+50, -10],
    [+50, -40],
    [+20, -90],
    [-20, -90],
    [-50, -40],
    [-50, -10],
    [-25, +20],
  ],
  [
    [-50, -120],
    [+50, -120],
    [+50, -90],
    [-50, -90],
  ],
];
const WHEEL_POLY: readonly (readonly [number, number])[] = [
  [-WHEEL_W, +WHEEL_R],
  [+WHEEL_W, +WHEEL_R],
  [+WHEEL_W, -WHEEL_R],
  [-WHEEL_W, -WHEEL_R],
];
const BRAKE_FORCE = 15; // radians per second
const FRICTION_COEF = 205000 * SIZE * SIZE;

/** b2Body::ResetMassData over the given fixtures' shapes. */
function setMass(body: Body, shapes: readonly PolygonShape[], density: number): void {
  let mass = 0;
  let cx = 0;
  let cy = 0;
  let I = 0;
  for (const s of shapes) {
    const m = polygonMass(s.m_vertices, density);
    mass += m.mass;
    cx += m.mass * m.cx;
    cy += m.mass * m.cy;
    I += m.I;
  }
  cx *= 1 / mass;
  cy *= 1 / mass;
  body.setMassData({ mass, center: new Vec2(cx, cy), I });
}

export interface Wheel {
  body: Body;
  joint: FastRevoluteJoint;
  wheelRad: number;
  gas: number;
  brake: number;
  steer: number;
  /** Wheel angle. */
  phase: number;
  /** Angular velocity. */
  omega: number;
  /** Road tiles currently touched (Gymnasium's `tiles` set; only its emptiness matters). */
  tiles: number;
  skidStart: Vec2 | null;
  skidParticle: Particle | null;
}

export interface Particle {
  grass: boolean;
  /** Flat x, y list. */
  poly: number[];
}

/** Marks a wheel body for the contact listener. */
export interface WheelTag {
  wheel: number;
}

export class Car {
  readonly hull: Body;
  readonly wheels: Wheel[] = [];
  readonly hullShapes: PolygonShape[];
  readonly wheelShape: PolygonShape;
  readonly particles: Particle[] = [];
  fuelSpent = 0.0;
  /** Skid marks are only needed for `render()`; off while only stepping. */
  trackParticles = true;
  private readonly force = new Vec2(0, 0);

  constructor(world: World, initAngle: number, initX: number, initY: number) {
    this.hull = world.createDynamicBody({ position: new Vec2(initX, initY), angle: initAngle });
    this.hullShapes = HULL_POLYS.map((poly) => new PolygonShape(poly.map(([x, y]) => new Vec2(x * SIZE, y * SIZE))));
    for (const shape of this.hullShapes) this.hull.createFixture({ shape, density: 1.0 });
    setMass(this.hull, this.hullShapes, 1.0);
    const frontK = 1.0;
    this.wheelShape = new PolygonShape(WHEEL_POLY.map(([x, y]) => new Vec2(x * frontK * SIZE, y * frontK * SIZE)));
    WHEELPOS.forEach(([wx, wy], i) => {
      // Gymnasium places the wheels at unrotated offsets; the joints pull them into place.
      const body = world.createDynamicBody({ position: new Vec2(initX + wx * SIZE, initY + wy * SIZE), angle: initAngle });
      body.createFixture({
        shape: this.wheelShape,
        density: 0.1,
        filterCategoryBits: 0x0020,
        filterMaskBits: 0x001,
        restitution: 0.0,
      });
      setMass(body, [this.wheelShape], 0.1);
      body.setUserData({ wheel: i } satisfies WheelTag);
      const joint = world.createJoint(
        new FastRevoluteJoint({
          bodyA: this.hull,
          bodyB: body,
          localAnchorA: new Vec2(wx * SIZE, wy * SIZE),
          localAnchorB: new Vec2(0, 0),
          referenceAngle: 0,
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: 180 * 900 * SIZE * SIZE,
          motorSpeed: 0,
          lowerAngle: -0.4,
          upperAngle: +0.4,
        }),
      )!;
      this.wheels.push({
        body,
        joint,
        wheelRad: frontK * WHEEL_R * SIZE,
        gas: 0.0,
        brake: 0.0,
        steer: 0.0,
        phase: 0.0,
        omega: 0.0,
        tiles: 0,
        skidStart: null,
        skidParticle: null,
      });
    });
  }

  /** Control: rear-wheel drive; ramps up by at most 0.1 per step, drops at once. */
  gas(gas: number): void {
    gas = gas < 0 ? 0 : gas > 1 ? 1 : gas;
    for (let i = 2; i < 4; i++) {
      const w = this.wheels[i]!;
      let diff = gas - w.gas;
      if (diff > 0.1) diff = 0.1; // gradually increase, but stop immediately
      w.gas += diff;
    }
  }

  /** Control: brake (0..1); ≥ 0.9 blocks the wheels. */
  brake(b: number): void {
    for (const w of this.wheels) w.brake = b;
  }

  /** Control: steering target (-1..1) of the front wheels. */
  steer(s: number): void {
    this.wheels[0]!.steer = s;
    this.wheels[1]!.steer = s;
  }

  step(dt: number): void {
    for (const w of this.wheels) {
      // Steer each wheel
      const jointAngle = w.joint.getJointAngle();
      const d = w.steer - jointAngle;
      const dir = d > 0 ? 1 : d < 0 ? -1 : 0;
      const val = Math.abs(d);
      w.joint.setMotorSpeed(dir * Math.min(50.0 * val, 3.0));

      // Position => friction_limit
      const grass = w.tiles === 0;
      const frictionLimit = grass ? FRICTION_LIMIT * 0.6 : Math.max(FRICTION_LIMIT * 0.6, FRICTION_LIMIT * 1.0);

      // Force
      const body = w.body;
      // GetWorldVector((0, 1)) and ((1, 0)): the body's rotation columns.
      const rot = (body as unknown as { m_xf: { q: { s: number; c: number } } }).m_xf.q;
      const forw0 = -rot.s;
      const forw1 = rot.c;
      const side0 = rot.c;
      const side1 = rot.s;
      const v = body.getLinearVelocity();
      const vf = forw0 * v.x + forw1 * v.y; // forward speed
      const vs = side0 * v.x + side1 * v.y; // side speed

      // add small coef not to divide by zero
      w.omega += (dt * ENGINE_POWER * w.gas) / WHEEL_MOMENT_OF_INERTIA / (Math.abs(w.omega) + 5.0);
      this.fuelSpent += dt * ENGINE_POWER * w.gas;

      if (w.brake >= 0.9) {
        w.omega = 0;
      } else if (w.brake > 0) {
        const bdir = w.omega > 0 ? -1 : w.omega < 0 ? 1 : 0;
        let bval = BRAKE_FORCE * w.brake;
        if (Math.abs(bval) > Math.abs(w.omega)) bval = Math.abs(w.omega); // low speed => same as = 0
        w.omega += bdir * bval;
      }
      w.phase += w.omega * dt;

      const vr = w.omega * w.wheelRad; // rotating wheel speed
      let fForce = -vf + vr; // force direction is direction of speed difference
      let pForce = -vs;
      // Random coefficient to cut oscillations in few steps (have no effect on friction_limit)
      fForce *= FRICTION_COEF;
      pForce *= FRICTION_COEF;
      let force = Math.sqrt(fForce * fForce + pForce * pForce);

      if (this.trackParticles) this.skid(w, force, frictionLimit, grass);

      if (Math.abs(force) > frictionLimit) {
        fForce /= force;
        pForce /= force;
        force = frictionLimit; // Correct physics here
        fForce *= force;
        pForce *= force;
      }

      w.omega -= (dt * fForce * w.wheelRad) / WHEEL_MOMENT_OF_INERTIA;

      this.force.x = pForce * side0 + fForce * forw0;
      this.force.y = pForce * side1 + fForce * forw1;
      body.applyForceToCenter(this.force, true);
    }
  }

  /** Skid trace, as Gymnasium's: polylines of up to 30 points, 30 marks kept. */
  private skid(w: Wheel, force: number, frictionLimit: number, grass: boolean): void {
    const p = w.body.getPosition();
    if (Math.abs(force) > 2.0 * frictionLimit) {
      if (w.skidParticle && w.skidParticle.grass === grass && w.skidParticle.poly.length < 60) {
        w.skidParticle.poly.push(p.x, p.y);
      } else if (w.skidStart === null) {
        w.skidStart = new Vec2(p.x, p.y);
      } else {
        const particle: Particle = { grass, poly: [w.skidStart.x, w.skidStart.y, p.x, p.y] };
        this.particles.push(particle);
        while (this.particles.length > 30) this.particles.shift();
        w.skidParticle = particle;
        w.skidStart = null;
      }
    } else {
      w.skidStart = null;
      w.skidParticle = null;
    }
  }
}
