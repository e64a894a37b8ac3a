/**
 * planck 1.3.0's `Solver.solveIsland` with a faster velocity phase, bit-identical to
 * planck's (checked step by step against the stock solver in the tests).
 *
 * Gymnasium steps Box2D with 180 velocity iterations, so for the lander's island (hull,
 * two leg joints, a few ground contacts) the velocity phase is most of the work. Here
 * it runs on packed arrays: the bodies' velocities and the constraints' accumulated
 * impulses in one Float64Array, each constraint's per-step constants in a row of
 * another. The solves are planck's `RevoluteJoint` one (`solveRevoluteVelocities`, shared
 * with CarRacing's wheels) and `Contact` one (`solveContact` below), same floating-point
 * operations in the same order; the only values hoisted out of the loop are the ones
 * planck recomputes from constants every iteration (the joints' 3×3 and 2×2 determinants).
 *
 * The iterations also stop early where that gives the same bits as running all 180: each
 * iteration is a pure function of the body velocities and the constraints' accumulated
 * impulses, so at a floating-point fixed point every later iteration would do nothing,
 * and in a 2-cycle every later one alternates between two known states (see
 * `iterateVelocities`). (The fixed point's equality is `===`, so a value flipping between
 * +0 and −0 counts as unchanged; that can only change the sign of an exact zero.) In free
 * flight the legs' motors push against their limits and the impulses often drift slowly,
 * so many steps still run all 180 iterations.
 *
 * The rest is planck's arithmetic, operation for operation (integration, position
 * iterations, sleeping). It is installed per world (`installIslandSolver`), never on
 * planck's prototype, so other planck users are unaffected. Islands with constraints
 * other than revolute joints and contacts fall back to planck's own solves.
 */
import type { TimeStep, World } from "planck";
import { packRevoluteJoint, REVOLUTE_ROW, type RevoluteInternals, solveRevoluteVelocities } from "../box2d-revolute-joint.js";

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
/** A joint; the fast path takes it when it has a revolute joint's fields (`RevoluteInternals`). */
interface IslandJoint extends Partial<RevoluteInternals> {
  m_bodyA: IslandBody;
  m_bodyB: IslandBody;
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

/** Iterations between chances to stop at the fixed point. */
const CHECK_EVERY = 4;

/** Offsets of one contact point's constants within a contact row. */
enum PointRow {
  RAx,
  RAy,
  RBx,
  RBy,
  NormalMass,
  TangentMass,
  VelocityBias,
  Size,
}

/** Offsets in a packed contact row (a const enum: the names compile to literal offsets). */
enum ContactRow {
  /** Offsets of the two bodies' velocities in the packed state. */
  BodyA,
  BodyB,
  InvMassA,
  InvIA,
  InvMassB,
  InvIB,
  NormalX,
  NormalY,
  Friction,
  TangentSpeed,
  PointCount,
  /** 1 for two points with the block solver on. */
  BlockSolve,
  Point0,
  Point1 = Point0 + PointRow.Size,
  /** The 2-point block solver's K and its inverse (normalMass). */
  Kexx = Point1 + PointRow.Size,
  Kexy,
  Keyx,
  Keyy,
  NormalMassExx,
  NormalMassExy,
  NormalMassEyx,
  NormalMassEyy,
  Size,
}

/** Impulses per constraint in the packed state: a joint's (x, y, z, motor), a contact's (normal, tangent) per point. */
const IMPULSES = 4;

/** The packed velocity-solver state: body velocities (vx, vy, w), then joint impulses, then contact impulses. */
let state = new Float64Array(64);
/** `state` two iterations before the 2-cycle check. */
let earlier = new Float64Array(64);
let jointRows = new Float64Array(REVOLUTE_ROW * 4);
/** Per joint: the offsets of bodies A and B in `state`. */
let jointBodies = new Int32Array(8);
let contactRows = new Float64Array(ContactRow.Size * 8);

function bodyOffset(bodies: IslandBody[], body: IslandBody): number {
  for (let i = 0; i < bodies.length; i++) if (bodies[i] === body) return 3 * i;
  throw new Error("island solver: constraint body outside the island");
}

function packContact(c: IslandContact, bodies: IslandBody[], o: number, step: StepSettings): void {
  const cc = contactRows;
  cc[o + ContactRow.BodyA] = bodyOffset(bodies, c.m_fixtureA.m_body);
  cc[o + ContactRow.BodyB] = bodyOffset(bodies, c.m_fixtureB.m_body);
  cc[o + ContactRow.InvMassA] = c.v_invMassA;
  cc[o + ContactRow.InvIA] = c.v_invIA;
  cc[o + ContactRow.InvMassB] = c.v_invMassB;
  cc[o + ContactRow.InvIB] = c.v_invIB;
  cc[o + ContactRow.NormalX] = c.v_normal.x;
  cc[o + ContactRow.NormalY] = c.v_normal.y;
  cc[o + ContactRow.Friction] = c.v_friction;
  cc[o + ContactRow.TangentSpeed] = c.v_tangentSpeed;
  const n = c.v_pointCount;
  cc[o + ContactRow.PointCount] = n;
  cc[o + ContactRow.BlockSolve] = n === 2 && step.blockSolve ? 1 : 0;
  for (let p = 0; p < n; p++) {
    const vcp = c.v_points[p]!;
    const q = o + ContactRow.Point0 + PointRow.Size * p;
    cc[q + PointRow.RAx] = vcp.rA.x;
    cc[q + PointRow.RAy] = vcp.rA.y;
    cc[q + PointRow.RBx] = vcp.rB.x;
    cc[q + PointRow.RBy] = vcp.rB.y;
    cc[q + PointRow.NormalMass] = vcp.normalMass;
    cc[q + PointRow.TangentMass] = vcp.tangentMass;
    cc[q + PointRow.VelocityBias] = vcp.velocityBias;
  }
  cc[o + ContactRow.Kexx] = c.v_K.ex.x;
  cc[o + ContactRow.Kexy] = c.v_K.ex.y;
  cc[o + ContactRow.Keyx] = c.v_K.ey.x;
  cc[o + ContactRow.Keyy] = c.v_K.ey.y;
  cc[o + ContactRow.NormalMassExx] = c.v_normalMass.ex.x;
  cc[o + ContactRow.NormalMassExy] = c.v_normalMass.ex.y;
  cc[o + ContactRow.NormalMassEyx] = c.v_normalMass.ey.x;
  cc[o + ContactRow.NormalMassEyy] = c.v_normalMass.ey.y;
}

/**
 * planck's `Contact.solveVelocityConstraint` (friction, then normal: one point at a time
 * or the 2-point block solver) for the contact packed at `cc[o]`, its impulses at `st[s]`.
 * Returns whether any velocity or impulse changed (`!==`, as `solveRevoluteVelocities`).
 */
function solveContact(st: Float64Array, cc: Float64Array, o: number, s: number): boolean {
  const a = cc[o + ContactRow.BodyA]!;
  const b = cc[o + ContactRow.BodyB]!;
  const mA = cc[o + ContactRow.InvMassA]!;
  const iA = cc[o + ContactRow.InvIA]!;
  const mB = cc[o + ContactRow.InvMassB]!;
  const iB = cc[o + ContactRow.InvIB]!;
  const vAx0 = st[a]!;
  const vAy0 = st[a + 1]!;
  const wA0 = st[a + 2]!;
  const vBx0 = st[b]!;
  const vBy0 = st[b + 1]!;
  const wB0 = st[b + 2]!;
  let vAx = vAx0;
  let vAy = vAy0;
  let wA = wA0;
  let vBx = vBx0;
  let vBy = vBy0;
  let wB = wB0;
  let changed = false;
  const nx = cc[o + ContactRow.NormalX]!;
  const ny = cc[o + ContactRow.NormalY]!;
  // tangent = cross(normal, 1.0)
  const tx = 1 * ny;
  const ty = -1 * nx;
  const friction = cc[o + ContactRow.Friction]!;
  const tangentSpeed = cc[o + ContactRow.TangentSpeed]!;
  const pointCount = cc[o + ContactRow.PointCount]!;

  // Tangent constraints first: non-penetration matters more than friction.
  for (let j = 0; j < pointCount; ++j) {
    const q = o + ContactRow.Point0 + PointRow.Size * j;
    const rAx = cc[q + PointRow.RAx]!;
    const rAy = cc[q + PointRow.RAy]!;
    const rBx = cc[q + PointRow.RBx]!;
    const rBy = cc[q + PointRow.RBy]!;
    const dvx = 0 + vBx + -wB * rBy - vAx - -wA * rAy;
    const dvy = 0 + vBy + wB * rBx - vAy - wA * rAx;
    const vt = dvx * tx + dvy * ty - tangentSpeed;
    let lambda = cc[q + PointRow.TangentMass]! * -vt;
    const maxFriction = friction * st[s + 2 * j]!;
    const old = st[s + 2 * j + 1]!;
    const sum = old + lambda;
    const newImpulse = sum < -maxFriction ? -maxFriction : sum > maxFriction ? maxFriction : sum;
    lambda = newImpulse - old;
    st[s + 2 * j + 1] = newImpulse;
    if (newImpulse !== old) changed = true;
    const Px = lambda * tx;
    const Py = lambda * ty;
    vAx -= mA * Px;
    vAy -= mA * Py;
    wA -= iA * (rAx * Py - rAy * Px);
    vBx += mB * Px;
    vBy += mB * Py;
    wB += iB * (rBx * Py - rBy * Px);
  }

  if (cc[o + ContactRow.BlockSolve] === 0) {
    for (let j = 0; j < pointCount; ++j) {
      const q = o + ContactRow.Point0 + PointRow.Size * j;
      const rAx = cc[q + PointRow.RAx]!;
      const rAy = cc[q + PointRow.RAy]!;
      const rBx = cc[q + PointRow.RBx]!;
      const rBy = cc[q + PointRow.RBy]!;
      const dvx = 0 + vBx + -wB * rBy - vAx - -wA * rAy;
      const dvy = 0 + vBy + wB * rBx - vAy - wA * rAx;
      const vn = dvx * nx + dvy * ny;
      let lambda = -cc[q + PointRow.NormalMass]! * (vn - cc[q + PointRow.VelocityBias]!);
      const old = st[s + 2 * j]!;
      const newImpulse = Math.max(old + lambda, 0);
      lambda = newImpulse - old;
      st[s + 2 * j] = newImpulse;
      if (newImpulse !== old) changed = true;
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
    const q1 = o + ContactRow.Point0;
    const q2 = o + ContactRow.Point1;
    const r1Ax = cc[q1 + PointRow.RAx]!;
    const r1Ay = cc[q1 + PointRow.RAy]!;
    const r1Bx = cc[q1 + PointRow.RBx]!;
    const r1By = cc[q1 + PointRow.RBy]!;
    const r2Ax = cc[q2 + PointRow.RAx]!;
    const r2Ay = cc[q2 + PointRow.RAy]!;
    const r2Bx = cc[q2 + PointRow.RBx]!;
    const r2By = cc[q2 + PointRow.RBy]!;
    const ax = st[s]!;
    const ay = st[s + 2]!;
    const dv1x = 0 + vBx + -wB * r1By - vAx - -wA * r1Ay;
    const dv1y = 0 + vBy + wB * r1Bx - vAy - wA * r1Ax;
    const dv2x = 0 + vBx + -wB * r2By - vAx - -wA * r2Ay;
    const dv2y = 0 + vBy + wB * r2Bx - vAy - wA * r2Ax;
    let vn1 = dv1x * nx + dv1y * ny;
    let vn2 = dv2x * nx + dv2y * ny;
    const kexx = cc[o + ContactRow.Kexx]!;
    const kexy = cc[o + ContactRow.Kexy]!;
    const keyx = cc[o + ContactRow.Keyx]!;
    const keyy = cc[o + ContactRow.Keyy]!;
    let bx = vn1 - cc[q1 + PointRow.VelocityBias]!;
    let by = vn2 - cc[q2 + PointRow.VelocityBias]!;
    bx -= kexx * ax + keyx * ay;
    by -= kexy * ax + keyy * ay;
    let xx = 0;
    let xy = 0;
    let solved = false;
    for (;;) {
      // Case 1: both constraints active.
      xx = -(cc[o + ContactRow.NormalMassExx]! * bx + cc[o + ContactRow.NormalMassEyx]! * by);
      xy = -(cc[o + ContactRow.NormalMassExy]! * bx + cc[o + ContactRow.NormalMassEyy]! * by);
      if (xx >= 0 && xy >= 0) {
        solved = true;
        break;
      }
      // Case 2: only the first.
      xx = -cc[q1 + PointRow.NormalMass]! * bx;
      xy = 0;
      vn1 = 0;
      vn2 = kexy * xx + by;
      if (xx >= 0 && vn2 >= 0) {
        solved = true;
        break;
      }
      // Case 3: only the second.
      xx = 0;
      xy = -cc[q2 + PointRow.NormalMass]! * by;
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
      if (xx !== ax || xy !== ay) changed = true;
    }
  }
  st[a] = vAx;
  st[a + 1] = vAy;
  st[a + 2] = wA;
  st[b] = vBx;
  st[b + 1] = vBy;
  st[b + 2] = wB;
  return changed || vAx !== vAx0 || vAy !== vAy0 || wA !== wA0 || vBx !== vBx0 || vBy !== vBy0 || wB !== wB0;
}

/**
 * Planck's velocity iterations (joints in order, then contacts in order) on the packed
 * state (`n` values: `nj` joints' impulses at `jo`, `nc` contacts' at `co`), taking two
 * exact shortcuts, checked on one iteration in `CHECK_EVERY`:
 * - a fixed point: an iteration in which no solve changed anything (`!==`) ends the loop.
 *   Only every `CHECK_EVERY`-th iteration may stop, the cadence Gymnasium-compared frames
 *   were recorded with (iterations past the fixed point can still flip an exact zero's sign);
 * - a 2-cycle: the state equal, bit for bit, to the one two iterations before. Each
 *   iteration is a pure function of the state, so the rest alternates between the two:
 *   the last iteration's state is the current one or the next, by parity. The lander
 *   hanging from its motors at the leg limits often settles into one.
 */
function iterateVelocities(nj: number, nc: number, jo: number, co: number, n: number, iterations: number): void {
  const st = state;
  const twoBack = earlier;
  const rows = jointRows;
  const ends = jointBodies;
  const cc = contactRows;
  for (let it = 0; it < iterations; ++it) {
    let changed = solveRevoluteVelocities(rows, ends, nj, st, st, jo);
    for (let i = 0; i < nc; i++) if (solveContact(st, cc, ContactRow.Size * i, co + IMPULSES * i)) changed = true;
    const phase = it % CHECK_EVERY;
    if (phase === CHECK_EVERY - 3) {
      for (let k = 0; k < n; k++) twoBack[k] = st[k]!;
    } else if (phase === CHECK_EVERY - 1) {
      if (!changed) break;
      if (sameBits(st, twoBack, n)) {
        if ((iterations - 1 - it) % 2 === 1) {
          solveRevoluteVelocities(rows, ends, nj, st, st, jo);
          for (let i = 0; i < nc; i++) solveContact(st, cc, ContactRow.Size * i, co + IMPULSES * i);
        }
        break;
      }
    }
  }
}

/** Whether the first `n` values of `a` and `b` are the same numbers, telling −0 from +0. */
function sameBits(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let k = 0; k < n; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}

/**
 * The velocity iterations on packed arrays. Returns false (having changed nothing) for
 * an island with a joint other than a revolute one, and the caller runs planck's solves.
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
  const co = jo + IMPULSES * nj;
  const n = co + IMPULSES * nc;
  if (state.length < n) {
    state = new Float64Array(2 * n);
    earlier = new Float64Array(2 * n);
  }
  if (jointRows.length < REVOLUTE_ROW * nj) {
    jointRows = new Float64Array(2 * REVOLUTE_ROW * nj);
    jointBodies = new Int32Array(4 * nj);
  }
  if (contactRows.length < ContactRow.Size * nc) contactRows = new Float64Array(2 * ContactRow.Size * nc);
  const st = state;

  for (let i = 0; i < nb; i++) {
    const cv = bodies[i]!.c_velocity;
    st[3 * i] = cv.v.x;
    st[3 * i + 1] = cv.v.y;
    st[3 * i + 2] = cv.w;
  }
  for (let i = 0; i < nj; i++) {
    const j = joints[i]! as IslandJoint & RevoluteInternals;
    packRevoluteJoint(j, step.dt, jointRows, REVOLUTE_ROW * i);
    jointBodies[2 * i] = bodyOffset(bodies, j.m_bodyA);
    jointBodies[2 * i + 1] = bodyOffset(bodies, j.m_bodyB);
    const q = jo + IMPULSES * i;
    st[q] = j.m_impulse.x;
    st[q + 1] = j.m_impulse.y;
    st[q + 2] = j.m_impulse.z;
    st[q + 3] = j.m_motorImpulse;
  }
  for (let i = 0; i < nc; i++) {
    const c = contacts[i]!;
    packContact(c, bodies, ContactRow.Size * i, step);
    const q = co + IMPULSES * i;
    for (let p = 0; p < c.v_pointCount; p++) {
      st[q + 2 * p] = c.v_points[p]!.normalImpulse;
      st[q + 2 * p + 1] = c.v_points[p]!.tangentImpulse;
    }
  }

  iterateVelocities(nj, nc, jo, co, n, step.velocityIterations);

  for (let i = 0; i < nb; i++) {
    const cv = bodies[i]!.c_velocity;
    cv.v.x = st[3 * i]!;
    cv.v.y = st[3 * i + 1]!;
    cv.w = st[3 * i + 2]!;
  }
  for (let i = 0; i < nj; i++) {
    const j = joints[i]! as IslandJoint & RevoluteInternals;
    const q = jo + IMPULSES * i;
    j.m_impulse.x = st[q]!;
    j.m_impulse.y = st[q + 1]!;
    j.m_impulse.z = st[q + 2]!;
    j.m_motorImpulse = st[q + 3]!;
  }
  for (let i = 0; i < nc; i++) {
    const c = contacts[i]!;
    const q = co + IMPULSES * i;
    for (let p = 0; p < c.v_pointCount; p++) {
      c.v_points[p]!.normalImpulse = st[q + 2 * p]!;
      c.v_points[p]!.tangentImpulse = st[q + 2 * p + 1]!;
    }
  }
  return true;
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: planck's Island.solve, ported in its order so physics matches Box2D bit for bit
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
        !body.m_autoSleepFlag ||
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
