/** A model trained through an action table records the env options and the rows, so eval, record and play rebuild the same env unasked. */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DQNAgent } from "../../src/agents/dqn.js";
import { loadModelForEnv } from "../../src/cli/model-args.js";
import type { Observation } from "../../src/envs/core.js";
import { serializeSafeTensors } from "../../src/nn/safetensors.js";
import { readSafeTensorsFile } from "../../src/nn/safetensors-fs.js";
import { agentSpec, type EnvSetup, makeTrainEnv, modelEnvInfo } from "../../src/train/env.js";
import { evaluate } from "../../src/train/evaluate.js";
import { loadModel, saveModel } from "../../src/train/model-file.js";
import { ACTION_TABLES } from "../../src/wrappers/index.js";
import { runMain } from "../cli/run.js";

const setup: EnvSetup = {
  env: "CarRacing-v3",
  envOptions: { continuous: true },
  actions: "carracing-9",
  pipeline: { noops: 0, skip: 4, crop: { rows: [0, 84], cols: [6, 90] }, grayscale: true, resize: null, stack: 4 },
};

test("the model file holds the env options and the table's rows; deepq eval, record and play use them with no flags", async () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-actions-"));
  try {
    const probe = makeTrainEnv(setup);
    const spec = agentSpec(probe, setup.env);
    probe.close();
    assert.equal(spec.nActions, 9);
    const agent = new DQNAgent(spec, { network: { kind: "small-cnn" }, seed: 3 });
    const path = join(dir, "car.safetensors");
    saveModel(path, agent, { ...modelEnvInfo(setup), step: 0, eval: null });

    const { info } = loadModel(path);
    assert.deepEqual(info.envOptions, { continuous: true });
    assert.deepEqual(
      info.actions,
      ACTION_TABLES["carracing-9"]!.map((r) => [...r]),
    );
    assert.deepEqual(loadModelForEnv(path, {}).env.actions, info.actions, "play (and record, eval) build the env from this");

    const r = await runMain("eval", path, "--episodes", "1", "--seed", "5", "--json");
    assert.equal(r.code, 0, r.err);
    const reported = JSON.parse(r.out) as { env: string; mean: number };
    const direct = evaluate(makeTrainEnv(setup), (o: Observation) => agent.act(o as Uint8Array, { epsilon: 0 }), { episodes: 1, seed: 5 });
    assert.equal(reported.env, "CarRacing-v3");
    assert.equal(reported.mean, direct.mean);

    const gif = join(dir, "car.gif");
    const rec = await runMain("record", path, "--out", gif, "--episodes", "1", "--seed", "5", "--max-steps", "3");
    assert.equal(rec.code, 0, rec.err);
    assert.ok(existsSync(gif));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a recorded table is checked: rows per network output, rows of numbers; files without one use the env's own actions", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-actions-"));
  try {
    const path = join(dir, "m.safetensors");
    const agent = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 3 }, { network: { kind: "mlp", hidden: [8] } });
    saveModel(path, agent, { env: "X-v0", envOptions: {}, actions: [[-1], [0], [1]], pipeline: null, step: 0, eval: null });
    assert.deepEqual(loadModel(path).info.actions, [[-1], [0], [1]]);
    const f = readSafeTensorsFile(path);
    const meta = JSON.parse(f.metadata.deepq!) as Record<string, unknown>;
    const write = (m: unknown) => writeFileSync(path, serializeSafeTensors(f.tensors, { deepq: JSON.stringify(m) }));

    write({ ...meta, actions: [[-1], [1]] });
    assert.throws(() => loadModel(path), /m\.safetensors: actions = "2 rows" is invalid; expected one row per network output \(3\)/);
    write({ ...meta, actions: "carracing-9" });
    assert.throws(() => loadModel(path), /m\.safetensors: actions = "carracing-9" is invalid; expected an array/);
    write({ ...meta, actions: [[-1], ["x"], [1]] });
    assert.throws(() => loadModel(path), /m\.safetensors: actions: actions\[1\] = \["x"\] is invalid; every row must be a non-empty array of finite numbers/);
    const { actions: _actions, ...older } = meta;
    write(older);
    assert.equal(loadModel(path).info.actions, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
