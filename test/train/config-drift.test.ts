import assert from "node:assert/strict";
import { test } from "node:test";
import { configDrift, resolveTrainConfig, trainConfigDrift } from "../../src/train/config.js";

const ran = {
  env: "CarRacing-v3",
  totalSteps: 2_000_000,
  skippedTilePenalty: 10,
  pipeline: { noops: 50, skip: 4, crop: { rows: [0, 96], cols: [6, 90] }, resize: null },
  agent: { seed: 1, lr: 1e-4, quantiles: 200, exploration: { kind: "linear", steps: 200_000 } },
};

test("configDrift: the fields the given config sets, compared in depth; fields it leaves out are not", () => {
  const given = {
    env: "CarRacing-v3",
    totalSteps: 2e6,
    pipeline: { noops: 50, skip: 4, crop: { rows: [0, 96], cols: [6, 90] }, resize: null },
    agent: { seed: 1, lr: 0.0001, exploration: { kind: "linear", steps: 200000 } },
  };
  assert.deepEqual(configDrift(given, ran), []);
  assert.deepEqual(configDrift({ ...given, pipeline: { ...given.pipeline, noops: 0 } }, ran), ["pipeline.noops: 50 → 0"]);
  assert.deepEqual(configDrift({ ...given, agent: { ...given.agent, seed: 2, exploration: { kind: "linear", steps: 16_000 } } }, ran), [
    "agent.seed: 1 → 2",
    "agent.exploration.steps: 200000 → 16000",
  ]);
  assert.deepEqual(configDrift({ pipeline: { ...given.pipeline, crop: { rows: [0, 84], cols: [6, 90] } } }, ran), ["pipeline.crop.rows: [0,96] → [0,84]"]);
  assert.deepEqual(configDrift({ stopAtReturn: 900 }, ran), ["stopAtReturn: absent → 900"]);
  assert.deepEqual(configDrift({ pipeline: null }, ran), [`pipeline: ${JSON.stringify(ran.pipeline)} → null`]);
  assert.deepEqual(configDrift({ agent: { network: { kind: "nature-cnn" } } }, ran), ['agent.network: absent → {"kind":"nature-cnn"}']);
});

test("trainConfigDrift: both sides resolved, so a field given at the value the run took by default is no drift", () => {
  const run = resolveTrainConfig({ env: "CartPole-v1", totalSteps: 5000, agent: { seed: 3 } });
  assert.deepEqual(trainConfigDrift({ env: "CartPole-v1" }, run), []);
  assert.deepEqual(trainConfigDrift({ env: "CartPole-v1", evalEpisodes: 10, agent: { seed: 3, lr: 1e-4, gamma: 0.99 } }, run), []);
  assert.deepEqual(trainConfigDrift({ env: "CartPole-v1", evalEpisodes: 5, agent: { seed: 4, lr: 3e-4 } }, run), [
    "evalEpisodes: 10 → 5",
    "agent.seed: 3 → 4",
    "agent.lr: 0.0001 → 0.0003",
  ]);
  assert.deepEqual(trainConfigDrift({ env: "LunarLander-v3" }, run), ['env: "CartPole-v1" → "LunarLander-v3"']);
  assert.throws(() => trainConfigDrift({ env: "CartPole-v1", agent: { lr: -1 } }, run), /lr/);
});
