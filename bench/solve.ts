/**
 * `npm run bench:solve` (long): the tuned CartPole-v1 and LunarLander-v3 presets on 5 seeds
 * each (and CarRacing-v3 on 3 with `--carracing`: hours), trained as the presets say (their
 * own `stopAtReturn`). For every run: when its periodic evaluation (selection seeds from
 * 1,000,000) first reached the goal (wall-clock s and env steps), the training's env steps and
 * wall-clock time, and the mean over 100 greedy episodes on report seeds (2,000,000–2,000,099,
 * never used for selection) of the model the run selected (best.safetensors, from the run's
 * report.json) and of its final weights (model.safetensors). Also the loop speeds: the CleanRL
 * CartPole loop (an update every step) and the tuned LunarLander preset, each with the envs in
 * the training thread and in a worker thread (`<loop>/asyncEnvs`).
 *
 * Resumable: each preset × seed trains in its own kept run directory, bench/runs/<preset>-s<seed>/
 * (git-ignored). A directory with report.json is done and only read back; one with a checkpoint
 * but no report.json (a bench killed or stopped with Ctrl-C, which checkpoints) is resumed from
 * its checkpoint, so a long bench continues across sessions by running the same command again.
 * Delete a directory to retrain that run. A directory whose run (config.json) differs from the
 * preset and seed in a field they set is refused, naming the fields, so a changed preset is
 * never reported with runs of its old config.
 *
 * Writes bench/results/solve.json ({ "<env>": rows }), the learning curves
 * docs/img/results-<env>.png (mean ± std across seeds of the periodic evaluation), the page
 * docs/results.md (bench/results-page.ts), and bench/results/loop.json
 * ({ "<loop>": { "steps_per_s", "steps_per_cpu_s", "kernels": { "backend", "threads" }, "load_avg_1min" } }).
 *
 *   node --import tsx bench/solve.ts [--seeds 5] [--only CartPole-v1[,LunarLander-v3]] [--carracing]
 *                                    [--skip-loop] [--loop-only] [--page-only] [--steps N]
 *
 * --only picks among CartPole-v1, LunarLander-v3 and CarRacing-v3 (naming CarRacing-v3 there runs it
 * without --carracing); solve.json keeps the other envs' rows. --page-only redraws the figures and
 * the page from solve.json, training nothing: each row keeps its run's curve, so the page does not
 * need the git-ignored run directories (older rows take it from theirs, if still there). --steps N
 * overrides every preset's totalSteps, for smoke tests: those runs go to
 * bench/runs/<preset>-s<seed>-steps<N>/ so they are never taken for full runs (their rows do land
 * in solve.json and the page).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Observation } from "../src/envs/core.js";
import "../src/envs/index.js";
import { loadPreset } from "../src/cli/presets.js";
import { curvesBandPng } from "../src/media/plot.js";
import { kernelBackendInfo } from "../src/nn/kernels/index.js";
import { CHECKPOINT_FILE } from "../src/train/checkpoint.js";
import { makeTrainEnv } from "../src/train/env.js";
import { evaluate } from "../src/train/evaluate.js";
import { CsvLog } from "../src/train/files.js";
import { loadModel } from "../src/train/model-file.js";
import { type RunReport, train } from "../src/train/trainer.js";
import { type LearningPhaseSpeed, learningPhaseSpeed } from "./learning-phase.js";
import { bandAcrossSeeds, type EnvResults, type RunCurve, renderResultsPage, SEED_BARS, type SolveRow, TARGETS } from "./results-page.js";
import { assertRunMatches } from "./run-config.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "5" },
    only: { type: "string" },
    carracing: { type: "boolean", default: false },
    steps: { type: "string" },
    "skip-loop": { type: "boolean", default: false },
    "loop-only": { type: "boolean", default: false },
    "page-only": { type: "boolean", default: false },
  },
});

/** The goal of each env's periodic evaluations (time to goal); the targets (TARGETS) are on the report means. */
const GOALS: Record<string, number> = { "CartPole-v1": 500, "LunarLander-v3": 250, "CarRacing-v3": 900 };
const MLP_PRESETS = ["CartPole-v1", "LunarLander-v3"];
const CARRACING_PRESET = "CarRacing-v3";
const CARRACING_SEEDS = 3;
/** Report episode i uses seed REPORT_SEED + i: apart from the selection seeds (evalSeed, 1,000,000 by default). */
const REPORT_SEED = 2_000_000;
const REPORT_EPISODES = 100;
const REPORT_SEEDS = `${REPORT_SEED}–${REPORT_SEED + REPORT_EPISODES - 1}`;
const SOLVE_JSON = join(root, "bench/results/solve.json");

/** A solve.json row: the page's row and where its run lives (relative to the repository). */
type BenchRow = SolveRow & { run_dir: string };

const seeds = Number(values.seeds);
const stepsOverride = values.steps === undefined ? undefined : Number(values.steps);
if (!Number.isSafeInteger(seeds) || seeds < 1) throw new Error(`--seeds ${values.seeds}: expected a positive integer`);
if (stepsOverride !== undefined && (!Number.isSafeInteger(stepsOverride) || stepsOverride < 1)) {
  throw new Error(`--steps ${values.steps}: expected a positive integer`);
}

function selectedPresets(): string[] {
  if (values.only === undefined) return values.carracing ? [...MLP_PRESETS, CARRACING_PRESET] : MLP_PRESETS;
  const known = [...MLP_PRESETS, CARRACING_PRESET];
  const only = values.only.split(",").map((s) => s.trim());
  for (const p of only) if (!known.includes(p)) throw new Error(`--only ${p}: expected one of ${known.join(", ")}`);
  return only;
}

const runDirOf = (preset: string, seed: number) => join(root, "bench/runs", `${preset}-s${seed}${stepsOverride === undefined ? "" : `-steps${stepsOverride}`}`);

/** Trains (or resumes) the run in `dir` unless it already finished; says which. Returns false when interrupted. */
async function ensureRun(preset: string, seed: number, dir: string, signal: AbortSignal): Promise<boolean> {
  const name = relative(root, dir);
  const config = loadPreset(preset);
  const run = { ...config, ...(stepsOverride !== undefined ? { totalSteps: stepsOverride } : {}), agent: { ...config.agent, seed } };
  if (existsSync(join(dir, "report.json"))) {
    // A finished run is read back, not trained: train() cannot check its config, so this does.
    assertRunMatches(dir, run, name);
    console.log(`${name}: done earlier (report.json), reading its results`);
    return true;
  }
  // A checkpointed run resumes through train(), which refuses a config other than the run's.
  const resume = existsSync(join(dir, "checkpoints", CHECKPOINT_FILE));
  if (!resume) {
    // No checkpoint: whatever is there (logs of a run killed before its first checkpoint) cannot be resumed.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const result = await train(run, {
    runDir: dir,
    resume,
    signal,
    onEvent: (e) => {
      if (e.kind === "start") console.log(`${name}: ${e.resumedFromStep === null ? "training" : `resuming from its checkpoint at step ${e.resumedFromStep}`}`);
      if (e.kind === "warning") console.log(`${name}: ${e.message}`);
    },
  });
  if (result.reason === "interrupted") {
    console.log(`${name}: stopped at step ${result.step}, checkpointed; run the same command again to resume it`);
    return false;
  }
  return true;
}

/** The report-seed evaluation of a model file. */
function reportEval(path: string): { mean: number; std: number; step: number } {
  const { agent, info } = loadModel(path);
  const r = evaluate(makeTrainEnv(info), (o: Observation) => agent.act(o as Float32Array | Uint8Array, { epsilon: 0 }), {
    episodes: REPORT_EPISODES,
    seed: REPORT_SEED,
  });
  return { mean: r.mean, std: r.std, step: info.step };
}

/** The final weights' report evaluation, kept in the run directory (final-report.json) while model.safetensors is unchanged. */
function finalReport(dir: string): { mean: number; std: number; step: number } {
  const model = join(dir, "model.safetensors");
  const cache = join(dir, "final-report.json");
  if (existsSync(cache) && statSync(cache).mtimeMs >= statSync(model).mtimeMs) {
    return JSON.parse(readFileSync(cache, "utf8")) as { mean: number; std: number; step: number };
  }
  const r = reportEval(model);
  writeFileSync(cache, `${JSON.stringify({ model: "model.safetensors", seed: REPORT_SEED, episodes: REPORT_EPISODES, ...r }, null, 2)}\n`);
  return r;
}

const csv = (path: string) => (existsSync(path) ? CsvLog.read(path) : []);

/** A run's curve from its progress.csv rows. */
function curveOf(progress: ReturnType<typeof csv>): RunCurve {
  return { step: progress.map((r) => Number(r.step)), mean: progress.map((r) => round(Number(r.eval_mean))) };
}

/**
 * A row's curve from its run directory, if that directory still holds the row's run: the same
 * report-seed score and the same length. A directory reused by a later run gives null.
 */
function curveOfRow(row: BenchRow): RunCurve | null {
  const dir = join(root, row.run_dir);
  const reportPath = join(dir, "report.json");
  if (!existsSync(reportPath)) return null;
  const { report } = JSON.parse(readFileSync(reportPath, "utf8")) as RunReport;
  const curve = curveOf(csv(join(dir, "progress.csv")));
  const sameRun = round(report.mean) === row.eval_mean && round(report.std) === row.eval_std && curve.step[curve.step.length - 1] === row.total_steps;
  return sameRun ? curve : null;
}

/** One run's row, read from its directory. */
function collect(preset: string, env: string, seed: number, dir: string): BenchRow {
  const reportPath = join(dir, "report.json");
  // report.json is the trainer's own report-seed evaluation of best.safetensors; without it (no report episodes), evaluate here.
  const selected = existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, "utf8")) as RunReport).report : reportEval(join(dir, "best.safetensors"));
  const final = finalReport(dir);
  const progress = csv(join(dir, "progress.csv"));
  const hit = progress.find((r) => Number(r.eval_mean) >= GOALS[env]!);
  // wall_s is cumulative across resumed sessions; the run ends at its last logged eval or episode.
  const lastWall = (rows: ReturnType<typeof csv>) => Number(rows[rows.length - 1]?.wall_s ?? 0);
  return {
    preset,
    seed,
    wall_s: hit ? round(Number(hit.wall_s)) : null,
    steps: hit ? Number(hit.step) : null,
    eval_mean: round(selected.mean),
    eval_std: round(selected.std),
    final_mean: round(final.mean),
    final_std: round(final.std),
    total_steps: final.step,
    total_wall_s: round(Math.max(lastWall(progress), lastWall(csv(join(dir, "episodes.csv"))))),
    report_seeds: REPORT_SEEDS,
    run_dir: relative(root, dir),
    curve: curveOf(progress),
  };
}

const round = (v: number) => Number(v.toFixed(2));

function readSolveJson(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(SOLVE_JSON, "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * docs/img/results-<env>.png and docs/results.md from solve.json. A row without its curve (written
 * before solve.json kept them) takes it from its run directory, and solve.json keeps it from then on.
 */
function writePage(): void {
  const all = readSolveJson();
  const envs: EnvResults[] = [];
  let backfilled = false;
  for (const [env, target] of Object.entries(TARGETS)) {
    // Rows from before the run directories were kept (no preset, no run_dir) cannot be drawn.
    const rows = ((all[env] ?? []) as Partial<BenchRow>[]).filter((r): r is BenchRow => typeof r.preset === "string" && typeof r.run_dir === "string");
    if (rows.length === 0) continue;
    for (const r of rows) {
      if (r.curve !== undefined) continue;
      const curve = curveOfRow(r);
      if (curve === null) continue;
      r.curve = curve;
      backfilled = true;
    }
    const missingCurves = rows.filter((r) => r.curve === undefined).map((r) => r.seed);
    const series = [...new Set(rows.map((r) => r.preset))].map((preset) => {
      const band = bandAcrossSeeds(rows.filter((r) => r.preset === preset).map((r) => r.curve ?? { step: [], mean: [] }));
      return { label: preset, ...band };
    });
    let image: string | null = null;
    if (missingCurves.length === 0 && series.some((s) => s.x.length > 0)) {
      image = `img/results-${env}.png`;
      const png = curvesBandPng({
        title: `${env}: periodic evaluation across seeds`,
        xLabel: "environment steps",
        yLabel: "eval return",
        series,
        hline: { y: target, label: `target ${target}` },
      });
      mkdirSync(join(root, "docs/img"), { recursive: true });
      writeFileSync(join(root, "docs", image), png);
    }
    envs.push({ env, target, rows, image, missingCurves, carried: series.some((s) => s.carried), seedBar: SEED_BARS[env] });
  }
  if (backfilled) merge(SOLVE_JSON, all);
  const k = kernelBackendInfo();
  const md = renderResultsPage({
    date: new Date().toISOString().slice(0, 10),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model.trim() ?? "unknown CPU", kernels: `${k.backend}, ${k.threads} thread(s)` },
    command: "npm run bench:solve",
    envs,
  });
  writeFileSync(join(root, "docs/results.md"), md);
  console.log(`wrote docs/results.md${envs.some((e) => e.image) ? " and docs/img/results-*.png" : ""}`);
}

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

// Ctrl-C or a kill: a training in progress checkpoints before it stops, so running the same command again resumes it.
const controller = new AbortController();
let training = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => (training ? controller.abort() : process.exit(130)));

if (values["page-only"]) writePage();
else {
  if (!values["loop-only"]) {
    console.log("runs are kept in bench/runs/<preset>-s<seed>/: finished ones (report.json) are read back, checkpointed ones resumed");
    for (const preset of selectedPresets()) {
      const env = loadPreset(preset).env;
      const rows: BenchRow[] = [];
      const n = preset === CARRACING_PRESET ? Math.min(seeds, CARRACING_SEEDS) : seeds;
      for (let seed = 0; seed < n; seed++) {
        const dir = runDirOf(preset, seed);
        training = true;
        const completed = await ensureRun(preset, seed, dir, controller.signal);
        training = false;
        if (!completed) process.exit(130);
        const row = collect(preset, env, seed, dir);
        rows.push(row);
        console.log(
          `${preset} seed ${seed}: goal ${row.wall_s === null ? "not reached" : `at ${row.wall_s} s (${row.steps} steps)`}; ${row.total_steps} steps in ${row.total_wall_s} s; report seeds: selected ${row.eval_mean} ± ${row.eval_std}, final ${row.final_mean} ± ${row.final_std}`,
        );
      }
      merge(SOLVE_JSON, { [env]: rows });
    }
    writePage();
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
}
