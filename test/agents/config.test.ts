import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_DQN_CONFIG, resolveDQNConfig } from "../../src/agents/config.js";

test("defaults fill every key and are not shared between configs", () => {
  const a = resolveDQNConfig();
  assert.deepEqual(a, DEFAULT_DQN_CONFIG);
  a.exploration.start = 0.5;
  assert.equal(resolveDQNConfig().exploration.start, 1);
});

test("overrides are validated and kept", () => {
  const c = resolveDQNConfig({ network: { kind: "nature-cnn", dueling: true }, optimizer: "rmsprop", lr: 2.5e-4, maxGradNorm: null });
  assert.deepEqual(c.network, { kind: "nature-cnn", dueling: true });
  assert.equal(c.maxGradNorm, null);
});

test("bad keys and values name the key, value and what is allowed", () => {
  assert.throws(() => resolveDQNConfig({ learningRate: 1 } as never), /unknown key "learningRate"; allowed: .*lr/);
  assert.throws(() => resolveDQNConfig({ loss: "l1" as never }), /loss = "l1" is invalid; expected one of mse, huber/);
  assert.throws(() => resolveDQNConfig({ gamma: 1.5 }), /gamma = 1\.5/);
  assert.throws(() => resolveDQNConfig({ network: { kind: "mlp", hidden: [64, -1] } }), /network = .*-1/);
  assert.throws(() => resolveDQNConfig({ exploration: { kind: "exponential", start: 1, end: 0, decay: 0.99, per: "week" as never } }), /exploration/);
  assert.throws(() => resolveDQNConfig({ batchSize: 64, bufferSize: 32 }), /batchSize 64 exceeds bufferSize 32/);
  assert.throws(
    () => resolveDQNConfig({ lrSchedule: { kind: "cosine" } as never }),
    /lrSchedule = \{"kind":"cosine"\} is invalid; expected \{ kind: "constant" \} or \{ kind: "linear"/,
  );
  assert.throws(() => resolveDQNConfig({ lrSchedule: { kind: "linear", end: -1e-4 } }), /lrSchedule .*end must be a non-negative number/);
  assert.throws(() => resolveDQNConfig({ lrSchedule: { kind: "linear", end: 0, rate: 2 } as never }), /unknown field "rate"/);
  assert.deepEqual(resolveDQNConfig({ lrSchedule: { kind: "linear", end: 1e-5, fraction: 0.8 } }).lrSchedule, { kind: "linear", end: 1e-5, fraction: 0.8 });
});

test("inherited names are not config keys: constructor, __proto__, toString are refused", () => {
  for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
    const partial = Object.defineProperty({}, key, { value: 1, enumerable: true });
    assert.throws(() => resolveDQNConfig(partial), new RegExp(`unknown key "${key}"; allowed: algorithm, `));
  }
  assert.throws(() => resolveDQNConfig({ network: { kind: "mlp", hidden: [4], constructor: 1 } as never }), /unknown field "constructor"/);
  assert.throws(() => resolveDQNConfig({ exploration: { kind: "linear", start: 1, end: 0, fraction: 0.1, decay: 0.9 } as never }), /unknown field "decay"/);
  assert.throws(() => resolveDQNConfig({ exploration: { kind: "linear", start: 1, end: 0, fraction: 0.1, steps: 10 } }), /give steps or fraction, not both/);
  assert.throws(() => resolveDQNConfig(null as never), /expected an object of hyperparameters, got null/);
  assert.equal(({} as Record<string, unknown>).dueling, undefined, "nothing leaked onto Object.prototype");
});
