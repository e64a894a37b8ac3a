/**
 * planck's `RevoluteJoint` with an allocation-free velocity solve, for CarRacing's four
 * wheel joints. Gymnasium steps Box2D with 180 velocity iterations, so this one function
 * runs 720 times per env step and dominated the profile (planck allocates five
 * vectors per call). LunarLander's island solver (`lunar-lander/island-solver.ts`) writes
 * the same solve out inline for its two legs, on packed arrays, which pays there because
 * it also keeps the bodies' velocities in locals across the whole iteration. The arithmetic
 * is planck's, operation for operation, so results are bit-identical to the stock joint.
 *
 * It also skips a call when it provably cannot change anything: if its previous
 * solve left every velocity and accumulated impulse exactly as it found them, and
 * the body velocities are still those values, the solve is a pure function of
 * unchanged inputs and would again do nothing. Once the island's Gauss–Seidel
 * iteration reaches its floating-point fixed point, the remaining iterations cost
 * a few comparisons each.
 */
import { RevoluteJoint, type TimeStep, type Vec2 } from "planck";

/** The planck internals this solve touches (not part of planck's public types). */
interface SolverVelocity {
  v: Vec2;
  w: number;
}
interface RevoluteInternals {
  m_bodyA: { c_velocity: SolverVelocity };
  m_bodyB: { c_velocity: SolverVelocity };
  m_invMassA: number;
  m_invMassB: number;
  m_invIA: number;
  m_invIB: number;
  m_rA: Vec2;
  m_rB: Vec2;
  m_mass: { ex: { x: number; y: number; z: number }; ey: { x: number; y: number; z: number }; ez: { x: number; y: number; z: number } };
  m_impulse: { x: number; y: number; z: number };
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

export class FastRevoluteJoint extends RevoluteJoint {
  /** Velocities (vA.x, vA.y, wA, vB.x, vB.y, wB) at which the last solve was a no-op. */
  private readonly rest = new Float64Array(6);
  private atRest = false;

  override initVelocityConstraints(step: TimeStep): void {
    super.initVelocityConstraints(step);
    this.atRest = false;
  }

  override solveVelocityConstraints(step: TimeStep): void {
    const j = this as unknown as RevoluteInternals;
    const velA = j.m_bodyA.c_velocity;
    const velB = j.m_bodyB.c_velocity;
    const vA = velA.v;
    const vB = velB.v;
    const vAx0 = vA.x;
    const vAy0 = vA.y;
    const wA0 = velA.w;
    const vBx0 = vB.x;
    const vBy0 = vB.y;
    const wB0 = velB.w;
    const rest = this.rest;
    if (
      this.atRest && vAx0 === rest[0] && vAy0 === rest[1] && wA0 === rest[2] &&
      vBx0 === rest[3] && vBy0 === rest[4] && wB0 === rest[5]
    ) {
      return;
    }
    const imp = j.m_impulse;
    const ix0 = imp.x;
    const iy0 = imp.y;
    const iz0 = imp.z;
    const motor0 = j.m_motorImpulse;

    let vAx = vAx0;
    let vAy = vAy0;
    let wA = wA0;
    let vBx = vBx0;
    let vBy = vBy0;
    let wB = wB0;
    const mA = j.m_invMassA;
    const mB = j.m_invMassB;
    const iA = j.m_invIA;
    const iB = j.m_invIB;
    const fixedRotation = iA + iB === 0.0;
    const limitState = j.m_limitState;

    if (j.m_enableMotor && limitState !== EQUAL_LIMITS && !fixedRotation) {
      const Cdot = wB - wA - j.m_motorSpeed;
      let impulse = -j.m_motorMass * Cdot;
      const oldImpulse = j.m_motorImpulse;
      const maxImpulse = step.dt * j.m_maxMotorTorque;
      const sum = j.m_motorImpulse + impulse;
      j.m_motorImpulse = sum < -maxImpulse ? -maxImpulse : sum > maxImpulse ? maxImpulse : sum;
      impulse = j.m_motorImpulse - oldImpulse;
      wA -= iA * impulse;
      wB += iB * impulse;
    }

    const rA = j.m_rA;
    const rB = j.m_rB;
    const K = j.m_mass;
    // Cdot1 = vB + cross(wB, rB) - vA - cross(wA, rA), in planck's order of operations.
    const c1x = 0 + (vBx + -wB * rB.y) - (vAx + -wA * rA.y);
    const c1y = 0 + (vBy + wB * rB.x) - (vAy + wA * rA.x);
    if (j.m_enableLimit && limitState !== INACTIVE_LIMIT && !fixedRotation) {
      const c2 = wB - wA;
      // Mat33.solve33(Cdot), then negated.
      let cx = K.ey.y * K.ez.z - K.ey.z * K.ez.y;
      let cy = K.ey.z * K.ez.x - K.ey.x * K.ez.z;
      let cz = K.ey.x * K.ez.y - K.ey.y * K.ez.x;
      let det = K.ex.x * cx + K.ex.y * cy + K.ex.z * cz;
      if (det !== 0.0) det = 1.0 / det;
      let px = -(det * (c1x * cx + c1y * cy + c2 * cz));
      cx = c1y * K.ez.z - c2 * K.ez.y;
      cy = c2 * K.ez.x - c1x * K.ez.z;
      cz = c1x * K.ez.y - c1y * K.ez.x;
      let py = -(det * (K.ex.x * cx + K.ex.y * cy + K.ex.z * cz));
      cx = K.ey.y * c2 - K.ey.z * c1y;
      cy = K.ey.z * c1x - K.ey.x * c2;
      cz = K.ey.x * c1y - K.ey.y * c1x;
      let pz = -(det * (K.ex.x * cx + K.ex.y * cy + K.ex.z * cz));

      if (limitState === EQUAL_LIMITS) {
        imp.x += px;
        imp.y += py;
        imp.z += pz;
      } else {
        const newImpulse = imp.z + pz;
        if (limitState === AT_LOWER_LIMIT ? newImpulse < 0.0 : limitState === AT_UPPER_LIMIT && newImpulse > 0.0) {
          // rhs = -Cdot1 + impulse.z * (ez.x, ez.y); Mat33.solve22(rhs).
          const rx = -1 * c1x + imp.z * K.ez.x;
          const ry = -1 * c1y + imp.z * K.ez.y;
          const a11 = K.ex.x;
          const a12 = K.ey.x;
          const a21 = K.ex.y;
          const a22 = K.ey.y;
          let d = a11 * a22 - a12 * a21;
          if (d !== 0.0) d = 1.0 / d;
          px = d * (a22 * rx - a12 * ry);
          py = d * (a11 * ry - a21 * rx);
          pz = -imp.z;
          imp.x += px;
          imp.y += py;
          imp.z = 0.0;
        } else {
          imp.x += px;
          imp.y += py;
          imp.z += pz;
        }
      }
      vAx -= mA * px;
      vAy -= mA * py;
      wA -= iA * (rA.x * py - rA.y * px + pz);
      vBx += mB * px;
      vBy += mB * py;
      wB += iB * (rB.x * py - rB.y * px + pz);
    } else {
      // Point-to-point only: Mat33.solve22(-Cdot).
      const rx = -c1x;
      const ry = -c1y;
      const a11 = K.ex.x;
      const a12 = K.ey.x;
      const a21 = K.ex.y;
      const a22 = K.ey.y;
      let d = a11 * a22 - a12 * a21;
      if (d !== 0.0) d = 1.0 / d;
      const px = d * (a22 * rx - a12 * ry);
      const py = d * (a11 * ry - a21 * rx);
      imp.x += px;
      imp.y += py;
      vAx -= mA * px;
      vAy -= mA * py;
      wA -= iA * (rA.x * py - rA.y * px);
      vBx += mB * px;
      vBy += mB * py;
      wB += iB * (rB.x * py - rB.y * px);
    }

    vA.x = vAx;
    vA.y = vAy;
    velA.w = wA;
    vB.x = vBx;
    vB.y = vBy;
    velB.w = wB;

    this.atRest =
      vAx === vAx0 && vAy === vAy0 && wA === wA0 && vBx === vBx0 && vBy === vBy0 && wB === wB0 &&
      imp.x === ix0 && imp.y === iy0 && imp.z === iz0 && j.m_motorImpulse === motor0;
    if (this.atRest) {
      rest[0] = vAx;
      rest[1] = vAy;
      rest[2] = wA;
      rest[3] = vBx;
      rest[4] = vBy;
      rest[5] = wB;
    }
  }
}
