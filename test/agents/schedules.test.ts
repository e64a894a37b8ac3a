import assert from "node:assert/strict";
import { test } from "node:test";
import { epsilonExponential, epsilonLinear, explorationSchedule, learningRateSchedule } from "../../src/agents/schedules.js";

test("epsilonLinear follows CleanRL's linear_schedule", () => {
  const f = epsilonLinear(1, 0.1, 1000);
  assert.equal(f(0), 1);
  assert.ok(Math.abs(f(500) - 0.55) < 1e-12);
  assert.equal(f(1000), 0.1);
  assert.equal(f(5000), 0.1);
});

test("epsilonExponential equals repeated multiplication, floored at end", () => {
  const f = epsilonExponential(0.7, 0.05, 0.999);
  let eps = 0.7;
  for (let t = 0; t < 3000; t++) {
    assert.ok(Math.abs(f(t) - Math.max(0.05, eps)) < 1e-12, `t=${t}`);
    eps *= 0.999;
  }
  assert.equal(f(1e6), 0.05);
});

test("explorationSchedule: linear by fraction, exponential per episode", () => {
  const lin = explorationSchedule({ kind: "linear", start: 1, end: 0.05, fraction: 0.5 }, 10_000);
  assert.equal(lin(5000, 0), 0.05);
  assert.ok(lin(2500, 0) > 0.05 && lin(2500, 0) < 1);
  const ep = explorationSchedule({ kind: "exponential", start: 1, end: 0.01, decay: 0.9993, per: "episode" }, 1);
  assert.equal(ep(123456, 0), 1);
  assert.ok(Math.abs(ep(0, 10) - 0.9993 ** 10) < 1e-12);
});

test("bad schedule parameters name the value", () => {
  assert.throws(() => epsilonLinear(1.5, 0, 10), /1\.5/);
  assert.throws(() => epsilonExponential(1, 0, 1.2), /1\.2/);
  assert.throws(() => explorationSchedule({ kind: "linear", start: 1, end: 0, steps: 5, fraction: 0.1 }, 10), /steps \(5\)/);
});

test("learningRateSchedule: constant, and linear from lr to end like SB3's get_linear_fn", () => {
  assert.equal(learningRateSchedule(3e-4, { kind: "constant" }, 1000)(999), 3e-4);
  const lin = learningRateSchedule(1e-3, { kind: "linear", end: 1e-4, fraction: 0.5 }, 10_000);
  assert.equal(lin(0), 1e-3);
  assert.ok(Math.abs(lin(2500) - 5.5e-4) < 1e-15);
  assert.equal(lin(5000), 1e-4);
  assert.equal(lin(9000), 1e-4);
  const bySteps = learningRateSchedule(1e-3, { kind: "linear", end: 0, steps: 100 }, 10_000);
  assert.ok(Math.abs(bySteps(50) - 5e-4) < 1e-15);
  assert.equal(bySteps(100), 0);
  assert.throws(() => learningRateSchedule(1e-3, { kind: "linear", end: -1 }, 10), /end .* got -1/);
  assert.throws(() => learningRateSchedule(1e-3, { kind: "linear", end: 0, steps: 5, fraction: 0.1 }, 10), /steps \(5\)/);
});
