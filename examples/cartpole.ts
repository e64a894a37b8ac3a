/**
 * The notebook's flow in code: make CartPole-v1, train with a callback that prints, plot
 * the returns, save the model, record a GIF of the greedy policy.
 * Run: npx tsx examples/cartpole.ts   (about a minute; solves CartPole, 500 steps balanced)
 *
 * DEEPQ_EXAMPLE_STEPS sets the step budget (the example test runs it with a tiny one) and
 * DEEPQ_EXAMPLE_OUT the output directory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// In your project: from "deepq".
import { DQN, type EpisodePoint, type EvalPoint, make, recordVideo, returnsPlotPng } from "../src/index.js";

const totalSteps = Number(process.env.DEEPQ_EXAMPLE_STEPS ?? 50_000);
const outDir = process.env.DEEPQ_EXAMPLE_OUT ?? "examples-out";
mkdirSync(outDir, { recursive: true });

// The tuned preset's hyperparameters (presets/CartPole-v1.json, after rl-zoo).
const model = new DQN("CartPole-v1", {
  network: { kind: "mlp", hidden: [256, 256] },
  lr: 2.3e-3,
  batchSize: 64,
  bufferSize: 100_000,
  learningStarts: Math.min(1000, Math.floor(totalSteps / 2)),
  trainFreq: 256,
  gradientSteps: 128,
  targetUpdateInterval: 10,
  exploration: { kind: "linear", start: 1, end: 0.04, fraction: 0.16 },
  seed: 0,
});

const episodes: EpisodePoint[] = [];
const evals: EvalPoint[] = [];
const result = await model.learn({
  totalSteps,
  evalEvery: Math.min(5000, totalSteps),
  reportEpisodes: Math.min(100, totalSteps),
  callbacks: {
    onEpisode(e) {
      episodes.push({ step: e.step, ret: e.ret });
    },
    onEval(e) {
      evals.push({ step: e.step, mean: e.mean, std: e.std });
      console.log(`step ${e.step}: eval ${e.mean.toFixed(1)} ± ${e.std.toFixed(1)}${e.isBest ? " (best)" : ""}`);
      if (e.mean >= 500) return false;
    },
  },
});
const report = result.report?.report;
if (report) console.log(`best model on ${report.episodes} unseen seeds: ${report.mean.toFixed(1)} ± ${report.std.toFixed(1)}`);

writeFileSync(join(outDir, "cartpole-returns.png"), returnsPlotPng({ title: "CartPole-v1 — DQN", episodes, evals, target: { value: 475, label: "solved" } }));
await model.save(join(outDir, "cartpole.safetensors"));

const env = make("CartPole-v1");
const gif = join(outDir, "cartpole.gif");
const video = await recordVideo(env, (obs) => model.predict(obs), gif, { episodes: 1, seed: 0, frameStride: 2, maxSteps: Math.min(500, totalSteps) });
env.close();
console.log(`wrote ${gif} (${video.frames} frames, return ${video.returns[0]}) and ${join(outDir, "cartpole-returns.png")}`);
