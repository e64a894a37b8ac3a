/**
 * `npm run bench:laps -- <model>`: where a CarRacing-v3 model's episodes lose points. Under
 * released Gymnasium's lap rule an episode ends early only once every tile is visited, so a lap
 * that skips one tile runs out the 1,000 frames (at most about 1000 − 1000/N − 100 ≈ 896). Each
 * greedy episode (the model's own env, pipeline and evaluation ε) is put in one class:
 *
 * - `finished`: every tile visited; the lap ended the episode.
 * - `skipped`: out of time after going round (no unvisited tile past the furthest visited one),
 *   with `skipped` tiles missed on the way (corners cut, a wheel-less slide over the grass).
 * - `short`: out of time `left` tiles before the end: too slow, or time lost to a spin or a stall.
 *
 * Writes bench/results/carracing-laps.json: { model, seed, episodes, classes: { <class>: { count,
 * mean } }, rows: [{ seed, return, length, tiles, skipped, left, finished }] }.
 *
 *   node --import tsx bench/carracing-laps.ts <model.safetensors> [--seed 3000000] [--episodes 100]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CarRacing } from "../src/envs/car-racing.js";
import "../src/envs/index.js";
import { Wrapper } from "../src/envs/wrapper.js";
import { makeTrainEnv } from "../src/train/env.js";
import { evaluate } from "../src/train/evaluate.js";
import { loadModel } from "../src/train/model-file.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: "string", default: "3000000" }, episodes: { type: "string", default: "100" } },
});
const modelPath = positionals[0];
if (modelPath === undefined) throw new Error("usage: bench/carracing-laps.ts <model.safetensors> [--seed S] [--episodes N]");
const seed = Number(values.seed);
const episodes = Number(values.episodes);
if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed ${values.seed}: expected a non-negative integer`);
if (!Number.isSafeInteger(episodes) || episodes < 1) throw new Error(`--episodes ${values.episodes}: expected a positive integer`);

const { agent, info } = loadModel(modelPath);
if (info.env !== "CarRacing-v3") throw new Error(`${modelPath} drives ${info.env}; this bench reads CarRacing-v3's tiles`);
const env = makeTrainEnv(info);
const raw = env instanceof Wrapper ? env.unwrapped : env;
if (!(raw instanceof CarRacing)) throw new Error(`${modelPath}: the env under the wrappers is not CarRacing`);
const epsilon = info.config?.evalEpsilon ?? 0;

type Row = { seed: number; return: number; length: number; tiles: number; skipped: number; left: number; finished: boolean };
const rows: Row[] = [];
evaluate(env, (obs) => agent.act(obs as Uint8Array, { epsilon }), {
  episodes,
  seed,
  onEpisode: (e, ret, length, last) => {
    const mask = raw.visitedTileMask();
    const furthest = mask.lastIndexOf(1);
    let skipped = 0;
    for (let i = 0; i < furthest; i++) skipped += 1 - mask[i]!;
    rows.push({ seed: seed + e, return: ret, length, tiles: mask.length, skipped, left: mask.length - 1 - furthest, finished: last.lap_finished === true });
  },
});
env.close();

const classOf = (r: Row) => (r.finished ? "finished" : r.left === 0 ? "skipped" : "short");
const classes: Record<string, { count: number; mean: number }> = {};
for (const name of ["finished", "skipped", "short"]) {
  const own = rows.filter((r) => classOf(r) === name);
  classes[name] = { count: own.length, mean: own.length === 0 ? Number.NaN : own.reduce((s, r) => s + r.return, 0) / own.length };
}
const mean = rows.reduce((s, r) => s + r.return, 0) / rows.length;
console.log(`${relative(root, modelPath)}: ${episodes} episodes from seed ${seed}, mean ${mean.toFixed(1)}`);
for (const [name, c] of Object.entries(classes)) console.log(`  ${name.padEnd(8)} ${String(c.count).padStart(4)}  mean ${c.mean.toFixed(1)}`);
const out = join(root, "bench/results/carracing-laps.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ model: relative(root, modelPath), seed, episodes, mean, classes, rows }, null, 1)}\n`);
console.log(`wrote ${relative(root, out)}`);
