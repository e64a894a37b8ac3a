/**
 * docs/results.md from the rows and curves `bench:solve` collects: pure functions of their
 * input (no files, clock or machine reads), so the page is tested on synthetic rows and
 * `--page-only` redraws it from bench/results/solve.json, which keeps each run's curve.
 */

/** One preset × seed run, as in bench/results/solve.json. */
export interface SolveRow {
  preset: string;
  seed: number;
  /** When a periodic evaluation (selection seeds) first reached the env's goal; null if none did. */
  wall_s: number | null;
  steps: number | null;
  /** The selected model (best.safetensors) on the report seeds. */
  eval_mean: number;
  eval_std: number;
  /** The final weights (model.safetensors) on the report seeds. */
  final_mean: number;
  final_std: number;
  /** Env steps and wall-clock seconds of the whole training (across resumed sessions). */
  total_steps: number;
  total_wall_s: number;
  /** The report seed range, e.g. "2000000–2000099". */
  report_seeds: string;
  /**
   * The run's periodic evaluations, kept so the figure can be redrawn once the (git-ignored) run
   * directory is gone. Rows written before it was kept lack it.
   */
  curve?: RunCurve;
}

/** Periodic evaluation means of one run: `mean[i]` at env step `step[i]`. */
export interface RunCurve {
  step: readonly number[];
  mean: readonly number[];
}

/** Mean ± std across runs on a common step grid. */
export interface SeedBand {
  x: number[];
  mean: number[];
  std: number[];
  /** Some run had stopped (e.g. at `stopAtReturn`) before the last step and was carried forward. */
  carried: boolean;
}

export interface EnvResults {
  env: string;
  /** The score Gymnasium counts as solved. */
  target: number;
  rows: readonly SolveRow[];
  /** The learning-curve figure, relative to docs/ (null when some seed's curve is missing). */
  image: string | null;
  /** Seeds whose curve is neither in solve.json nor in a run directory still holding their run: the figure would leave them out, so there is none. */
  missingCurves?: readonly number[];
  /** Whether the figure carries early-stopped runs forward. */
  carried: boolean;
  /** The per-seed bar (SEED_BARS), if the env has one. */
  seedBar?: number | undefined;
}

export interface PageData {
  /** ISO date of generation. */
  date: string;
  machine: { cores: number; cpu: string; kernels: string };
  command: string;
  envs: readonly EnvResults[];
}

/** Gymnasium's reward thresholds. */
export const TARGETS: Readonly<Record<string, number>> = { "CartPole-v1": 475, "LunarLander-v3": 200, "CarRacing-v3": 900 };
/** A lower bar every training seed's selected model should clear where the target is for the shipped agent only. */
export const SEED_BARS: Readonly<Record<string, number>> = { "CarRacing-v3": 850 };

/**
 * Aligns runs on the steps every run evaluated at, counting a run that had already stopped
 * as evaluated there: it is carried forward at its last value, as an early-stopped run would
 * have stayed at the goal it stopped on.
 */
export function bandAcrossSeeds(runs: readonly RunCurve[]): SeedBand {
  const live = runs.filter((r) => r.step.length > 0);
  const steps = [...new Set(live.flatMap((r) => r.step))].sort((a, b) => a - b);
  const out: SeedBand = { x: [], mean: [], std: [], carried: false };
  const last = (r: RunCurve) => r.step[r.step.length - 1]!;
  for (const s of steps) {
    const values: number[] = [];
    for (const r of live) {
      const i = r.step.indexOf(s);
      if (i >= 0) values.push(r.mean[i]!);
      else if (last(r) < s) values.push(r.mean[r.mean.length - 1]!);
    }
    if (values.length < live.length) continue;
    if (live.some((r) => last(r) < s)) out.carried = true;
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    out.x.push(s);
    out.mean.push(m);
    out.std.push(Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length));
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const f1 = (v: number) => v.toFixed(1);
const pm = (mean: number, std: number) => `${f1(mean)} ± ${f1(std)}`;
const steps = (v: number) => v.toLocaleString("en-US");

function duration(s: number): string {
  if (s < 120) return `${f1(s)} s`;
  if (s < 7200) return `${f1(s / 60)} min`;
  return `${f1(s / 3600)} h`;
}

function envSection(e: EnvResults): string[] {
  const out = [`## ${e.env}`, ""];
  if (e.rows.length === 0) return [...out, "No runs yet.", ""];
  out.push(
    "| preset | seed | env steps | wall time | first eval ≥ goal (steps) | selected model, report seeds | final weights, report seeds |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of e.rows) {
    const goal = r.steps === null ? "—" : steps(r.steps);
    out.push(
      `| ${r.preset} | ${r.seed} | ${steps(r.total_steps)} | ${duration(r.total_wall_s)} | ${goal} | ${pm(r.eval_mean, r.eval_std)} | ${pm(r.final_mean, r.final_std)} |`,
    );
  }
  const sel = e.rows.map((r) => r.eval_mean);
  const fin = e.rows.map((r) => r.final_mean);
  const reached = sel.filter((v) => v >= e.target).length;
  out.push(
    "",
    `Across ${e.rows.length} seed(s): selected model median ${f1(median(sel))}, min ${f1(Math.min(...sel))}; final weights median ${f1(median(fin))}, min ${f1(Math.min(...fin))}. ` +
      `**${reached} / ${e.rows.length}** seeds reach the target ${e.target} with the selected model (${fin.filter((v) => v >= e.target).length} / ${e.rows.length} with the final weights).` +
      (e.seedBar === undefined
        ? ""
        : ` **${sel.filter((v) => v >= e.seedBar!).length} / ${e.rows.length}** reach ${e.seedBar}, the bar for every training seed (${fin.filter((v) => v >= e.seedBar!).length} / ${e.rows.length} with the final weights).`),
    "",
  );
  if (e.missingCurves !== undefined && e.missingCurves.length > 0) {
    out.push(
      `No learning-curve figure: seed(s) ${e.missingCurves.join(", ")} have no stored curve and no run directory holding their run, and a band without them would misstate the spread across seeds. \`npm run bench:solve -- --only ${e.env}\` retrains them (on the same kernels the same seed and preset give the same run).`,
      "",
    );
  }
  if (e.image !== null) {
    const carried = e.carried ? " Runs that stopped early at the preset's `stopAtReturn` are carried forward at their last evaluation." : "";
    out.push(
      `![${e.env} learning curves](${e.image})`,
      "",
      `*Periodic evaluation (selection seeds) against env steps: mean ± std across seeds, on the steps all runs share.${carried} The dashed line is the target.*`,
      "",
    );
  }
  return out;
}

const ANCHORS: ReadonlyArray<readonly [string, string, string, string]> = [
  ["CarRacing-v3", "World Models", "906 ± 21", "Ha & Schmidhuber 2018"],
  ["CarRacing-v3", "attention agent", "914 ± 15", "Tang et al. 2020"],
  ["CarRacing-v3", "genetic algorithm", "903 ± 73", "—"],
  ["CarRacing-v3", "PPO-LSTM", "862 ± 97", "rl-baselines3-zoo benchmark"],
  ["CarRacing-v3", "SB3 DQN", "848 ± 146 (20 episodes)", "—"],
  ["CarRacing-v3", "best self-reported discrete DQN (Double DQN with dropout)", "906.67 ± 23.6 (100 tracks)", "self-reported"],
  ["CarRacing-v3", "the Python notebooks deepq replaces (DQN)", "never learned to drive in ~100 hours", "—"],
  ["CartPole-v1", "Gymnasium threshold", "475", "Gymnasium"],
  ["LunarLander-v3", "Gymnasium threshold", "200", "Gymnasium"],
  ["CarRacing-v3", "Gymnasium threshold", "900", "Gymnasium"],
];

export function renderResultsPage(d: PageData): string {
  const out = [
    `<!-- Generated by \`npm run bench:solve\` (bench/solve.ts); do not edit. Regenerate the page alone from bench/results/solve.json with \`npm run bench:solve -- --page-only\`. -->`,
    "",
    "# Results",
    "",
    `The tuned presets trained on several seeds each, generated ${d.date} on ${d.machine.cores} cores (${d.machine.cpu}), kernels ${d.machine.kernels}, by \`${d.command}\`.`,
    "",
    "Every run evaluates periodically on the *selection seeds* (episode i on seed 1,000,000 + i) and keeps the best of those",
    "evaluations as its selected model (best.safetensors). The figures below are that model, and the run's final weights, each",
    "evaluated greedily on 100 *report seeds* (2,000,000–2,000,099) that selection never saw, so picking the best checkpoint",
    "does not flatter the score. Wall times are as measured on this machine, possibly under other load.",
    "",
  ];
  for (const e of d.envs) out.push(...envSection(e));
  const missing = Object.keys(TARGETS).filter((env) => !d.envs.some((e) => e.env === env));
  if (missing.length > 0) {
    out.push(`Not on this page yet: ${missing.join(", ")} (\`npm run bench:solve -- --only ${missing.join(",")}\`; CarRacing takes hours per seed).`, "");
  }
  out.push("## Anchors", "", "Published reference numbers, for scale (not run here).", "", "| env | agent | score | source |", "|---|---|---|---|");
  for (const [env, agent, score, source] of ANCHORS) out.push(`| ${env} | ${agent} | ${score} | ${source} |`);
  out.push("");
  return out.join("\n");
}
