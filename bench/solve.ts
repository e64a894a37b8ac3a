/**
 * `npm run bench:solve` (long): the tuned CartPole-v1 and LunarLander-v3 presets on 5 seeds
 * each, trained as the presets say (their own `stopAtReturn`). For every run: when its periodic
 * evaluation (selection seeds from 1,000,000) first reached the goal (wall-clock s and env
 * steps), the training's wall-clock time, and the mean over 100 greedy episodes on report seeds
 * (2,000,000–2,000,099, never used for selection) of the model the run selected
 * (best.safetensors) and of its final weights (model.safetensors). Also the loop speeds: the
 * CleanRL CartPole loop (an update every step) and the tuned LunarLander preset, each with the
 * envs in the training thread and in a worker thread (`<loop>/asyncEnvs`).
 * Writes bench/results/solve.json and bench/results/loop.json
 * ({ "<loop>": { "steps_per_s", "steps_per_cpu_s", "kernels": { "backend", "threads" }, "load_avg_1min" } }).
 *
 *   node --import tsx bench/solve.ts [--seeds 5] [--only CartPole-v1] [--skip-loop] [--loop-only]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Observation } from "../src/envs/core.js";
import "../src/envs/index.js";
import { loadPreset } from "../src/cli/presets.js";
import { kernelBackendInfo } from "../src/nn/kernels/index.js";
import { makeTrainEnv } from "../src/train/env.js";
import { evaluate } from "../src/train/evaluate.js";
import { loadModel } from "../src/train/model-file.js";
import { train } from "../src/train/trainer.js";
import { type LearningPhaseSpeed, learningPhaseSpeed } from "./learning-phase.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "5" },
    only: { type: "string" },
    "skip-loop": { type: "boolean", default: false },
    "loop-only": { type: "boolean", default: false },
  },
});

/** The goal of each env's periodic evaluations (time to goal); the targets are on the report means. */
const GOALS: Record<string, number> = { "CartPole-v1": 500, "LunarLander-v3": 250 };
/** Report episode i uses seed REPORT_SEED + i: apart from the selection seeds (evalSeed, 1,000,000 by default). */
const REPORT_SEED = 2_000_000;
const REPORT_EPISODES = 100;

interface SolveRow {
  seed: number;
  /** When a periodic evaluation first reached the goal, null if none did. */
  wall_s: number | null;
  steps: number | null;
  /** The selected model (best.safetensors) on the report seeds. */
  eval_mean: number;
  eval_std: number;
  /** The final weights (model.safetensors) on the report seeds. */
  final_mean: number;
  final_std: number;
  /** Env steps and wall-clock seconds of the whole training. */
  total_steps: number;
  total_wall_s: number;
}

async function solve(env: string, seed: number): Promise<SolveRow> {
  const preset = loadPreset(env);
  const dir = mkdtempSync(join(tmpdir(), "deepq-solve-"));
  const t0 = performance.now();
  let reached: { wall: number; steps: number } | null = null;
  let totalSteps = 0;
  try {
    await train(
      { ...preset, agent: { ...preset.agent, seed } },
      {
        runDir: dir,
        onEvent: (e) => {
          if (e.kind === "done") totalSteps = e.step;
          if (e.kind !== "eval") return;
          if (reached === null && e.mean >= GOALS[env]!) reached = { wall: (performance.now() - t0) / 1000, steps: e.step };
        },
      },
    );
    const total = (performance.now() - t0) / 1000;
    const report = (file: string) => {
      const { agent, info } = loadModel(join(dir, file));
      return evaluate(makeTrainEnv(info), (o: Observation) => agent.act(o as Float32Array, { epsilon: 0 }), { episodes: REPORT_EPISODES, seed: REPORT_SEED });
    };
    const best = report("best.safetensors");
    const final = report("model.safetensors");
    const hit = reached as { wall: number; steps: number } | null;
    return {
      seed,
      wall_s: hit ? round(hit.wall) : null,
      steps: hit?.steps ?? null,
      eval_mean: round(best.mean),
      eval_std: round(best.std),
      final_mean: round(final.mean),
      final_std: round(final.std),
      total_steps: totalSteps,
      total_wall_s: round(total),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (v: number) => Number(v.toFixed(2));

/** CleanRL's dqn.py CartPole settings; speeds over the learning phase. */
function cleanrlLoop(asyncEnvs: boolean): Promise<LearningPhaseSpeed> {
  const learningStarts = 10_000;
  return learningPhaseSpeed({
    env: "CartPole-v1",
    asyncEnvs,
    totalSteps: learningStarts + 40_000,
    agent: {
      network: { kind: "mlp", hidden: [120, 84] },
      loss: "mse",
      optimizer: "adam",
      lr: 2.5e-4,
      gamma: 0.99,
      batchSize: 128,
      bufferSize: 10_000,
      learningStarts,
      trainFreq: 1,
      gradientSteps: 1,
      targetUpdateInterval: 500,
      exploration: { kind: "linear", start: 1, end: 0.05, fraction: 0.5 },
      maxGradNorm: null,
      seed: 1,
    },
  });
}

/** The tuned LunarLander preset's learning phase. */
function lunarLanderLoop(asyncEnvs: boolean): Promise<LearningPhaseSpeed> {
  const preset = loadPreset("LunarLander-v3");
  const learningStarts = preset.agent?.learningStarts ?? 0;
  return learningPhaseSpeed({ ...preset, asyncEnvs, totalSteps: learningStarts + 30_000 });
}

function merge(path: string, update: Record<string, unknown>): void {
  let old: Record<string, unknown> = {};
  try {
    old = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    // first run
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ ...old, ...update }, null, 2)}\n`);
}

const seeds = Number(values.seeds);
for (const env of values["loop-only"] ? [] : Object.keys(GOALS)) {
  if (values.only && values.only !== env) continue;
  const rows: SolveRow[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const row = await solve(env, seed);
    rows.push(row);
    console.log(
      `${env} seed ${seed}: goal ${row.wall_s === null ? "not reached" : `at ${row.wall_s} s (${row.steps} steps)`}; ${row.total_steps} steps in ${row.total_wall_s} s; report seeds: selected ${row.eval_mean} ± ${row.eval_std}, final ${row.final_mean} ± ${row.final_std}`,
    );
  }
  merge(join(root, "bench/results/solve.json"), { [env]: rows });
}
if (!values["skip-loop"]) {
  const k = kernelBackendInfo();
  const kernels = { backend: k.backend, threads: k.threads };
  console.log(`kernels ${k.backend}, ${k.threads} thread(s)`);
  const loops: Record<string, unknown> = {};
  for (const [name, run] of [
    ["cleanrl-cartpole", cleanrlLoop],
    ["LunarLander-v3", lunarLanderLoop],
  ] as const) {
    for (const asyncEnvs of [false, true]) {
      const key = asyncEnvs ? `${name}/asyncEnvs` : name;
      const load = loadavg()[0]!;
      const s = await run(asyncEnvs);
      console.log(`${key.padEnd(28)} ${s.stepsPerS.toFixed(0)} steps/s, ${s.stepsPerCpuS.toFixed(0)} per CPU second`);
      // Wall-clock rates on a loaded machine measure the load too: keep it beside them.
      loops[key] = { steps_per_s: Math.round(s.stepsPerS), steps_per_cpu_s: Math.round(s.stepsPerCpuS), kernels, load_avg_1min: Number(load.toFixed(1)) };
    }
  }
  merge(join(root, "bench/results/loop.json"), loops);
}
