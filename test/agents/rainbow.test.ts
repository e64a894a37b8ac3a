/**
 * Rainbow as presets: C51 + Double + Dueling + NoisyNets + 3-step + prioritized replay together
 * through the trainer (a shortened `rainbow-cartpole` with a small net), with an interrupted and
 * resumed run equal to the uninterrupted one (noise stream, priorities and all), and the head
 * being the distributional dueling one (action-major atoms).
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { C51 } from "../../src/agents/algorithms/index.js";
import { DQNAgent } from "../../src/agents/dqn.js";
import { loadPreset } from "../../src/cli/presets.js";
import { Dueling, NoisyLinear } from "../../src/nn/index.js";
import { CsvLog } from "../../src/train/files.js";
import { loadModel } from "../../src/train/model-file.js";
import { train } from "../../src/train/trainer.js";

const preset = loadPreset("rainbow-cartpole");
const quick = {
  ...preset,
  totalSteps: 1000,
  evalEvery: 500,
  evalEpisodes: 1,
  checkpointEvery: 500,
  saveReplay: true,
  agent: { ...preset.agent, network: { kind: "mlp" as const, hidden: [16], dueling: true }, learningStarts: 300, trainFreq: 100, gradientSteps: 4, seed: 3 },
};

test("Rainbow presets: every component is on, and the head is a noisy distributional dueling head", () => {
  for (const name of ["rainbow-cartpole", "rainbow-lunarlander"]) {
    const a = loadPreset(name).agent!;
    assert.deepEqual([a.algorithm, a.double, a.network?.dueling, a.noisy, a.nStep, a.prioritized], ["c51", true, true, true, 3, true], name);
  }
  const agent = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, quick.agent);
  assert.ok(agent.algorithm instanceof C51 && agent.algorithm.layout === "action-major");
  assert.ok(agent.online instanceof Dueling && agent.online.atoms === 51 && agent.online.layout === "action-major");
  assert.ok(agent.online.value instanceof NoisyLinear && agent.online.advantage instanceof NoisyLinear);
});

test("Rainbow trains through the trainer, and an interrupted and resumed run equals the uninterrupted one", async () => {
  const a = mkdtempSync(join(tmpdir(), "deepq-rainbow-"));
  const b = mkdtempSync(join(tmpdir(), "deepq-rainbow-"));
  const body = (dir: string) => {
    const bytes = readFileSync(join(dir, "model.safetensors"));
    return bytes.subarray(8 + bytes.readUInt32LE(0));
  };
  try {
    await train(quick, { runDir: a });
    const progress = CsvLog.read(join(a, "progress.csv"));
    assert.ok(
      progress.every((r) => Number.isFinite(Number(r.loss)) && Number(r.epsilon) === 0),
      "finite losses; ε 0 (NoisyNets explore)",
    );
    const { info } = loadModel(join(a, "model.safetensors"));
    assert.deepEqual(info.algorithm, { algorithm: "c51", noisy: true, noisySigma0: 0.5, atoms: 51, vMin: 0, vMax: 200 });
    const stop = new AbortController();
    const res = await train(quick, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 600 && stop.abort() });
    assert.equal(res.reason, "interrupted");
    await train({ env: "CartPole-v1" }, { runDir: b, resume: true });
    assert.deepEqual(body(b), body(a), "same weights, noise buffers included");
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
