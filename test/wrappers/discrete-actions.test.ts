/** DiscreteActions: a table of continuous actions as Discrete(n), validated against the Box, passing rows to the env unchanged. */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Action, Env, EnvMetadata, ResetResult, StepResult } from "../../src/envs/core.js";
import "../../src/envs/index.js";
import { make } from "../../src/envs/registry.js";
import { Box, Discrete } from "../../src/envs/spaces.js";
import { resolveTrainConfig } from "../../src/train/config.js";
import { ACTION_TABLES, DiscreteActions, RecordEpisodeStatistics } from "../../src/wrappers/index.js";

/** A one-element observation env with a Box action space that records every action it is given (copied). */
class BoxActionEnv implements Env<Float32Array, Action> {
  readonly observationSpace = new Box(-1, 1, [1]);
  readonly metadata: EnvMetadata = { renderFps: 30 };
  readonly received: number[][] = [];
  private readonly obs = new Float32Array(1);

  constructor(readonly actionSpace: Box<Float32Array>) {}

  reset(): ResetResult<Float32Array> {
    return { obs: this.obs, info: {} };
  }

  step(action: Action): StepResult<Float32Array> {
    const row = Array.from(action as ArrayLike<number>);
    this.received.push(row);
    return { obs: this.obs, reward: row[0]!, terminated: false, truncated: false, info: {} };
  }

  render(): never {
    throw new Error("no rendering");
  }

  close(): void {}
}

const carBox = () => new Box([-1, 0, 0], [1, 1, 1], [3]);

test("carracing-9 is Discrete(9) and hands each row to the env as it is", () => {
  const inner = new BoxActionEnv(carBox());
  const env = new DiscreteActions(inner, "carracing-9");
  assert.ok(env.actionSpace instanceof Discrete);
  assert.equal(env.actionSpace.n, 9);
  assert.equal(env.observationSpace, inner.observationSpace);
  env.reset();
  for (let a = 0; a < 9; a++) env.step(a);
  assert.deepEqual(
    inner.received,
    ACTION_TABLES["carracing-9"]!.map((r) => [...r]),
  );
  // Full throttle while steering: every steer direction appears with gas 1.
  for (const steer of [-1, 0, 1]) assert.ok(inner.received.some((r) => r[0] === steer && r[1] === 1 && r[2] === 0));
  assert.throws(() => env.step(9), /DiscreteActions: action 9 is not in the action space Discrete\(9\)/);
  assert.throws(() => env.step(-1), /action -1 is not in the action space Discrete\(9\)/);
  assert.throws(() => env.step(0.5), /action 0\.5 is not in the action space/);
});

test("an explicit table works on any Box; rows are checked against its shape and bounds", () => {
  const inner = new BoxActionEnv(new Box([-2, 0], [2, 5], [2]));
  const env = new DiscreteActions(inner, [
    [-2, 0],
    [2, 5],
    [0.25, 1],
  ]);
  assert.equal(env.actionSpace.n, 3);
  env.step(2);
  assert.deepEqual(inner.received, [[0.25, 1]]);

  const cases: [unknown, RegExp][] = [
    ["carracing-7", /actions = "carracing-7" is not a named action table; named tables: carracing-9, carracing-5/],
    [[], /actions = \[\] is invalid; expected a table name .* or 1 to 4096 rows of numbers/],
    [[[0, 1], [1]], /actions\[1\] = \[1\] is invalid; every row must be a non-empty array of finite numbers, all of the same length/],
    [[[0, Number.NaN]], /actions\[0\] = .* is invalid; every row must be a non-empty array of finite numbers/],
    [[[0, "1"]], /actions\[0\] = \[0,"1"\] is invalid/],
    [[[0, 1, 2]], /actions\[0\] has 3 numbers, but the action space Box\(\[-2, 0\], \[2, 5\], \(2,\), float32\) takes 2/],
    [
      [
        [0, 1],
        [3, 1],
      ],
      /actions\[1\]\[0\] = 3 is outside the action space .*: element 0 allows \[-2, 2\]/,
    ],
    [[[0, -0.5]], /actions\[0\]\[1\] = -0\.5 is outside the action space .*: element 1 allows \[0, 5\]/],
    [
      [
        [0, 1],
        [1, 1],
        [0, 1],
      ],
      /actions\[2\] = \[0,1\] repeats an earlier row; every row must be a different action/,
    ],
  ];
  for (const [table, re] of cases) {
    assert.throws(() => new DiscreteActions(new BoxActionEnv(new Box([-2, 0], [2, 5], [2])), table as number[][]), re, JSON.stringify(table));
  }
  assert.throws(() => new DiscreteActions(make("CartPole-v1"), [[0]]), /DiscreteActions: the env's action space Discrete\(2\) is not a Box/);
  // CarRacing's brake range is [0, 1]: a table written for another env is refused, naming the element.
  assert.throws(
    () => new DiscreteActions(make("CarRacing-v3"), [[0, 0, 2]]),
    /actions\[0\]\[2\] = 2 is outside the action space Box\(\[-1, 0, 0\], 1, \(3,\), float32\): element 2 allows \[0, 1\]/,
  );
});

test("the train config takes a table name or rows, and refuses anything else naming the field", () => {
  assert.equal(resolveTrainConfig({ env: "CarRacing-v3", actions: "carracing-9" }).actions, "carracing-9");
  assert.deepEqual(resolveTrainConfig({ env: "CarRacing-v3", actions: [[0, 1, 0]] }).actions, [[0, 1, 0]]);
  assert.equal(resolveTrainConfig({ env: "CarRacing-v3" }).actions, null);
  assert.throws(() => resolveTrainConfig({ env: "CarRacing-v3", actions: "nine" }), /train config: actions = "nine" is not a named action table/);
  assert.throws(
    () => resolveTrainConfig({ env: "CarRacing-v3", actions: 9 as unknown as string }),
    /train config: actions = 9 is invalid; expected a table name/,
  );
});

test("carracing-5 over continuous CarRacing is step for step Gymnasium's discrete CarRacing (same frames, rewards, ends)", () => {
  const viaTable = new RecordEpisodeStatistics(new DiscreteActions(make("CarRacing-v3", { continuous: true }), "carracing-5"));
  const discrete = new RecordEpisodeStatistics(make("CarRacing-v3", { continuous: false }));
  const a = viaTable.reset({ seed: 7 });
  const b = discrete.reset({ seed: 7 });
  assert.deepEqual(a.obs, b.obs);
  // Gas, then every action in turn, so each row's steer, gas and brake all act on the car.
  const actions = [...Array<number>(40).fill(3), 1, 1, 1, 3, 3, 2, 2, 2, 4, 0, 3, 3, 1, 2, 4, 4, 0, 3];
  for (const [i, action] of actions.entries()) {
    const x = viaTable.step(action);
    const y = discrete.step(action);
    assert.equal(x.reward, y.reward, `step ${i}`);
    assert.equal(x.terminated, y.terminated);
    assert.equal(x.truncated, y.truncated);
    assert.ok(Buffer.compare(x.obs as Uint8Array, y.obs as Uint8Array) === 0, `step ${i}: frames differ`);
  }
  viaTable.close();
  discrete.close();
});
