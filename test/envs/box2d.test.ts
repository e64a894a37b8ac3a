import assert from "node:assert/strict";
import { test } from "node:test";
import { Box, Circle, RevoluteJoint, type RevoluteJointDef, Vec2, World } from "planck";
import { FastRevoluteJoint } from "../../src/envs/box2d-revolute-joint.js";

/** A hull with two wheels on motorised, limited revolute joints, steered and pushed around for `steps` steps. */
function simulate(Joint: new (def: RevoluteJointDef) => RevoluteJoint, steps: number): number[] {
  const world = new World({ gravity: new Vec2(0, -10) });
  const hull = world.createDynamicBody({ position: new Vec2(0, 4), angle: 0.1 });
  hull.createFixture({ shape: new Box(1, 0.5), density: 1 });
  const joints: RevoluteJoint[] = [];
  const wheels = [-1.5, 1.5].map((x, i) => {
    const wheel = world.createDynamicBody({ position: new Vec2(x, 3.5) });
    wheel.createFixture({ shape: new Circle(0.3), density: 0.1 });
    joints.push(
      world.createJoint(
        new Joint({
          bodyA: hull,
          bodyB: wheel,
          localAnchorA: new Vec2(x, -0.5),
          localAnchorB: new Vec2(0, 0),
          referenceAngle: 0,
          enableMotor: true,
          enableLimit: i === 0,
          maxMotorTorque: 40,
          motorSpeed: 0,
          lowerAngle: -0.4,
          upperAngle: 0.4,
        }),
      )!,
    );
    return wheel;
  });
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    // Steering that sweeps past the limits both ways, and pushes that change the load.
    for (const [k, j] of joints.entries()) j.setMotorSpeed(3 * Math.sin(0.05 * t + k));
    wheels[t % 2]!.applyForceToCenter(new Vec2(5 * Math.cos(0.03 * t), 2), true);
    world.step(1 / 50, 6 * 30, 2 * 15);
    for (const b of [hull, ...wheels]) out.push(b.getPosition().x, b.getPosition().y, b.getAngle(), b.getAngularVelocity());
  }
  return out;
}

test("FastRevoluteJoint gives planck's RevoluteJoint bits exactly (motor, limits, point-to-point)", () => {
  const theirs = simulate(RevoluteJoint, 300);
  const ours = simulate(FastRevoluteJoint, 300);
  assert.equal(ours.length, theirs.length);
  for (let i = 0; i < ours.length; i++) assert.equal(ours[i], theirs[i], `value ${i}`);
  // The run moved: the comparison is not of two resting worlds.
  assert.ok(Math.abs(theirs.at(-4)! - theirs[0]!) > 0.1 || Math.abs(theirs.at(-3)! - theirs[1]!) > 0.1);
});
