/**
 * `npm run bench:tracks -- <model> --ranges …`: a model's greedy score on many disjoint seed
 * ranges. A claim such as Gymnasium's "solved" (CarRacing-v3: a mean ≥ 900 over 100 consecutive
 * episodes) holds for one range of 100 seeds at a time, and one range's mean moves by a few points
 * with the tracks drawn, so this reports every range, the pooled mean with its standard error, and
 * how many ranges reach the goal. Give only ranges that served no choice of the model (selection,
 * report and any comparison that picked it), or the figures flatter it.
 *
 * `--ranges` lists range starts, each `S` (episodes S … S + episodes − 1) or `SxK` (K consecutive
 * ranges from S). Episode i of a range resets with seed S + i, as `deepq eval --seed S` does, with
 * the model's own env, pipeline and evaluation ε.
 *
 * Writes bench/results/tracks-<env>.json: { model, env, episodes_per_range, goal, ranges: [{ seed,
 * mean, std, min }], pooled: { episodes, mean, std, se }, ranges_at_goal, lowest_range }.
 *
 *   node --import tsx bench/tracks.ts <model.safetensors> --ranges 3000000,20000000x10 [--episodes 100] [--goal 900]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "../src/envs/index.js";
import { makeTrainEnv } from "../src/train/env.js";
import { evalResult, evaluate } from "../src/train/evaluate.js";
import { loadModel } from "../src/train/model-file.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ranges: { type: "string" }, episodes: { type: "string", default: "100" }, goal: { type: "string", default: "900" } },
});
const modelPath = positionals[0];
if (modelPath === undefined || values.ranges === undefined) {
  throw new Error("usage: bench/tracks.ts <model.safetensors> --ranges S[xK][,S[xK]…] [--episodes 100] [--goal 900]");
}
const episodes = Number(values.episodes);
if (!Number.isSafeInteger(episodes) || episodes < 1) throw new Error(`--episodes ${values.episodes}: expected a positive integer`);
const goal = Number(values.goal);
if (!Number.isFinite(goal)) throw new Error(`--goal ${values.goal}: expected a number`);

const starts: number[] = [];
for (const item of values.ranges.split(",")) {
  const m = /^(\d+)(?:x(\d+))?$/.exec(item.trim());
  if (m === null) throw new Error(`--ranges: "${item}" is not S or SxK (S a seed, K a count of consecutive ranges)`);
  const first = Number(m[1]);
  const count = m[2] === undefined ? 1 : Number(m[2]);
  if (!Number.isSafeInteger(first) || count < 1) throw new Error(`--ranges: "${item}" needs a safe-integer seed and K ≥ 1`);
  for (let k = 0; k < count; k++) starts.push(first + k * episodes);
}
const sorted = [...starts].sort((a, b) => a - b);
for (let i = 1; i < sorted.length; i++) {
  if (sorted[i]! < sorted[i - 1]! + episodes) {
    throw new Error(`--ranges: the ranges from ${sorted[i - 1]} and ${sorted[i]} overlap (${episodes} episodes each); give disjoint ranges`);
  }
}

const { agent, info } = loadModel(modelPath);
const env = makeTrainEnv(info);
const epsilon = info.config?.evalEpsilon ?? 0;
const ranges: { seed: number; mean: number; std: number; min: number }[] = [];
const all: number[] = [];
for (const seed of starts) {
  const r = evaluate(env, (obs) => agent.act(obs as Uint8Array, { epsilon }), { episodes, seed });
  ranges.push({ seed, mean: r.mean, std: r.std, min: r.min });
  all.push(...r.returns);
  console.log(`seeds ${seed}–${seed + episodes - 1}: ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`);
}
env.close();

const pooled = evalResult(all, []);
const se = pooled.std / Math.sqrt(all.length);
const atGoal = ranges.filter((r) => r.mean >= goal).length;
const lowest = ranges.reduce((a, b) => (b.mean < a.mean ? b : a));
console.log(
  `${relative(root, modelPath)}: ${all.length} episodes, mean ${pooled.mean.toFixed(1)} ± ${pooled.std.toFixed(1)} (standard error ${se.toFixed(1)})`,
);
console.log(`${atGoal} of ${ranges.length} ranges of ${episodes} reach ${goal}; the lowest is ${lowest.mean.toFixed(1)} (seeds from ${lowest.seed})`);
const out = join(root, `bench/results/tracks-${info.env}.json`);
mkdirSync(dirname(out), { recursive: true });
const result = {
  model: relative(root, modelPath),
  env: info.env,
  episodes_per_range: episodes,
  goal,
  ranges,
  pooled: { episodes: all.length, mean: pooled.mean, std: pooled.std, se },
  ranges_at_goal: atGoal,
  lowest_range: lowest,
};
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
console.log(`wrote ${relative(root, out)}`);
