/**
 * planck's `RevoluteJoint` velocity solve, written once, allocation-free, on packed
 * arrays; used by CarRacing's wheel joints (`FastRevoluteJoint`) and by LunarLander's
 * island solver (`lunar-lander/island-solver.ts`) for the legs. Gymnasium steps Box2D
 * with 180 velocity iterations, so this solve runs hundreds of times per env step and
 * dominated the profile (planck allocates five vectors per call).
 *
 * The arithmetic is planck's, operation for operation, so results are bit-identical to
 * the stock joint. The only values hoisted out of the iterations are the ones planck
 * recomputes from per-step constants on every call (the 3×3 and 2×2 determinants of the
 * effective mass), computed once per step with planck's expressions by `packRevoluteJoint`.
 *
 * A joint's per-step constants are one row of `REVOLUTE_ROW` float64s (layout below);
 * the solve reads the two bodies' velocities (vx, vy, w) and the joint's accumulated
 * impulses (x, y, z, motor) from arrays at given offsets and writes them back.
 */
import { RevoluteJoint, type TimeStep } from "planck";

interface V2 {
  x: number;
  y: number;
}
interface V3 {
  x: number;
  y: number;
  z: number;
}

/** The planck internals of a revolute joint that the solve reads (not part of planck's public types). */
export interface RevoluteInternals {
  m_invMassA: number;
  m_invMassB: number;
  m_invIA: number;
  m_invIB: number;
  m_rA: V2;
  m_rB: V2;
  m_mass: { ex: V3; ey: V3; ez: V3 };
  m_impulse: V3;
  m_motorImpulse: number;
  m_motorMass: number;
  m_motorSpeed: number;
  m_maxMotorTorque: number;
  m_enableMotor: boolean;
  m_enableLimit: boolean;
  m_limitState: number;
}

/** planck's LimitState values. */
const INACTIVE_LIMIT = 0;
const AT_LOWER_LIMIT = 1;
const AT_UPPER_LIMIT = 2;
const EQUAL_LIMITS = 3;

/** Offsets in a packed joint row (a const enum: the names compile to literal offsets in the hot loop). */
enum Row {
  InvMassA,
  InvMassB,
  InvIA,
  InvIB,
  RAx,
  RAy,
  RBx,
  RBy,
  /** The effective mass K = [ex ey ez]. */
  Kexx,
  Kexy,
  Kexz,
  Keyx,
  Keyy,
  Keyz,
  Kezx,
  Kezy,
  Kezz,
  /** 1 when the motor is solved (enabled, limits not equal, rotation not fixed). */
  MotorOn,
  MotorMass,
  MotorSpeed,
  /** dt · maxMotorTorque. */
  MaxMotorImpulse,
  /** 0: point-to-point only; otherwise the limit state (lower, upper, equal). */
  Limit,
  /** The first cofactor column of K (ey × ez), as Mat33.solve33 computes it. */
  Cofx,
  Cofy,
  Cofz,
  /** 1 / det(K) (0 stays 0), as Mat33.solve33. */
  InvDet33,
  /** 1 / det of K's upper-left 2×2 (0 stays 0), as Mat33.solve22. */
  InvDet22,
  Size,
}

/** Float64s per packed joint row. */
export const REVOLUTE_ROW: number = Row.Size;

/** Packs joint `j`'s per-step constants (after planck's `initVelocityConstraints`) into `row` at `o`. */
export function packRevoluteJoint(j: RevoluteInternals, dt: number, row: Float64Array, o: number): void {
  const iA = j.m_invIA;
  const iB = j.m_invIB;
  const fixedRotation = iA + iB === 0.0;
  const K = j.m_mass;
  row[o + Row.InvMassA] = j.m_invMassA;
  row[o + Row.InvMassB] = j.m_invMassB;
  row[o + Row.InvIA] = iA;
  row[o + Row.InvIB] = iB;
  row[o + Row.RAx] = j.m_rA.x;
  row[o + Row.RAy] = j.m_rA.y;
  row[o + Row.RBx] = j.m_rB.x;
  row[o + Row.RBy] = j.m_rB.y;
  row[o + Row.Kexx] = K.ex.x;
  row[o + Row.Kexy] = K.ex.y;
  row[o + Row.Kexz] = K.ex.z;
  row[o + Row.Keyx] = K.ey.x;
  row[o + Row.Keyy] = K.ey.y;
  row[o + Row.Keyz] = K.ey.z;
  row[o + Row.Kezx] = K.ez.x;
  row[o + Row.Kezy] = K.ez.y;
  row[o + Row.Kezz] = K.ez.z;
  row[o + Row.MotorOn] = j.m_enableMotor && j.m_limitState !== EQUAL_LIMITS && !fixedRotation ? 1 : 0;
  row[o + Row.MotorMass] = j.m_motorMass;
  row[o + Row.MotorSpeed] = j.m_motorSpeed;
  row[o + Row.MaxMotorImpulse] = dt * j.m_maxMotorTorque;
  row[o + Row.Limit] = j.m_enableLimit && j.m_limitState !== INACTIVE_LIMIT && !fixedRotation ? j.m_limitState : 0;
  const cx = K.ey.y * K.ez.z - K.ey.z * K.ez.y;
  const cy = K.ey.z * K.ez.x - K.ey.x * K.ez.z;
  const cz = K.ey.x * K.ez.y - K.ey.y * K.ez.x;
  let det = K.ex.x * cx + K.ex.y * cy + K.ex.z * cz;
  if (det !== 0.0) det = 1.0 / det;
  let d = K.ex.x * K.ey.y - K.ey.x * K.ex.y;
  if (d !== 0.0) d = 1.0 / d;
  row[o + Row.Cofx] = cx;
  row[o + Row.Cofy] = cy;
  row[o + Row.Cofz] = cz;
  row[o + Row.InvDet33] = det;
  row[o + Row.InvDet22] = d;
}

/**
 * planck's `RevoluteJoint.solveVelocityConstraints` for `count` joints in turn: joint i
 * packed at `row[i · REVOLUTE_ROW]`, its bodies' velocities (vx, vy, w) at
 * `vel[ends[2i]]` and `vel[ends[2i + 1]]`, its impulses (x, y, z, motor) at
 * `imp[impulses + 4i]`; all updated in place. Returns whether any value changed (`!==`,
 * so a zero changing sign does not count): an iteration in which nothing changed is a
 * fixed point. One call solves them all: the solve is too large for V8 to inline, and a
 * call per joint per iteration costs a few percent of a LunarLander step.
 */
export function solveRevoluteVelocities(row: Float64Array, ends: Int32Array, count: number, vel: Float64Array, imp: Float64Array, impulses: number): boolean {
  let changed = false;
  for (let i = 0; i < count; i++) {
    const o = Row.Size * i;
    const a = ends[2 * i]!;
    const b = ends[2 * i + 1]!;
    const io = impulses + 4 * i;
    const mA = row[o + Row.InvMassA]!;
    const mB = row[o + Row.InvMassB]!;
    const iA = row[o + Row.InvIA]!;
    const iB = row[o + Row.InvIB]!;
    const vAx0 = vel[a]!;
    const vAy0 = vel[a + 1]!;
    const wA0 = vel[a + 2]!;
    const vBx0 = vel[b]!;
    const vBy0 = vel[b + 1]!;
    const wB0 = vel[b + 2]!;
    let vAx = vAx0;
    let vAy = vAy0;
    let wA = wA0;
    let vBx = vBx0;
    let vBy = vBy0;
    let wB = wB0;

    if (row[o + Row.MotorOn] === 1) {
      const Cdot = wB - wA - row[o + Row.MotorSpeed]!;
      let impulse = -row[o + Row.MotorMass]! * Cdot;
      const oldImpulse = imp[io + 3]!;
      const maxImpulse = row[o + Row.MaxMotorImpulse]!;
      const sum = oldImpulse + impulse;
      const motor = sum < -maxImpulse ? -maxImpulse : sum > maxImpulse ? maxImpulse : sum;
      imp[io + 3] = motor;
      if (motor !== oldImpulse) changed = true;
      impulse = motor - oldImpulse;
      wA -= iA * impulse;
      wB += iB * impulse;
    }

    const rAx = row[o + Row.RAx]!;
    const rAy = row[o + Row.RAy]!;
    const rBx = row[o + Row.RBx]!;
    const rBy = row[o + Row.RBy]!;
    const exx = row[o + Row.Kexx]!;
    const exy = row[o + Row.Kexy]!;
    const eyx = row[o + Row.Keyx]!;
    const eyy = row[o + Row.Keyy]!;
    const d22 = row[o + Row.InvDet22]!;
    // Cdot1 = vB + cross(wB, rB) - vA - cross(wA, rA), in planck's order of operations.
    const c1x = 0 + (vBx + -wB * rBy) - (vAx + -wA * rAy);
    const c1y = 0 + (vBy + wB * rBx) - (vAy + wA * rAx);
    const limit = row[o + Row.Limit]!;
    if (limit !== 0) {
      const exz = row[o + Row.Kexz]!;
      const eyz = row[o + Row.Keyz]!;
      const ezx = row[o + Row.Kezx]!;
      const ezy = row[o + Row.Kezy]!;
      const ezz = row[o + Row.Kezz]!;
      const det = row[o + Row.InvDet33]!;
      const c2 = wB - wA;
      // Mat33.solve33(Cdot), negated, by Cramer's rule as planck writes it.
      let px = -(det * (c1x * row[o + Row.Cofx]! + c1y * row[o + Row.Cofy]! + c2 * row[o + Row.Cofz]!));
      let cx = c1y * ezz - c2 * ezy;
      let cy = c2 * ezx - c1x * ezz;
      let cz = c1x * ezy - c1y * ezx;
      let py = -(det * (exx * cx + exy * cy + exz * cz));
      cx = eyy * c2 - eyz * c1y;
      cy = eyz * c1x - eyx * c2;
      cz = eyx * c1y - eyy * c1x;
      let pz = -(det * (exx * cx + exy * cy + exz * cz));
      const z = imp[io + 2]!;
      const newImpulse = z + pz;
      if (limit !== EQUAL_LIMITS && (limit === AT_LOWER_LIMIT ? newImpulse < 0.0 : limit === AT_UPPER_LIMIT && newImpulse > 0.0)) {
        // The limit would pull: rhs = -Cdot1 + impulse.z · (ez.x, ez.y); Mat33.solve22(rhs).
        const rx = -1 * c1x + z * ezx;
        const ry = -1 * c1y + z * ezy;
        px = d22 * (eyy * rx - eyx * ry);
        py = d22 * (exx * ry - exy * rx);
        pz = -z;
        imp[io + 2] = 0.0;
        if (z !== 0.0) changed = true;
      } else {
        imp[io + 2] = newImpulse;
        if (newImpulse !== z) changed = true;
      }
      if (accumulate(imp, io, px, py)) changed = true;
      vAx -= mA * px;
      vAy -= mA * py;
      wA -= iA * (rAx * py - rAy * px + pz);
      vBx += mB * px;
      vBy += mB * py;
      wB += iB * (rBx * py - rBy * px + pz);
    } else {
      // Point-to-point only: Mat33.solve22(-Cdot1).
      const rx = -c1x;
      const ry = -c1y;
      const px = d22 * (eyy * rx - eyx * ry);
      const py = d22 * (exx * ry - exy * rx);
      if (accumulate(imp, io, px, py)) changed = true;
      vAx -= mA * px;
      vAy -= mA * py;
      wA -= iA * (rAx * py - rAy * px);
      vBx += mB * px;
      vBy += mB * py;
      wB += iB * (rBx * py - rBy * px);
    }

    vel[a] = vAx;
    vel[a + 1] = vAy;
    vel[a + 2] = wA;
    vel[b] = vBx;
    vel[b + 1] = vBy;
    vel[b + 2] = wB;
    if (vAx !== vAx0 || vAy !== vAy0 || wA !== wA0 || vBx !== vBx0 || vBy !== vBy0 || wB !== wB0) changed = true;
  }
  return changed;
}

/** Adds (px, py) to the impulse (x, y) at `imp[io]`; whether that changed it. */
function accumulate(imp: Float64Array, io: number, px: number, py: number): boolean {
  const x = imp[io]!;
  const y = imp[io + 1]!;
  const nx = x + px;
  const ny = y + py;
  imp[io] = nx;
  imp[io + 1] = ny;
  return nx !== x || ny !== y;
}

/** Offsets in `FastRevoluteJoint`'s scratch state: body A's velocity, body B's, then the impulses. */
const BODY_A = 0;
const BODY_B = 3;
const IMPULSES = 6;
const STATE_SIZE = 10;
const ENDS = new Int32Array([BODY_A, BODY_B]);

/**
 * planck's `RevoluteJoint` solving its velocities with `solveRevoluteVelocities`.
 *
 * It also skips a call when it provably cannot change anything: if its previous solve
 * left every velocity and accumulated impulse as it found them, and the body velocities
 * are still those values, the solve is a pure function of unchanged inputs and would
 * again do nothing. Once the island's Gauss–Seidel iteration reaches its floating-point
 * fixed point, the remaining iterations cost a few comparisons each.
 */
export class FastRevoluteJoint extends RevoluteJoint {
  private readonly row = new Float64Array(REVOLUTE_ROW);
  /** Velocities and impulses in, then out, of one solve. */
  private readonly state = new Float64Array(STATE_SIZE);
  /** The last solve changed nothing, and these are the velocities it saw. */
  private atRest = false;
  private readonly restVelocities = new Float64Array(6);

  override initVelocityConstraints(step: TimeStep): void {
    super.initVelocityConstraints(step);
    packRevoluteJoint(this as unknown as RevoluteInternals, step.dt, this.row, 0);
    this.atRest = false;
  }

  override solveVelocityConstraints(): void {
    const j = this as unknown as RevoluteInternals & { m_bodyA: { c_velocity: { v: V2; w: number } }; m_bodyB: { c_velocity: { v: V2; w: number } } };
    const velA = j.m_bodyA.c_velocity;
    const velB = j.m_bodyB.c_velocity;
    const s = this.state;
    const rest = this.restVelocities;
    s[BODY_A] = velA.v.x;
    s[BODY_A + 1] = velA.v.y;
    s[BODY_A + 2] = velA.w;
    s[BODY_B] = velB.v.x;
    s[BODY_B + 1] = velB.v.y;
    s[BODY_B + 2] = velB.w;
    if (this.atRest && s[0] === rest[0] && s[1] === rest[1] && s[2] === rest[2] && s[3] === rest[3] && s[4] === rest[4] && s[5] === rest[5]) {
      return;
    }
    const impulse = j.m_impulse;
    s[IMPULSES] = impulse.x;
    s[IMPULSES + 1] = impulse.y;
    s[IMPULSES + 2] = impulse.z;
    s[IMPULSES + 3] = j.m_motorImpulse;
    this.atRest = !solveRevoluteVelocities(this.row, ENDS, 1, s, s, IMPULSES);
    if (this.atRest) for (let k = 0; k < 6; k++) rest[k] = s[k]!;
    velA.v.x = s[BODY_A]!;
    velA.v.y = s[BODY_A + 1]!;
    velA.w = s[BODY_A + 2]!;
    velB.v.x = s[BODY_B]!;
    velB.v.y = s[BODY_B + 1]!;
    velB.w = s[BODY_B + 2]!;
    impulse.x = s[IMPULSES]!;
    impulse.y = s[IMPULSES + 1]!;
    impulse.z = s[IMPULSES + 2]!;
    j.m_motorImpulse = s[IMPULSES + 3]!;
  }
}
