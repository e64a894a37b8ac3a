/**
 * Honest numbers: the best model is selected on the evaluation seeds, then evaluated on
 * report seeds it never saw; report.json and the result hold the per-episode returns.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { resolveTrainConfig } from "../../src/train/config.js";
import { makeTrainEnv } from "../../src/train/env.js";
import { evaluate } from "../../src/train/evaluate.js";
import { CsvLog } from "../../src/train/files.js";
import type { TrainEvent } from "../../src/train/loop.js";
import { loadModel } from "../../src/train/model-file.js";
import { train } from "../../src/train/trainer.js";
import { modelBody, quick, stripWall, tmp } from "./helpers.js";

const reported = { ...quick, reportEpisodes: 4, reportSeed: 3_000_000 };

test("the best model is evaluated on the report seeds after training, into report.json", async () => {
  const dir = tmp("deepq-report-");
  try {
    const res = await train(reported, { runDir: dir });
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(report, { model: "best.safetensors", ...res.report });
    assert.equal(res.report!.step, res.bestEval!.step);
    assert.deepEqual(res.report!.selection, { seed: 1_000_000, episodes: 2, mean: res.bestEval!.mean, std: res.bestEval!.std });
    // The same numbers from the saved best model, evaluated by hand on seeds 3,000,000–3,000,003.
    const { agent } = loadModel(join(dir, "best.safetensors"));
    const byHand = evaluate(makeTrainEnv(resolveTrainConfig(reported)), (o) => agent.act(o as Float32Array), { episodes: 4, seed: 3_000_000 });
    assert.deepEqual(res.report!.report, {
      seed: 3_000_000,
      episodes: 4,
      mean: byHand.mean,
      std: byHand.std,
      min: byHand.min,
      max: byHand.max,
      returns: byHand.returns,
      lengths: byHand.lengths,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a resumed run reports the same as an uninterrupted one; reportEpisodes 0 reports nothing", async () => {
  const a = tmp("deepq-report-");
  const b = tmp("deepq-report-");
  const c = tmp("deepq-report-");
  try {
    const full = await train(reported, { runDir: a });
    const stop = new AbortController();
    const cut = await train(reported, { runDir: b, signal: stop.signal, onEvent: (e) => e.kind === "progress" && e.step >= 1500 && stop.abort() });
    assert.equal(cut.reason, "interrupted");
    assert.equal(cut.report, null);
    assert.ok(!existsSync(join(b, "report.json")));
    const resumed = await train({ env: "CartPole-v1" }, { runDir: b, resume: true });
    assert.deepEqual(resumed.report, full.report);
    const none = await train({ ...quick, totalSteps: 1000, reportEpisodes: 0 }, { runDir: c });
    assert.equal(none.report, null);
    assert.ok(!existsSync(join(c, "report.json")));
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test("confirmEpisodes: a new best must also win over the wider selection episodes", async () => {
  const dir = tmp("deepq-report-");
  try {
    const cfg = { ...reported, confirmEpisodes: 5 };
    const evals: Extract<TrainEvent, { kind: "eval" }>[] = [];
    const res = await train(cfg, { runDir: dir, onEvent: (e) => void (e.kind === "eval" && evals.push(e)) });
    let best = -Infinity;
    let confirmations = 0;
    for (const e of evals) {
      // Only an evaluation above the best confirmed mean is widened; the best is the wider mean.
      assert.equal(e.confirmed !== null, e.mean > best, `step ${e.step}: eval ${e.mean}, best ${best}`);
      if (e.confirmed === null) continue;
      confirmations++;
      assert.equal(e.confirmed.episodes, 5);
      assert.equal(e.isBest, e.confirmed.mean > best);
      if (e.isBest) best = e.confirmed.mean;
    }
    assert.ok(confirmations >= 2, `${confirmations} confirmations`);
    assert.equal(res.bestEval!.mean, best);
    assert.deepEqual(res.report!.selection, { seed: 1_000_000, episodes: 5, mean: best, std: res.bestEval!.std });
    // The best model file scores its recorded mean over selection seeds 1,000,000–1,000,004.
    const { agent, info } = loadModel(join(dir, "best.safetensors"));
    const byHand = evaluate(makeTrainEnv(resolveTrainConfig(cfg)), (o) => agent.act(o as Float32Array), { episodes: 5, seed: 1_000_000 });
    assert.deepEqual(info.eval, { mean: byHand.mean, std: byHand.std, episodes: 5 });
    assert.equal(byHand.mean, best);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("confirmEpisodes changes which model is selected, never the training", async () => {
  const plain = tmp("deepq-report-");
  const confirmed = tmp("deepq-report-");
  try {
    await train(reported, { runDir: plain });
    await train({ ...reported, confirmEpisodes: 5 }, { runDir: confirmed });
    assert.ok(modelBody(join(plain, "model.safetensors")).equals(modelBody(join(confirmed, "model.safetensors"))), "final weights differ");
    const evals = (dir: string) => stripWall(CsvLog.read(join(dir, "progress.csv")));
    assert.deepEqual(evals(confirmed), evals(plain));
  } finally {
    for (const d of [plain, confirmed]) rmSync(d, { recursive: true, force: true });
  }
});

test("with confirmEpisodes, stopAtReturn needs the confirmed mean: a lucky short evaluation does not stop the run", async () => {
  const free = tmp("deepq-report-");
  const stopped = tmp("deepq-report-");
  const plain = tmp("deepq-report-");
  try {
    const cfg = { ...reported, confirmEpisodes: 5 };
    const evals: Extract<TrainEvent, { kind: "eval" }>[] = [];
    await train(cfg, { runDir: free, onEvent: (e) => void (e.kind === "eval" && evals.push(e)) });
    const lucky = evals.find((e) => e.confirmed !== null && e.confirmed.mean < e.mean);
    assert.ok(lucky !== undefined, "no evaluation whose confirmation fell below its own mean");
    const goal = lucky.mean;
    const stop = evals.find((e) => e.confirmed !== null && e.confirmed.mean >= goal);
    const res = await train({ ...cfg, stopAtReturn: goal }, { runDir: stopped });
    assert.equal(res.reason, stop === undefined ? "finished" : "goal");
    assert.equal(res.step, stop?.step ?? cfg.totalSteps);
    assert.ok(res.step > lucky.step);
    // Without confirmation the same goal stops the run at that short evaluation, or before it.
    const unconfirmed = await train({ ...reported, stopAtReturn: goal }, { runDir: plain });
    assert.equal(unconfirmed.reason, "goal");
    assert.ok(unconfirmed.step <= lucky.step);
  } finally {
    for (const d of [free, stopped, plain]) rmSync(d, { recursive: true, force: true });
  }
});

test("report seeds must not overlap the selection seeds", () => {
  assert.throws(
    () => resolveTrainConfig({ env: "CartPole-v1", evalSeed: 0, evalEpisodes: 10, reportSeed: 9, reportEpisodes: 5 }),
    /report seeds 9–13 \(reportSeed, reportEpisodes\) overlap the selection seeds 0–9 \(evalSeed, evalEpisodes\); choose disjoint ranges/,
  );
  assert.throws(() => resolveTrainConfig({ env: "CartPole-v1", reportEpisodes: -1 }), /reportEpisodes = -1 is invalid; expected a non-negative integer/);
  assert.throws(
    () => resolveTrainConfig({ env: "CartPole-v1", evalSeed: 0, evalEpisodes: 10, confirmEpisodes: 30, reportSeed: 20 }),
    /overlap the selection seeds 0–29 \(evalSeed, confirmEpisodes\)/,
  );
  for (const bad of [10, 5, -1, 12.5]) {
    assert.throws(
      () => resolveTrainConfig({ env: "CartPole-v1", evalEpisodes: 10, confirmEpisodes: bad }),
      new RegExp(`confirmEpisodes = ${bad} is invalid; expected 0 \\(off\\) or an integer above evalEpisodes \\(10\\)`),
    );
  }
  assert.equal(resolveTrainConfig({ env: "CartPole-v1", evalSeed: 0, evalEpisodes: 10, reportSeed: 10 }).reportEpisodes, 100);
  assert.equal(resolveTrainConfig({ env: "CartPole-v1", evalSeed: 0, evalEpisodes: 10, reportSeed: 5, reportEpisodes: 0 }).reportSeed, 5);
});
