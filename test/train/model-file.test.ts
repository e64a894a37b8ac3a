/** Model files are checked before use: crafted metadata, NaN weights and weights of another network fail with the file and field named. */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DQNAgent } from "../../src/agents/dqn.js";
import { serializeSafeTensors } from "../../src/nn/safetensors.js";
import { readSafeTensorsFile } from "../../src/nn/safetensors-fs.js";
import { loadModel, saveModel } from "../../src/train/model-file.js";
import { agentFromWeights } from "../../src/train/model-format.js";

test("crafted metadata, NaN weights and other networks' weights are refused, naming the file and field", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-model-"));
  try {
    const path = join(dir, "m.safetensors");
    const agent = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { network: { kind: "mlp", hidden: [8] } });
    saveModel(path, agent, { env: "CartPole-v1", envOptions: {}, pipeline: null, step: 10, eval: null });
    const f = readSafeTensorsFile(path);
    const meta = JSON.parse(f.metadata.deepq!) as Record<string, unknown> & { spec: Record<string, unknown> };
    const write = (m: unknown, tensors = f.tensors) => writeFileSync(path, serializeSafeTensors(tensors, { deepq: JSON.stringify(m) }));

    write({ ...meta, spec: { ...meta.spec, nActions: undefined } });
    assert.throws(() => loadModel(path), /m\.safetensors: spec\.nActions = undefined is invalid; expected an integer in \[1, 65536\]/);
    write({ ...meta, spec: { observationType: "float32", observationShape: [1e9], nActions: 2 } });
    assert.throws(() => loadModel(path), /spec\.observationShape\[0\] = 1000000000 is invalid/);
    write({ ...meta, network: { kind: "mlp", hidden: [8], dueling: "yes" } });
    assert.throws(() => loadModel(path), /m\.safetensors: network: DQN config: network = .* is invalid/);
    write({ ...meta, env: 42 });
    assert.throws(() => loadModel(path), /m\.safetensors: env = 42 is invalid; expected an env id/);
    write({ ...meta, eval: { mean: "high", std: 0, episodes: 1 } });
    assert.throws(() => loadModel(path), /eval\.mean = "high" is invalid; expected a finite number/);
    const nan = new Map(f.tensors);
    const w = (nan.get("0.weight")!.data as Float32Array).slice();
    w[5] = Number.NaN;
    nan.set("0.weight", { ...nan.get("0.weight")!, data: w });
    write(meta, nan);
    assert.throws(() => loadModel(path), /m\.safetensors: weight "0\.weight" holds NaN at index 5; the model is unusable/);
    write({ ...meta, network: { kind: "mlp", hidden: [16] } });
    assert.throws(
      () => loadModel(path),
      /m\.safetensors: weights do not fit the network \{"kind":"mlp","hidden":\[16\]\}: loadStateDict: size mismatch for "0\.weight": expected \[16, 4\], got \[8, 4\]/,
    );
    writeFileSync(path, serializeSafeTensors(f.tensors));
    assert.throws(() => loadModel(path), /m\.safetensors: no "deepq" metadata; is this a deepq model file\?/);
    // A plain file with its network given: the PyTorch route.
    const plain = agentFromWeights(f.tensors, "plain", agent.spec, { kind: "mlp", hidden: [8] });
    assert.deepEqual(plain.qValues(Float32Array.of(1, 2, 3, 4)), agent.qValues(Float32Array.of(1, 2, 3, 4)));
    assert.throws(
      () => agentFromWeights(f.tensors, "plain", agent.spec, { kind: "mlp", hidden: [8], dueling: true }),
      /plain: weights do not fit the network .*missing keys/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an agent refuses observations of another size instead of cutting them", () => {
  const agent = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { network: { kind: "mlp", hidden: [8] } });
  assert.throws(() => agent.act(new Float32Array(8)), /DQN: expected 1 observation\(s\) of shape \[4\] \(4 values\), got 8/);
  assert.throws(() => agent.act(new Float32Array(3)), /got 3/);
  assert.ok([0, 1].includes(agent.act(new Float32Array(4))));
});
