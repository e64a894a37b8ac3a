/**
 * `npm run bench:family` (long): every algorithm of the DQN family on CartPole-v1 (LunarLander-v3
 * too with --lunar), 3 seeds each, through the trainer, side by side with the tuned DQN preset.
 * Each algorithm runs on its env's tuned preset with only its own keys changed (the Rainbow
 * preset is its own file). For every run: the env steps and wall-clock seconds until a periodic
 * evaluation first reached the goal (CartPole 475, LunarLander 200: Gymnasium's reward
 * thresholds; training stops there), and the mean over 100 greedy episodes of the final model.
 * Writes bench/results/family.json after every seed, merged: other algorithms' entries are kept, and
 * so are this algorithm's runs on other seeds when its preset and changes are the same. A long
 * algorithm can thus run a few seeds per session (`--seeds 1,2`), and an interrupted bench loses
 * only the seed it was on.
 *
 *   node --import tsx bench/family.ts [--seeds 3 | --seeds 1,2] [--only c51,iqn] [--lunar] [--skip-cartpole] [--steps N]
 *
 * --seeds N runs seeds 0…N−1; a comma-separated list runs exactly those seeds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { DQNConfig } from "../src/agents/config.js";
import type { Observation } from "../src/envs/core.js";
import "../src/envs/index.js";
import { loadPreset, type PresetConfig } from "../src/cli/presets.js";
import { makeTrainEnv } from "../src/train/env.js";
import { evaluate } from "../src/train/evaluate.js";
import { loadModel } from "../src/train/model-file.js";
import { train } from "../src/train/trainer.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "3" },
    only: { type: "string" },
    lunar: { type: "boolean", default: false },
    "skip-cartpole": { type: "boolean", default: false },
    steps: { type: "string" },
  },
});

interface Variant {
  /** What is changed from the env's tuned preset, or the preset file used instead. */
  preset: string;
  agent: Partial<DQNConfig>;
}

/** Per env: its goal, and each algorithm's changes to the env's tuned preset. */
const ENVS: Record<string, { goal: number; variants: Record<string, Variant> }> = {
  "CartPole-v1": {
    goal: 475,
    variants: {
      "dqn (tuned preset)": { preset: "CartPole-v1", agent: {} },
      // rl-zoo's CartPole QR-DQN is the DQN setting with 10 quantiles.
      "qr-dqn": { preset: "CartPole-v1", agent: { algorithm: "qr-dqn", quantiles: 10 } },
      // CleanRL c51.py's CartPole support: 101 atoms on [−100, 100].
      c51: { preset: "CartPole-v1", agent: { algorithm: "c51", atoms: 101, vMin: -100, vMax: 100 } },
      "m-dqn": { preset: "CartPole-v1", agent: { algorithm: "m-dqn" } },
      rainbow: { preset: "rainbow-cartpole", agent: {} },
      // Last: with the preset's 256-wide net its K = 32-sample selection pass makes it ~20× DQN's update cost.
      iqn: { preset: "CartPole-v1", agent: { algorithm: "iqn" } },
    },
  },
  "LunarLander-v3": {
    goal: 200,
    variants: {
      "dqn (tuned preset)": { preset: "LunarLander-v3", agent: {} },
      "qr-dqn": { preset: "LunarLander-v3", agent: { algorithm: "qr-dqn", quantiles: 10 } },
      c51: { preset: "LunarLander-v3", agent: { algorithm: "c51", atoms: 101, vMin: -200, vMax: 200 } },
      // M-DQN's target is one-step and has no argmax: the preset's Double and 3-step returns are off.
      "m-dqn": { preset: "LunarLander-v3", agent: { algorithm: "m-dqn", double: false, nStep: 1 } },
      rainbow: { preset: "rainbow-lunarlander", agent: {} },
      iqn: { preset: "LunarLander-v3", agent: { algorithm: "iqn" } },
    },
  },
};

interface Run {
  seed: number;
  /** Env steps and seconds until the first evaluation at or above the goal (null: not reached). */
  steps: number | null;
  wall_s: number | null;
  /** Mean and std of 100 greedy episodes of the final model. */
  eval_mean: number;
  eval_std: number;
  total_steps: number;
  total_wall_s: number;
}

const round = (v: number) => Number(v.toFixed(2));

async function run(env: string, goal: number, variant: Variant, seed: number): Promise<Run> {
  const preset: PresetConfig = loadPreset(variant.preset);
  const totalSteps = values.steps === undefined ? preset.totalSteps : Number(values.steps);
  const dir = mkdtempSync(join(tmpdir(), "deepq-family-"));
  const t0 = performance.now();
  let reached: { wall: number; steps: number } | null = null;
  let lastStep = 0;
  try {
    await train(
      { ...preset, env, ...(totalSteps === undefined ? {} : { totalSteps }), stopAtReturn: goal, agent: { ...preset.agent, ...variant.agent, seed } },
      {
        runDir: dir,
        onEvent: (e) => {
          if (e.kind === "eval" && reached === null && e.mean >= goal) reached = { wall: (performance.now() - t0) / 1000, steps: e.step };
          if (e.kind === "done") lastStep = e.step;
        },
      },
    );
    const total = (performance.now() - t0) / 1000;
    const { agent, info } = loadModel(join(dir, "model.safetensors"));
    const r = evaluate(makeTrainEnv(info), (o: Observation) => agent.act(o as Float32Array, { epsilon: 0 }), { episodes: 100, seed: 10_000_000 });
    const hit = reached as { wall: number; steps: number } | null;
    return {
      seed,
      steps: hit?.steps ?? null,
      wall_s: hit ? round(hit.wall) : null,
      eval_mean: round(r.mean),
      eval_std: round(r.std),
      total_steps: lastStep,
      total_wall_s: round(total),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const resultsPath = join(root, "bench/results/family.json");

function save(env: string, goal: number, name: string, variant: Variant, newRuns: Run[]): void {
  let all: Record<string, { goal: number; algorithms: Record<string, unknown> }> = {};
  try {
    all = JSON.parse(readFileSync(resultsPath, "utf8")) as typeof all;
  } catch {
    // first run
  }
  const entry = all[env] ?? { goal, algorithms: {} };
  const previous = entry.algorithms[name] as { preset?: string; changes?: unknown; runs?: Run[] } | undefined;
  const sameSetting = previous?.preset === variant.preset && JSON.stringify(previous.changes) === JSON.stringify(variant.agent);
  const kept = sameSetting && entry.goal === goal ? (previous.runs ?? []).filter((r) => !newRuns.some((n) => n.seed === r.seed)) : [];
  const runs = [...kept, ...newRuns].sort((a, b) => a.seed - b.seed);
  const solved = runs.filter((r) => r.steps !== null);
  entry.goal = goal;
  entry.algorithms[name] = {
    preset: variant.preset,
    changes: variant.agent,
    solved: `${solved.length}/${runs.length}`,
    median_steps_to_goal: median(solved.map((r) => r.steps!)),
    median_wall_s_to_goal: median(solved.map((r) => r.wall_s!)),
    mean_final_eval: round(runs.reduce((s, r) => s + r.eval_mean, 0) / runs.length),
    machine: { cores: cpus().length, load_average_1min_at_end: round(loadavg()[0]!), date: new Date().toISOString().slice(0, 10) },
    runs,
  };
  all[env] = entry;
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(all, null, 2)}\n`);
}

function parseSeeds(text: string): number[] {
  const list = text.includes(",")
    ? text
        .split(",")
        .filter((t) => t.trim() !== "")
        .map(Number)
    : Array.from({ length: Number(text) }, (_, i) => i);
  if (list.length === 0 || list.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`--seeds: got "${text}"; allowed: a count N (seeds 0…N−1) or a comma-separated list of seeds ≥ 0, e.g. 1,2`);
  }
  return list;
}

const seeds = parseSeeds(values.seeds);
const only = values.only?.split(",").map((s) => s.trim());
const envs = [...(values["skip-cartpole"] ? [] : ["CartPole-v1"]), ...(values.lunar ? ["LunarLander-v3"] : [])];
for (const env of envs) {
  const { goal, variants } = ENVS[env]!;
  for (const [name, variant] of Object.entries(variants)) {
    if (only && !only.includes(name) && !only.includes(name.split(" ")[0]!)) continue;
    const runs: Run[] = [];
    for (const seed of seeds) {
      const r = await run(env, goal, variant, seed);
      runs.push(r);
      save(env, goal, name, variant, runs);
      console.log(
        `${env} ${name} seed ${seed}: goal ${r.steps === null ? "not reached" : `at ${r.steps} steps (${r.wall_s} s)`}; 100-episode eval ${r.eval_mean} ± ${r.eval_std}; ${r.total_steps} steps in ${r.total_wall_s} s`,
      );
    }
  }
}
