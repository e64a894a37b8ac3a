/**
 * Every preset in presets/ is usable as `deepq train <env> --preset <name>` would use it: it
 * parses, validates through the run and agent config validation (resolveTrainConfig,
 * resolveDQNConfig), names a registered env, builds that env with its preprocessing and the
 * agent's network, and the network takes one greedy action and one gradient step on the
 * env's own observations. Also: presets named after an env id are for that env, each has a
 * description, and the README's preset table lists them.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { resolveDQNConfig } from "../../src/agents/config.js";
import { DQNAgent, type TrainingBatch } from "../../src/agents/dqn.js";
import { listPresets, loadPreset, PRESETS_DIR } from "../../src/cli/presets.js";
import "../../src/envs/index.js";
import { registeredIds } from "../../src/envs/registry.js";
import { resolveTrainConfig } from "../../src/train/config.js";
import { agentSpec, makeTrainEnv } from "../../src/train/env.js";
import { projectRoot } from "../helpers/fixtures.js";

const presets = listPresets();

test("presets/ holds the presets the README lists", () => {
  assert.ok(presets.length >= 8, `expected the 8 presets, found ${presets.map((p) => p.name).join(", ")}`);
  const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
  for (const p of presets) {
    assert.ok(readme.includes(`\`${p.name}\``), `README's preset table lists \`${p.name}\``);
    assert.ok(p.description.length > 10, `${p.name}: a one-line description`);
  }
});

for (const { name } of presets) {
  test(`preset ${name}: validates, builds its env and network, acts and learns one step`, () => {
    const preset = loadPreset(name);
    assert.ok(registeredIds().includes(preset.env), `${name}: env ${preset.env} is registered`);
    if (registeredIds().includes(name)) assert.equal(preset.env, name, `${name}: a preset named after an env id is that env's`);
    const cfg = resolveTrainConfig(preset);
    const agentCfg = resolveDQNConfig(cfg.agent);
    assert.ok(agentCfg.learningStarts < cfg.totalSteps, `${name}: learning starts (${agentCfg.learningStarts}) within the run (${cfg.totalSteps})`);
    assert.ok(cfg.evalEvery <= cfg.totalSteps, `${name}: evaluates within the run`);

    const env = makeTrainEnv(cfg);
    const spec = agentSpec(env, cfg.env);
    const agent = new DQNAgent(spec, agentCfg);
    const obsSpace = env.observationSpace;
    assert.deepEqual(spec.observationShape, [...obsSpace.shape]);

    // The network reads the env's observations: a greedy action, then one gradient step.
    const first = env.reset({ seed: 0 }).obs;
    assert.ok(obsSpace.contains(first), `${name}: the pipeline's observation is in ${obsSpace.toString()}`);
    const a = agent.act(first as Float32Array | Uint8Array, { epsilon: 0 });
    assert.ok(Number.isInteger(a) && a >= 0 && a < spec.nActions, `${name}: greedy action ${a} of ${spec.nActions}`);
    const r = env.step(a);
    const n = agentCfg.batchSize;
    const size = first.length;
    const Obs = spec.observationType === "uint8" ? Uint8Array : Float32Array;
    const obs = new Obs(n * size);
    const nextObs = new Obs(n * size);
    for (let i = 0; i < n; i++) {
      obs.set(first as ArrayLike<number>, i * size);
      nextObs.set(r.obs as ArrayLike<number>, i * size);
    }
    const batch: TrainingBatch = {
      size: n,
      obs,
      nextObs,
      actions: Int32Array.from({ length: n }, (_, i) => i % spec.nActions),
      rewards: Float32Array.from({ length: n }, (_, i) => (i % 3) - 1),
      dones: Float32Array.from({ length: n }, (_, i) => i % 2),
      discounts: new Float32Array(n).fill(agentCfg.gamma),
      weights: new Float32Array(n).fill(1),
    };
    const weights = () => [...agent.online.stateDict().values()].map((t) => Float32Array.from(t.data as Float32Array));
    const before = weights();
    const step = agent.trainStep(batch);
    assert.ok(Number.isFinite(step.loss) && step.loss > 0, `${name}: loss ${step.loss}`);
    const after = weights();
    assert.ok(
      after.every((w) => w.every(Number.isFinite)),
      `${name}: finite weights after the step`,
    );
    assert.ok(
      after.some((w, k) => w.some((v, i) => v !== before[k]![i])),
      `${name}: the step changed the weights`,
    );
    env.close();
  });
}

test("a preset with a bad key or value is refused naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-presets-"));
  try {
    const base = JSON.parse(readFileSync(join(PRESETS_DIR, "CartPole-v1.json"), "utf8")) as Record<string, unknown>;
    const write = (file: string, value: Record<string, unknown>) => writeFileSync(join(dir, file), JSON.stringify(value));
    write("typo.json", { ...base, evalEvry: 5000 });
    write("bad-lr.json", { ...base, agent: { ...(base.agent as object), lr: -1 } });
    write("bad-agent-key.json", { ...base, agent: { ...(base.agent as object), learning_rate: 0.001 } });
    writeFileSync(join(dir, "broken.json"), "{ not json");
    assert.throws(() => resolveTrainConfig(loadPreset(join(dir, "typo.json"))), /unknown key "evalEvry"/);
    assert.throws(() => resolveTrainConfig(loadPreset(join(dir, "bad-lr.json"))), /lr = -1 is invalid/);
    assert.throws(() => resolveTrainConfig(loadPreset(join(dir, "bad-agent-key.json"))), /unknown key "learning_rate"/);
    assert.throws(() => loadPreset(join(dir, "broken.json")), /is not a JSON object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
