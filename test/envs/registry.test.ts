import assert from "node:assert/strict";
import { test } from "node:test";
import { registerBuiltins } from "../../src/envs/builtins.js";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import { make, register, registeredIds, registration } from "../../src/envs/registry.js";
import { TimeLimit } from "../../src/envs/time-limit.js";

registerBuiltins();

test("registerBuiltins registers CartPole-v0/v1 with Gymnasium's limits and is idempotent", () => {
  registerBuiltins();
  assert.ok(registeredIds().includes("CartPole-v1"));
  assert.equal(registration("CartPole-v1")!.maxEpisodeSteps, 500);
  assert.equal(registration("CartPole-v0")!.maxEpisodeSteps, 200);
  const env = make("CartPole-v0");
  assert.ok(env instanceof TimeLimit);
  assert.equal(env.maxEpisodeSteps, 200);
  assert.deepEqual(env.spec, { id: "CartPole-v0", options: {}, maxEpisodeSteps: 200 });
});

test("unknown ids name the id and list the registered ones", () => {
  assert.throws(
    () => make("CartPol-v1"),
    (e: Error) => {
      assert.match(e.message, /unknown environment id "CartPol-v1"; registered: /);
      for (const id of registeredIds()) assert.ok(e.message.includes(id), `lists ${id}`);
      return true;
    },
  );
});

test("unknown options name the option and the allowed ones; wrong types name the value", () => {
  assert.throws(() => make("CartPole-v1", { gravity: 9.81 }), /CartPole: unknown option "gravity"; allowed: suttonBartoReward/);
  assert.throws(() => make("CartPole-v1", { sutton_barto_reward: "yes" }), /option "sutton_barto_reward" must be a boolean, got "yes"/);
  assert.throws(() => make("CartPole-v1", { suttonBartoReward: "yes" }), /option "suttonBartoReward" must be a boolean, got "yes"/);
});

test("options are accepted in snake_case and camelCase and normalized in the spec", () => {
  for (const opts of [{ sutton_barto_reward: true }, { suttonBartoReward: true }]) {
    const env = make("CartPole-v1", opts);
    assert.deepEqual(env.spec?.options, { suttonBartoReward: true });
    env.reset({ seed: 0 });
    assert.equal(env.step(0).reward, 0, JSON.stringify(opts));
  }
});

test("max_episode_steps overrides the limit; null removes the TimeLimit", () => {
  for (const opts of [{ max_episode_steps: 5 }, { maxEpisodeSteps: 5 }]) {
    const env = make("CartPole-v1", opts);
    env.reset({ seed: 0, options: { low: 0, high: 0 } });
    const flags = [0, 1, 0, 1, 0].map((a) => env.step(a).truncated);
    assert.deepEqual(flags, [false, false, false, false, true]);
    assert.equal(env.spec?.maxEpisodeSteps, 5);
  }
  const raw = make("CartPole-v1", { maxEpisodeSteps: null });
  assert.ok(raw instanceof CartPoleEnv);
  assert.equal(raw.spec?.maxEpisodeSteps, undefined);
  assert.throws(() => make("CartPole-v1", { max_episode_steps: 0 }), /max_episode_steps must be a positive integer or null, got 0/);
  assert.throws(() => make("CartPole-v1", { max_episode_steps: 2.5 }), /got 2.5/);
});

test("register rejects malformed and duplicate ids", () => {
  const create = () => new CartPoleEnv();
  assert.throws(() => register({ id: "CartPole", create }), /id "CartPole" must look like Name-vN/);
  assert.throws(() => register({ id: "CartPole-v1", create }), /"CartPole-v1" is already registered/);
  register({ id: "TestCartPole-v7", create, maxEpisodeSteps: 3 });
  const env = make("TestCartPole-v7");
  env.reset({ seed: 1, options: { low: 0, high: 0 } });
  env.step(0);
  env.step(1);
  assert.equal(env.step(0).truncated, true);
});

test("actions outside the space are rejected naming the action and the space, through wrappers too", () => {
  const env = make("CartPole-v1");
  env.reset({ seed: 0 });
  assert.throws(() => env.step(2), /CartPole: action 2 is not in the action space Discrete\(2\)/);
  assert.throws(() => env.step(-1), /action -1 is not in the action space Discrete\(2\)/);
  assert.throws(() => env.step([1]), /action \[1\] is not in the action space Discrete\(2\)/);
  assert.throws(() => env.step(new Float32Array([0.5])), /action \[0.5\] is not in the action space Discrete\(2\)/);
});
