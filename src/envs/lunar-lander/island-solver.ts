/**
 * planck 1.3.0's `Solver.solveIsland` with a faster velocity phase, bit-identical to
 * planck's (checked step by step against the stock solver in the tests).
 *
 * Gymnasium steps Box2D with 180 velocity iterations, so for the lander's island (hull,
 * two leg joints, a few ground contacts) the velocity phase is most of the work. Here
 * it runs on packed arrays, and for the lander's shape on local variables, with the
 * same floating-point operations in the same order as planck's `RevoluteJoint` and
 * `Contact` solves; the only values hoisted out of the loop are the ones planck
 * recomputes from constants every iteration (the joint's 3×3 and 2×2 determinants).
 *
 * The iterations also stop at a floating-point fixed point: each iteration is a pure
 * function of the body velocities and the constraints' accumulated impulses, so once
 * a whole iteration leaves all of them unchanged, every later one would too, and
 * stopping gives the same bits as running all 180. (Equality is `===`, so a value
 * flipping between +0 and −0 counts as unchanged; that can only change the sign of an
 * exact zero.) In free flight the legs' motors push against their limits and the
 * impulses drift slowly, so many steps still run all 180 iterations.
 *
 * The rest is planck's arithmetic, operation for operation (integration, position
 * iterations, sleeping). It is installed per world (`installIslandSolver`), never on
 * planck's prototype, so other planck users are unaffected. Islands with constraints
 * other than revolute joints and contacts fall back to planck's own solves.
 */
import type { TimeStep, World } from "planck";

/** The planck internals the solve touches (not part of planck's public types). */
interface V2 {
  x: number;
  y: number;
}
interface IslandBody {
  m_sweep: { c: V2; a: number; c0: V2; a0: number };
  m_linearVelocity: V2;
  m_angularVelocity: number;
  m_gravityScale: number;
  m_invMass: number;
  m_invI: number;
  m_force: V2;
  m_torque: number;
  m_linearDamping: number;
  m_angularDamping: number;
  m_autoSleepFlag: boolean;
  m_sleepTime: number;
  c_position: { c: V2; a: number };
  c_velocity: { v: V2; w: number };
  isDynamic(): boolean;
  isStatic(): boolean;
  synchronizeTransform(): void;
  setAwake(flag: boolean): void;
}
interface ContactPoint {
  rA: V2;
  rB: V2;
  normalImpulse: number;
  tangentImpulse: number;
  normalMass: number;
  tangentMass: number;
  velocityBias: number;
}
interface Mat22 {
  ex: V2;
  ey: V2;
}
interface IslandContact {
  m_fixtureA: { m_body: IslandBody };
  m_fixtureB: { m_body: IslandBody };
  v_pointCount: number;
  v_points: ContactPoint[];
  v_normal: V2;
  v_friction: number;
  v_tangentSpeed: number;
  v_invMassA: number;
  v_invMassB: number;
  v_invIA: number;
  v_invIB: number;
  v_K: Mat22;
  v_normalMass: Mat22;
  initConstraint(step: TimeStep): void;
  initVelocityConstraint(step: TimeStep): void;
  warmStartConstraint(step: TimeStep): void;
  solveVelocityConstraint(step: TimeStep): void;
  storeConstraintImpulses(step: TimeStep): void;
  solvePositionConstraint(step: TimeStep): number;
}
interface V3 {
  x: number;
  y: number;
  z: number;
}
/** A revolute joint's velocity-solver state and constants (planck's RevoluteJoint fields). */
interface IslandJoint {
  m_bodyA: IslandBody;
  m_bodyB: IslandBody;
  m_impulse?: V3;
  m_motorImpulse?: number;
  m_invMassA: number;
  m_invMassB: number;
  m_invIA: number;
  m_invIB: number;
  m_rA: V2;
  m_rB: V2;
  m_mass: { ex: V3; ey: V3; ez: V3 };
  m_motorMass: number;
  m_motorSpeed: number;
  m_maxMotorTorque: number;
  m_enableMotor: boolean;
  m_enableLimit: boolean;
  m_limitState: number;
  initVelocityConstraints(step: TimeStep): void;
  solveVelocityConstraints(step: TimeStep): void;
  solvePositionConstraints(step: TimeStep): boolean;
}
interface IslandSolver {
  m_world: { m_gravity: V2; m_allowSleep: boolean };
  m_bodies: IslandBody[];
  m_contacts: IslandContact[];
  m_joints: IslandJoint[];
  postSolveIsland(): void;
  solveIsland(step: TimeStep): void;
}
interface StepSettings {
  dt: number;
  velocityIterations: number;
  positionIterations: number;
  warmStarting: boolean;
  blockSolve: boolean;
}

// planck's Settings defaults (lengthUnitsPerMeter = 1), as SettingsInternal derives them.
const LINEAR_SLOP = 0.005;
const MAX_TRANSLATION = 2.0;
const MAX_TRANSLATION_SQUARED = MAX_TRANSLATION * MAX_TRANSLATION;
const MAX_ROTATION = 0.5 * Math.PI;
const MAX_ROTATION_SQUARED = MAX_ROTATION * MAX_ROTATION;
const TIME_TO_SLEEP = 0.5;
const LINEAR_SLEEP_TOLERANCE = 0.01;
const LINEAR_SLEEP_TOLERANCE_SQR = LINEAR_SLEEP_TOLERANCE * LINEAR_SLEEP_TOLERANCE;
const ANGULAR_SLEEP_TOLERANCE = (2 / 180) * Math.PI;
const ANGULAR_SLEEP_TOLERANCE_SQR = ANGULAR_SLEEP_TOLERANCE * ANGULAR_SLEEP_TOLERANCE;

// planck's LimitState values.
const AT_LOWER_LIMIT = 1;
const AT_UPPER_LIMIT = 2;
const EQUAL_LIMITS = 3;

/** Per-joint constants in `jc`, see `packJoint`. */
const JS = 29;
/** Iterations between fixed-point checks. */
const CHECK_EVERY = 4;
/** Per-contact constants in `cc`, see `packContact`. */
const CS = 34;

/** Packed velocity-solver state: body velocities, then 4 joint impulses per joint, then 4 contact impulses per contact. */
let st = new Float64Array(64);
let prev = new Float64Array(64);
let jc = new Float64Array(JS * 4);
let cc = new Float64Array(CS * 8);

function bodyOffset(bodies: IslandBody[], body: IslandBody): number {
  for (let i = 0; i < bodies.length; i++) if (bodies[i] === body) return 3 * i;
  throw new Error("island solver: constraint body outside the island");
}

function packJoint(j: IslandJoint, bodies: IslandBody[], o: number, step: StepSettings): void {
  const iA = j.m_invIA;
  const iB = j.m_invIB;
  const fixedRotation = iA + iB === 0.0;
  const K = j.m_mass;
  jc[o] = bodyOffset(bodies, j.m_bodyA);
  jc[o + 1] = bodyOffset(bodies, j.m_bodyB);
  jc[o + 2] = j.m_invMassA;
  jc[o + 3] = j.m_invMassB;
  jc[o + 4] = iA;
  jc[o + 5] = iB;
  jc[o + 6] = j.m_rA.x;
  jc[o + 7] = j.m_rA.y;
  jc[o + 8] = j.m_rB.x;
  jc[o + 9] = j.m_rB.y;
  jc[o + 10] = K.ex.x;
  jc[o + 11] = K.ex.y;
  jc[o + 12] = K.ex.z;
  jc[o + 13] = K.ey.x;
  jc[o + 14] = K.ey.y;
  jc[o + 15] = K.ey.z;
  jc[o + 16] = K.ez.x;
  jc[o + 17] = K.ez.y;
  jc[o + 18] = K.ez.z;
  jc[o + 19] = j.m_enableMotor && j.m_limitState !== EQUAL_LIMITS && !fixedRotation ? 1 : 0;
  jc[o + 20] = j.m_motorMass;
  jc[o + 21] = j.m_motorSpeed;
  jc[o + 22] = step.dt * j.m_maxMotorTorque;
  // 0: point-to-point only; otherwise the limit state (lower, upper, equal).
  jc[o + 23] = j.m_enableLimit && j.m_limitState !== 0 && !fixedRotation ? j.m_limitState : 0;
  // The parts of Mat33.solve33/solve22 that depend only on K, computed once per step
  // with planck's expressions: the first cofactor column (ey × ez), 1/det33 and 1/det22.
  const cx = K.ey.y * K.ez.z - K.ey.z * K.ez.y;
  const cy = K.ey.z * K.ez.x - K.ey.x * K.ez.z;
  const cz = K.ey.x * K.ez.y - K.ey.y * K.ez.x;
  let det = K.ex.x * cx + K.ex.y * cy + K.ex.z * cz;
  if (det !== 0.0) det = 1.0 / det;
  let d = K.ex.x * K.ey.y - K.ey.x * K.ex.y;
  if (d !== 0.0) d = 1.0 / d;
  jc[o + 24] = cx;
  jc[o + 25] = cy;
  jc[o + 26] = cz;
  jc[o + 27] = det;
  jc[o + 28] = d;
}

function packContact(c: IslandContact, bodies: IslandBody[], o: number, step: StepSettings): void {
  cc[o] = bodyOffset(bodies, c.m_fixtureA.m_body);
  cc[o + 1] = bodyOffset(bodies, c.m_fixtureB.m_body);
  cc[o + 2] = c.v_invMassA;
  cc[o + 3] = c.v_invIA;
  cc[o + 4] = c.v_invMassB;
  cc[o + 5] = c.v_invIB;
  cc[o + 6] = c.v_normal.x;
  cc[o + 7] = c.v_normal.y;
  cc[o + 8] = c.v_friction;
  cc[o + 9] = c.v_tangentSpeed;
  const n = c.v_pointCount;
  cc[o + 10] = n;
  cc[o + 11] = n === 2 && step.blockSolve ? 1 : 0;
  for (let p = 0; p < n; p++) {
    const vcp = c.v_points[p]!;
    const q = o + 12 + 7 * p;
    cc[q] = vcp.rA.x;
    cc[q + 1] = vcp.rA.y;
    cc[q + 2] = vcp.rB.x;
    cc[q + 3] = vcp.rB.y;
    cc[q + 4] = vcp.normalMass;
    cc[q + 5] = vcp.tangentMass;
    cc[q + 6] = vcp.velocityBias;
  }
  cc[o + 26] = c.v_K.ex.x;
  cc[o + 27] = c.v_K.ex.y;
  cc[o + 28] = c.v_K.ey.x;
  cc[o + 29] = c.v_K.ey.y;
  cc[o + 30] = c.v_normalMass.ex.x;
  cc[o + 31] = c.v_normalMass.ex.y;
  cc[o + 32] = c.v_normalMass.ey.x;
  cc[o + 33] = c.v_normalMass.ey.y;
}

/** planck's `Contact.solveVelocityConstraint` (friction, then normal: one point or the 2-point block solver). */
function solveContact(st: Float64Array, cc: Float64Array, o: number, s: number): void {
  const a = cc[o]!;
  const b = cc[o + 1]!;
  const mA = cc[o + 2]!;
  const iA = cc[o + 3]!;
  const mB = cc[o + 4]!;
  const iB = cc[o + 5]!;
  let vAx = st[a]!;
  let vAy = st[a + 1]!;
  let wA = st[a + 2]!;
  let vBx = st[b]!;
  let vBy = st[b + 1]!;
  let wB = st[b + 2]!;
  const nx = cc[o + 6]!;
  const ny = cc[o + 7]!;
  // tangent = cross(normal, 1.0)
  const tx = 1 * ny;
  const ty = -1 * nx;
  const friction = cc[o + 8]!;
  const tangentSpeed = cc[o + 9]!;
  const pointCount = cc[o + 10]!;

  // Tangent constraints first: non-penetration matters more than friction.
  for (let j = 0; j < pointCount; ++j) {
    const q = o + 12 + 7 * j;
    const rAx = cc[q]!;
    const rAy = cc[q + 1]!;
    const rBx = cc[q + 2]!;
    const rBy = cc[q + 3]!;
    const dvx = 0 + vBx + -wB * rBy - vAx - -wA * rAy;
    const dvy = 0 + vBy + wB * rBx - vAy - wA * rAx;
    const vt = dvx * tx + dvy * ty - tangentSpeed;
    let lambda = cc[q + 5]! * -vt;
    const maxFriction = friction * st[s + 2 * j]!;
    const old = st[s + 2 * j + 1]!;
    const sum = old + lambda;
    const newImpulse = sum < -maxFriction ? -maxFriction : sum > maxFriction ? maxFriction : sum;
    lambda = newImpulse - old;
    st[s + 2 * j + 1] = newImpulse;
    const Px = lambda * tx;
    const Py = lambda * ty;
    vAx -= mA * Px;
    vAy -= mA * Py;
    wA -= iA * (rAx * Py - rAy * Px);
    vBx += mB * Px;
    vBy += mB * Py;
    wB += iB * (rBx * Py - rBy * Px);
  }

  if (cc[o + 11] === 0) {
    for (let j = 0; j < pointCount; ++j) {
      const q = o + 12 + 7 * j;
      const rAx = cc[q]!;
      const rAy = cc[q + 1]!;
      const rBx = cc[q + 2]!;
      const rBy = cc[q + 3]!;
      const dvx = 0 + vBx + -wB * rBy - vAx - -wA * rAy;
      const dvy = 0 + vBy + wB * rBx - vAy - wA * rAx;
      const vn = dvx * nx + dvy * ny;
      let lambda = -cc[q + 4]! * (vn - cc[q + 6]!);
      const old = st[s + 2 * j]!;
      const newImpulse = Math.max(old + lambda, 0);
      lambda = newImpulse - old;
      st[s + 2 * j] = newImpulse;
      const Px = lambda * nx;
      const Py = lambda * ny;
      vAx -= mA * Px;
      vAy -= mA * Py;
      wA -= iA * (rAx * Py - rAy * Px);
      vBx += mB * Px;
      vBy += mB * Py;
      wB += iB * (rBx * Py - rBy * Px);
    }
  } else {
    // Block solver (Box2D's b2ContactSolver, "Solve 2-by-2 LCP").
    const q1 = o + 12;
    const q2 = o + 19;
    const r1Ax = cc[q1]!;
    const r1Ay = cc[q1 + 1]!;
    const r1Bx = cc[q1 + 2]!;
    const r1By = cc[q1 + 3]!;
    const r2Ax = cc[q2]!;
    const r2Ay = cc[q2 + 1]!;
    const r2Bx = cc[q2 + 2]!;
    const r2By = cc[q2 + 3]!;
    const ax = st[s]!;
    const ay = st[s + 2]!;
    const dv1x = 0 + vBx + -wB * r1By - vAx - -wA * r1Ay;
    const dv1y = 0 + vBy + wB * r1Bx - vAy - wA * r1Ax;
    const dv2x = 0 + vBx + -wB * r2By - vAx - -wA * r2Ay;
    const dv2y = 0 + vBy + wB * r2Bx - vAy - wA * r2Ax;
    let vn1 = dv1x * nx + dv1y * ny;
    let vn2 = dv2x * nx + dv2y * ny;
    const kexx = cc[o + 26]!;
    const kexy = cc[o + 27]!;
    const keyx = cc[o + 28]!;
    const keyy = cc[o + 29]!;
    let bx = vn1 - cc[q1 + 6]!;
    let by = vn2 - cc[q2 + 6]!;
    bx -= kexx * ax + keyx * ay;
    by -= kexy * ax + keyy * ay;
    let xx = 0;
    let xy = 0;
    let solved = false;
    for (;;) {
      // Case 1: both constraints active.
      xx = -(cc[o + 30]! * bx + cc[o + 32]! * by);
      xy = -(cc[o + 31]! * bx + cc[o + 33]! * by);
      if (xx >= 0 && xy >= 0) {
        solved = true;
        break;
      }
      // Case 2: only the first.
      xx = -cc[q1 + 4]! * bx;
      xy = 0;
      vn1 = 0;
      vn2 = kexy * xx + by;
      if (xx >= 0 && vn2 >= 0) {
        solved = true;
        break;
      }
      // Case 3: only the second.
      xx = 0;
      xy = -cc[q2 + 4]! * by;
      vn1 = keyx * xy + bx;
      vn2 = 0;
      if (xy >= 0 && vn1 >= 0) {
        solved = true;
        break;
      }
      // Case 4: neither.
      xx = 0;
      xy = 0;
      vn1 = bx;
      vn2 = by;
      if (vn1 >= 0 && vn2 >= 0) solved = true;
      break;
    }
    if (solved) {
      const dx = xx - ax;
      const dy = xy - ay;
      const P1x = dx * nx;
      const P1y = dx * ny;
      const P2x = dy * nx;
      const P2y = dy * ny;
      vAx = -mA * P1x + -mA * P2x + 1 * vAx;
      vAy = -mA * P1y + -mA * P2y + 1 * vAy;
      wA -= iA * (r1Ax * P1y - r1Ay * P1x + (r2Ax * P2y - r2Ay * P2x));
      vBx = mB * P1x + mB * P2x + 1 * vBx;
      vBy = mB * P1y + mB * P2y + 1 * vBy;
      wB += iB * (r1Bx * P1y - r1By * P1x + (r2Bx * P2y - r2By * P2x));
      st[s] = xx;
      st[s + 2] = xy;
    }
  }
  st[a] = vAx;
  st[a + 1] = vAy;
  st[a + 2] = wA;
  st[b] = vBx;
  st[b + 1] = vBy;
  st[b + 2] = wB;
}

/**
 * The lander's velocity iterations: hull, two legs and their two revolute joints held
 * in local variables (planck's `RevoluteJoint.solveVelocityConstraints`, written out
 * once per joint, same operations in the same order), ground contacts solved on the
 * packed arrays (`solveContact`). `jc` holds joints 0 and 1, `st` the velocities at
 * `hull`, `leg0`, `leg1`, the joint impulses at `jo` and `nc` contacts' impulses at `co`.
 */
function solveHullAndLegs(
  st: Float64Array,
  jc: Float64Array,
  cc: Float64Array,
  before: Float64Array,
  hull: number,
  leg0: number,
  leg1: number,
  jo: number,
  co: number,
  nc: number,
  iterations: number,
): void {
  const mA0 = jc[0+2]!;
  const mB0 = jc[0+3]!;
  const iA0 = jc[0+4]!;
  const iB0 = jc[0+5]!;
  const rAx0 = jc[0+6]!;
  const rAy0 = jc[0+7]!;
  const rBx0 = jc[0+8]!;
  const rBy0 = jc[0+9]!;
  const exx0 = jc[0+10]!;
  const exy0 = jc[0+11]!;
  const exz0 = jc[0+12]!;
  const eyx0 = jc[0+13]!;
  const eyy0 = jc[0+14]!;
  const eyz0 = jc[0+15]!;
  const ezx0 = jc[0+16]!;
  const ezy0 = jc[0+17]!;
  const ezz0 = jc[0+18]!;
  const motor0 = jc[0+19] === 1;
  const motorMass0 = jc[0+20]!;
  const motorSpeed0 = jc[0+21]!;
  const maxImpulse0 = jc[0+22]!;
  const limit0 = jc[0+23]!;
  const cof0x = jc[0+24]!;
  const cof0y = jc[0+25]!;
  const cof0z = jc[0+26]!;
  const det0 = jc[0+27]!;
  const d0 = jc[0+28]!;
  const mA1 = jc[29+2]!;
  const mB1 = jc[29+3]!;
  const iA1 = jc[29+4]!;
  const iB1 = jc[29+5]!;
  const rAx1 = jc[29+6]!;
  const rAy1 = jc[29+7]!;
  const rBx1 = jc[29+8]!;
  const rBy1 = jc[29+9]!;
  const exx1 = jc[29+10]!;
  const exy1 = jc[29+11]!;
  const exz1 = jc[29+12]!;
  const eyx1 = jc[29+13]!;
  const eyy1 = jc[29+14]!;
  const eyz1 = jc[29+15]!;
  const ezx1 = jc[29+16]!;
  const ezy1 = jc[29+17]!;
  const ezz1 = jc[29+18]!;
  const motor1 = jc[29+19] === 1;
  const motorMass1 = jc[29+20]!;
  const motorSpeed1 = jc[29+21]!;
  const maxImpulse1 = jc[29+22]!;
  const limit1 = jc[29+23]!;
  const cof1x = jc[29+24]!;
  const cof1y = jc[29+25]!;
  const cof1z = jc[29+26]!;
  const det1 = jc[29+27]!;
  const d1 = jc[29+28]!;
  let hX = st[hull]!;
  let hY = st[hull + 1]!;
  let hW = st[hull + 2]!;
  let l0X = st[leg0]!;
  let l0Y = st[leg0 + 1]!;
  let l0W = st[leg0 + 2]!;
  let l1X = st[leg1]!;
  let l1Y = st[leg1 + 1]!;
  let l1W = st[leg1 + 2]!;
  let x0 = st[jo]!;
  let y0 = st[jo + 1]!;
  let z0 = st[jo + 2]!;
  let m0 = st[jo + 3]!;
  let x1 = st[jo + 4]!;
  let y1 = st[jo + 5]!;
  let z1 = st[jo + 6]!;
  let m1 = st[jo + 7]!;
  for (let it = 0; it < iterations; ++it) {
    const check = it % CHECK_EVERY === CHECK_EVERY - 1;
    const s0 = hX, s1 = hY, s2 = hW, s3 = l0X, s4 = l0Y, s5 = l0W, s6 = l1X, s7 = l1Y, s8 = l1W;
    const s9 = x0, s10 = y0, s11 = z0, s12 = m0, s13 = x1, s14 = y1, s15 = z1, s16 = m1;
      {
        // Joint 0: bodyA = hull, bodyB = leg 0.
        let vAx = hX;
        let vAy = hY;
        let wA = hW;
        let vBx = l0X;
        let vBy = l0Y;
        let wB = l0W;
        if (motor0) {
          const Cdot = wB - wA - motorSpeed0;
          let impulse = -motorMass0 * Cdot;
          const oldImpulse = m0;
          const sum = oldImpulse + impulse;
          m0 = sum < -maxImpulse0 ? -maxImpulse0 : sum > maxImpulse0 ? maxImpulse0 : sum;
          impulse = m0 - oldImpulse;
          wA -= iA0 * impulse;
          wB += iB0 * impulse;
        }
        const c1x = 0 + (vBx + -wB * rBy0) - (vAx + -wA * rAy0);
        const c1y = 0 + (vBy + wB * rBx0) - (vAy + wA * rAx0);
        let px: number;
        let py: number;
        let pz = 0;
        if (limit0 !== 0) {
          const c2 = wB - wA;
          px = -(det0 * (c1x * cof0x + c1y * cof0y + c2 * cof0z));
          let cx = c1y * ezz0 - c2 * ezy0;
          let cy = c2 * ezx0 - c1x * ezz0;
          let cz = c1x * ezy0 - c1y * ezx0;
          py = -(det0 * (exx0 * cx + exy0 * cy + exz0 * cz));
          cx = eyy0 * c2 - eyz0 * c1y;
          cy = eyz0 * c1x - eyx0 * c2;
          cz = eyx0 * c1y - eyy0 * c1x;
          pz = -(det0 * (exx0 * cx + exy0 * cy + exz0 * cz));
          const newImpulse = z0 + pz;
          if (limit0 !== EQUAL_LIMITS && (limit0 === AT_LOWER_LIMIT ? newImpulse < 0.0 : limit0 === AT_UPPER_LIMIT && newImpulse > 0.0)) {
            const rx = -1 * c1x + z0 * ezx0;
            const ry = -1 * c1y + z0 * ezy0;
            px = d0 * (eyy0 * rx - eyx0 * ry);
            py = d0 * (exx0 * ry - exy0 * rx);
            pz = -z0;
            x0 += px;
            y0 += py;
            z0 = 0.0;
          } else {
            x0 += px;
            y0 += py;
            z0 = newImpulse;
          }
          vAx -= mA0 * px;
          vAy -= mA0 * py;
          wA -= iA0 * (rAx0 * py - rAy0 * px + pz);
          vBx += mB0 * px;
          vBy += mB0 * py;
          wB += iB0 * (rBx0 * py - rBy0 * px + pz);
        } else {
          const rx = -c1x;
          const ry = -c1y;
          px = d0 * (eyy0 * rx - eyx0 * ry);
          py = d0 * (exx0 * ry - exy0 * rx);
          x0 += px;
          y0 += py;
          vAx -= mA0 * px;
          vAy -= mA0 * py;
          wA -= iA0 * (rAx0 * py - rAy0 * px);
          vBx += mB0 * px;
          vBy += mB0 * py;
          wB += iB0 * (rBx0 * py - rBy0 * px);
        }
        hX = vAx;
        hY = vAy;
        hW = wA;
        l0X = vBx;
        l0Y = vBy;
        l0W = wB;
      }
      {
        // Joint 1: bodyA = hull, bodyB = leg 1.
        let vAx = hX;
        let vAy = hY;
        let wA = hW;
        let vBx = l1X;
        let vBy = l1Y;
        let wB = l1W;
        if (motor1) {
          const Cdot = wB - wA - motorSpeed1;
          let impulse = -motorMass1 * Cdot;
          const oldImpulse = m1;
          const sum = oldImpulse + impulse;
          m1 = sum < -maxImpulse1 ? -maxImpulse1 : sum > maxImpulse1 ? maxImpulse1 : sum;
          impulse = m1 - oldImpulse;
          wA -= iA1 * impulse;
          wB += iB1 * impulse;
        }
        const c1x = 0 + (vBx + -wB * rBy1) - (vAx + -wA * rAy1);
        const c1y = 0 + (vBy + wB * rBx1) - (vAy + wA * rAx1);
        let px: number;
        let py: number;
        let pz = 0;
        if (limit1 !== 0) {
          const c2 = wB - wA;
          px = -(det1 * (c1x * cof1x + c1y * cof1y + c2 * cof1z));
          let cx = c1y * ezz1 - c2 * ezy1;
          let cy = c2 * ezx1 - c1x * ezz1;
          let cz = c1x * ezy1 - c1y * ezx1;
          py = -(det1 * (exx1 * cx + exy1 * cy + exz1 * cz));
          cx = eyy1 * c2 - eyz1 * c1y;
          cy = eyz1 * c1x - eyx1 * c2;
          cz = eyx1 * c1y - eyy1 * c1x;
          pz = -(det1 * (exx1 * cx + exy1 * cy + exz1 * cz));
          const newImpulse = z1 + pz;
          if (limit1 !== EQUAL_LIMITS && (limit1 === AT_LOWER_LIMIT ? newImpulse < 0.0 : limit1 === AT_UPPER_LIMIT && newImpulse > 0.0)) {
            const rx = -1 * c1x + z1 * ezx1;
            const ry = -1 * c1y + z1 * ezy1;
            px = d1 * (eyy1 * rx - eyx1 * ry);
            py = d1 * (exx1 * ry - exy1 * rx);
            pz = -z1;
            x1 += px;
            y1 += py;
            z1 = 0.0;
          } else {
            x1 += px;
            y1 += py;
            z1 = newImpulse;
          }
          vAx -= mA1 * px;
          vAy -= mA1 * py;
          wA -= iA1 * (rAx1 * py - rAy1 * px + pz);
          vBx += mB1 * px;
          vBy += mB1 * py;
          wB += iB1 * (rBx1 * py - rBy1 * px + pz);
        } else {
          const rx = -c1x;
          const ry = -c1y;
          px = d1 * (eyy1 * rx - eyx1 * ry);
          py = d1 * (exx1 * ry - exy1 * rx);
          x1 += px;
          y1 += py;
          vAx -= mA1 * px;
          vAy -= mA1 * py;
          wA -= iA1 * (rAx1 * py - rAy1 * px);
          vBx += mB1 * px;
          vBy += mB1 * py;
          wB += iB1 * (rBx1 * py - rBy1 * px);
        }
        hX = vAx;
        hY = vAy;
        hW = wA;
        l1X = vBx;
        l1Y = vBy;
        l1W = wB;
      }

    let contactsSame = true;
    if (nc > 0) {
      // Ground contacts: the velocities go through the packed state for the contact solves.
      st[hull] = hX;
      st[hull + 1] = hY;
      st[hull + 2] = hW;
      st[leg0] = l0X;
      st[leg0 + 1] = l0Y;
      st[leg0 + 2] = l0W;
      st[leg1] = l1X;
      st[leg1 + 1] = l1Y;
      st[leg1 + 2] = l1W;
      const end = co + 4 * nc;
      if (check) for (let k = co; k < end; k++) before[k] = st[k]!;
      for (let i = 0; i < nc; i++) solveContact(st, cc, CS * i, co + 4 * i);
      hX = st[hull]!;
      hY = st[hull + 1]!;
      hW = st[hull + 2]!;
      l0X = st[leg0]!;
      l0Y = st[leg0 + 1]!;
      l0W = st[leg0 + 2]!;
      l1X = st[leg1]!;
      l1Y = st[leg1 + 1]!;
      l1W = st[leg1 + 2]!;
      if (check) {
        for (let k = co; k < end; k++) {
          if (st[k] !== before[k]) {
            contactsSame = false;
            break;
          }
        }
      }
    }
    if (
      check && contactsSame && hX === s0 && hY === s1 && hW === s2 && l0X === s3 && l0Y === s4 && l0W === s5 && l1X === s6 && l1Y === s7 && l1W === s8 &&
      x0 === s9 && y0 === s10 && z0 === s11 && m0 === s12 && x1 === s13 && y1 === s14 && z1 === s15 && m1 === s16
    ) {
      break;
    }
  }
  st[hull] = hX;
  st[hull + 1] = hY;
  st[hull + 2] = hW;
  st[leg0] = l0X;
  st[leg0 + 1] = l0Y;
  st[leg0 + 2] = l0W;
  st[leg1] = l1X;
  st[leg1 + 1] = l1Y;
  st[leg1 + 2] = l1W;
  st[jo] = x0;
  st[jo + 1] = y0;
  st[jo + 2] = z0;
  st[jo + 3] = m0;
  st[jo + 4] = x1;
  st[jo + 5] = y1;
  st[jo + 6] = z1;
  st[jo + 7] = m1;
}

/**
 * The velocity iterations for the lander's island. Returns false (having changed
 * nothing) for any other island, and the caller runs planck's own solves.
 */
function solveVelocitiesPacked(s: IslandSolver, step: StepSettings): boolean {
  const bodies = s.m_bodies;
  const joints = s.m_joints;
  const contacts = s.m_contacts;
  const nb = bodies.length;
  const nj = joints.length;
  const nc = contacts.length;
  for (let i = 0; i < nj; i++) {
    const j = joints[i]!;
    if (j.m_impulse === undefined || typeof j.m_motorImpulse !== "number" || j.m_mass?.ez === undefined) return false;
  }
  const jo = 3 * nb;
  const co = jo + 4 * nj;
  const n = co + 4 * nc;
  if (st.length < n) {
    st = new Float64Array(2 * n);
    prev = new Float64Array(2 * n);
  }
  if (jc.length < JS * nj) jc = new Float64Array(2 * JS * nj);
  if (cc.length < CS * nc) cc = new Float64Array(2 * CS * nc);

  for (let i = 0; i < nb; i++) {
    const cv = bodies[i]!.c_velocity;
    st[3 * i] = cv.v.x;
    st[3 * i + 1] = cv.v.y;
    st[3 * i + 2] = cv.w;
  }
  for (let i = 0; i < nj; i++) {
    const j = joints[i]!;
    packJoint(j, bodies, JS * i, step);
    const imp = j.m_impulse!;
    const q = jo + 4 * i;
    st[q] = imp.x;
    st[q + 1] = imp.y;
    st[q + 2] = imp.z;
    st[q + 3] = j.m_motorImpulse!;
  }
  // The lander's island: the hull (bodyA of both joints), two legs, and while touching
  // the ground the contacts and the static moon. Anything else goes to planck's solves.
  const lander = nj === 2 && jc[0] === jc[JS] && jc[1] !== jc[JS + 1] && jc[0] !== jc[1] && jc[JS] !== jc[JS + 1] && (nc === 0 ? nb === 3 : nb === 4);
  if (!lander) return false;
  for (let i = 0; i < nc; i++) {
    const c = contacts[i]!;
    packContact(c, bodies, CS * i, step);
    const q = co + 4 * i;
    for (let p = 0; p < c.v_pointCount; p++) {
      st[q + 2 * p] = c.v_points[p]!.normalImpulse;
      st[q + 2 * p + 1] = c.v_points[p]!.tangentImpulse;
    }
  }

  solveHullAndLegs(st, jc, cc, prev, jc[0]!, jc[1]!, jc[JS + 1]!, jo, co, nc, step.velocityIterations);

  for (let i = 0; i < nb; i++) {
    const cv = bodies[i]!.c_velocity;
    cv.v.x = st[3 * i]!;
    cv.v.y = st[3 * i + 1]!;
    cv.w = st[3 * i + 2]!;
  }
  for (let i = 0; i < nj; i++) {
    const j = joints[i]!;
    const imp = j.m_impulse!;
    const q = jo + 4 * i;
    imp.x = st[q]!;
    imp.y = st[q + 1]!;
    imp.z = st[q + 2]!;
    j.m_motorImpulse = st[q + 3]!;
  }
  for (let i = 0; i < nc; i++) {
    const c = contacts[i]!;
    const q = co + 4 * i;
    for (let p = 0; p < c.v_pointCount; p++) {
      c.v_points[p]!.normalImpulse = st[q + 2 * p]!;
      c.v_points[p]!.tangentImpulse = st[q + 2 * p + 1]!;
    }
  }
  return true;
}

function solveIsland(this: IslandSolver, stepArg: TimeStep): void {
  const step = stepArg as unknown as StepSettings;
  const gravity = this.m_world.m_gravity;
  const allowSleep = this.m_world.m_allowSleep;
  const h = step.dt;
  const bodies = this.m_bodies;
  const contacts = this.m_contacts;
  const joints = this.m_joints;

  // Integrate velocities.
  for (let i = 0; i < bodies.length; ++i) {
    const body = bodies[i]!;
    const sw = body.m_sweep;
    const cx = sw.c.x;
    const cy = sw.c.y;
    const a = sw.a;
    let vx = body.m_linearVelocity.x;
    let vy = body.m_linearVelocity.y;
    let w = body.m_angularVelocity;
    sw.c0.x = sw.c.x;
    sw.c0.y = sw.c.y;
    sw.a0 = sw.a;
    if (body.isDynamic()) {
      const gs = h * body.m_gravityScale;
      vx += gs * gravity.x;
      vy += gs * gravity.y;
      const im = h * body.m_invMass;
      vx += im * body.m_force.x;
      vy += im * body.m_force.y;
      w += h * body.m_invI * body.m_torque;
      const ld = 1 / (1 + h * body.m_linearDamping);
      vx = ld * vx;
      vy = ld * vy;
      w *= 1 / (1 + h * body.m_angularDamping);
    }
    body.c_position.c.x = cx;
    body.c_position.c.y = cy;
    body.c_position.a = a;
    body.c_velocity.v.x = vx;
    body.c_velocity.v.y = vy;
    body.c_velocity.w = w;
  }

  for (let i = 0; i < contacts.length; ++i) contacts[i]!.initConstraint(stepArg);
  for (let i = 0; i < contacts.length; ++i) contacts[i]!.initVelocityConstraint(stepArg);
  if (step.warmStarting) {
    for (let i = 0; i < contacts.length; ++i) contacts[i]!.warmStartConstraint(stepArg);
  }
  for (let i = 0; i < joints.length; ++i) joints[i]!.initVelocityConstraints(stepArg);

  // Solve velocity constraints, stopping at the fixed point (see the file comment).
  if (!solveVelocitiesPacked(this, step)) {
    for (let i = 0; i < step.velocityIterations; ++i) {
      for (let j = 0; j < joints.length; ++j) joints[j]!.solveVelocityConstraints(stepArg);
      for (let j = 0; j < contacts.length; ++j) contacts[j]!.solveVelocityConstraint(stepArg);
    }
  }

  for (let i = 0; i < contacts.length; ++i) contacts[i]!.storeConstraintImpulses(stepArg);

  // Integrate positions.
  for (let i = 0; i < bodies.length; ++i) {
    const body = bodies[i]!;
    let cx = body.c_position.c.x;
    let cy = body.c_position.c.y;
    let a = body.c_position.a;
    let vx = body.c_velocity.v.x;
    let vy = body.c_velocity.v.y;
    let w = body.c_velocity.w;
    const tx = h * vx;
    const ty = h * vy;
    const translationLengthSqr = tx * tx + ty * ty;
    if (translationLengthSqr > MAX_TRANSLATION_SQUARED) {
      const ratio = MAX_TRANSLATION / Math.sqrt(translationLengthSqr);
      vx *= ratio;
      vy *= ratio;
    }
    const rotation = h * w;
    if (rotation * rotation > MAX_ROTATION_SQUARED) {
      const ratio = MAX_ROTATION / Math.abs(rotation);
      w *= ratio;
    }
    cx += h * vx;
    cy += h * vy;
    a += h * w;
    body.c_position.c.x = cx;
    body.c_position.c.y = cy;
    body.c_position.a = a;
    body.c_velocity.v.x = vx;
    body.c_velocity.v.y = vy;
    body.c_velocity.w = w;
  }

  // Solve position constraints.
  let positionSolved = false;
  for (let i = 0; i < step.positionIterations; ++i) {
    let minSeparation = 0;
    for (let j = 0; j < contacts.length; ++j) {
      const separation = contacts[j]!.solvePositionConstraint(stepArg);
      minSeparation = Math.min(minSeparation, separation);
    }
    const contactsOkay = minSeparation >= -3 * LINEAR_SLOP;
    let jointsOkay = true;
    for (let j = 0; j < joints.length; ++j) {
      const jointOkay = joints[j]!.solvePositionConstraints(stepArg);
      jointsOkay = jointsOkay && jointOkay;
    }
    if (contactsOkay && jointsOkay) {
      positionSolved = true;
      break;
    }
  }

  // Copy state buffers back to the bodies.
  for (let i = 0; i < bodies.length; ++i) {
    const body = bodies[i]!;
    body.m_sweep.c.x = body.c_position.c.x;
    body.m_sweep.c.y = body.c_position.c.y;
    body.m_sweep.a = body.c_position.a;
    body.m_linearVelocity.x = body.c_velocity.v.x;
    body.m_linearVelocity.y = body.c_velocity.v.y;
    body.m_angularVelocity = body.c_velocity.w;
    body.synchronizeTransform();
  }

  this.postSolveIsland();

  if (allowSleep) {
    let minSleepTime = Infinity;
    for (let i = 0; i < bodies.length; ++i) {
      const body = bodies[i]!;
      if (body.isStatic()) continue;
      const lv = body.m_linearVelocity;
      if (
        body.m_autoSleepFlag == false ||
        body.m_angularVelocity * body.m_angularVelocity > ANGULAR_SLEEP_TOLERANCE_SQR ||
        lv.x * lv.x + lv.y * lv.y > LINEAR_SLEEP_TOLERANCE_SQR
      ) {
        body.m_sleepTime = 0;
        minSleepTime = 0;
      } else {
        body.m_sleepTime += h;
        minSleepTime = Math.min(minSleepTime, body.m_sleepTime);
      }
    }
    if (minSleepTime >= TIME_TO_SLEEP && positionSolved) {
      for (let i = 0; i < bodies.length; ++i) bodies[i]!.setAwake(false);
    }
  }
}

/** Replaces `world`'s island solve (this world only) with the early-stopping one above. */
export function installIslandSolver(world: World): void {
  (world as unknown as { m_solver: IslandSolver }).m_solver.solveIsland = solveIsland;
}
