/**
 * `npm run bench:envs`: raw environment steps per second (no wrappers, no TimeLimit),
 * random actions, one core, resetting at episode end. Writes bench/results/envs.json
 * as `{ "<env id>": { "steps_per_s": n } }`. Ids not yet registered are skipped.
 *
 * Then agent steps per second of CarRacing-v3 through the DQN image pipeline
 * (`dqnImagePipeline(make("CarRacing-v3", { continuous: false }))`: TimeLimit, 50 no-ops per
 * reset, FrameSkip(4), crop, gray, stack), with FrameSkip's observation skipping (the
 * default) and without it, in the same process: `"CarRacing-v3 dqnImagePipeline":
 * { "agent_steps_per_s", "agent_steps_per_s_no_skip" }`.
 *
 *   node --import tsx bench/envs.ts [--seconds 2]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerBuiltins } from "../src/envs/builtins.js";
import type { Action, Env } from "../src/envs/core.js";
import { make, registration } from "../src/envs/registry.js";
import { Crop, DEFAULT_CROP, dqnImagePipeline, FrameSkip, FrameStack, GrayScale, NoopReset } from "../src/wrappers/index.js";

interface Case {
  id: string;
  options: Record<string, unknown>;
  /** Issue #3: Gymnasium 0.29.1 on the reference machine, and deepq's target. */
  gymnasium: number;
  target: number;
}

const CASES: Case[] = [
  { id: "CartPole-v1", options: {}, gymnasium: 78_000, target: 2_000_000 },
  { id: "LunarLander-v3", options: {}, gymnasium: 15_600, target: 60_000 },
  { id: "CarRacing-v3", options: { continuous: false }, gymnasium: 81, target: 5_000 },
];

/** Actions are drawn up front so the sampler's cost is not counted as env time; a power of two for masking. */
const ACTION_POOL = 4096;
/** Steps between clock reads: small enough for CarRacing, large enough to hide the clock for CartPole. */
const CHUNK = 256;
const WARMUP_FRACTION = 0.25;

function parseSeconds(argv: readonly string[]): number {
  const i = argv.indexOf("--seconds");
  if (i < 0) return 2;
  const v = Number(argv[i + 1]);
  if (!(v > 0)) throw new Error(`bench:envs: --seconds must be a positive number, got ${JSON.stringify(argv[i + 1])}`);
  return v;
}

function actionPool(env: Env): Action[] {
  env.actionSpace.seed(0);
  const pool: Action[] = [];
  for (let i = 0; i < ACTION_POOL; i++) pool.push(env.actionSpace.sample());
  return pool;
}

/** Steps for `seconds`, resetting at episode end (resets are counted in the time); returns steps per second. */
function run(env: Env, actions: readonly Action[], seconds: number): number {
  let steps = 0;
  let episodes = 0;
  let sink = 0;
  const mask = actions.length - 1;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < CHUNK; i++) {
      const r = env.step(actions[(steps + i) & mask]!);
      sink += r.reward;
      if (r.terminated || r.truncated) {
        env.reset();
        episodes++;
      }
    }
    steps += CHUNK;
    now = performance.now();
  }
  // Keeps the loop observable so nothing is optimized away.
  if (Number.isNaN(sink) || episodes < 0) console.log("unexpected", sink);
  return steps / ((now - start) / 1000);
}

function main(): void {
  const seconds = parseSeconds(process.argv.slice(2));
  registerBuiltins();
  const results: Record<string, Record<string, number>> = {};
  const rows: string[][] = [];
  for (const c of CASES) {
    if (registration(c.id) === undefined) {
      rows.push([c.id, "not registered", "", "", ""]);
      continue;
    }
    const env = make(c.id, { ...c.options, maxEpisodeSteps: null });
    const actions = actionPool(env);
    env.reset({ seed: 0 });
    run(env, actions, seconds * WARMUP_FRACTION);
    const sps = run(env, actions, seconds);
    env.close();
    results[c.id] = { steps_per_s: Math.round(sps) };
    rows.push([
      c.id,
      Math.round(sps).toLocaleString("en-US"),
      c.target.toLocaleString("en-US"),
      `${(sps / c.target).toFixed(2)}×`,
      `${(sps / c.gymnasium).toFixed(1)}×`,
    ]);
  }
  const header = ["env", "steps/s", "target", "of target", "vs Gymnasium 0.29 (issue #3)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));

  const pipeId = "CarRacing-v3";
  if (registration(pipeId) !== undefined) {
    const measure = (env: Env) => {
      const actions = actionPool(env);
      env.reset({ seed: 0 });
      run(env, actions, seconds * WARMUP_FRACTION);
      const sps = run(env, actions, seconds);
      env.close();
      return sps;
    };
    const raw = () => make(pipeId, { continuous: false });
    const skip = measure(dqnImagePipeline(raw()));
    // The same chain with every frame drawn (FrameSkip told not to skip).
    const noSkip = measure(
      new FrameStack(new GrayScale(new Crop(new FrameSkip(new NoopReset(raw(), { noops: 50 }), 4, { skipObservations: false }), DEFAULT_CROP)), 4),
    );
    results[`${pipeId} dqnImagePipeline`] = { agent_steps_per_s: Math.round(skip), agent_steps_per_s_no_skip: Math.round(noSkip) };
    console.log(
      `${pipeId} through dqnImagePipeline: ${Math.round(skip).toLocaleString("en-US")} agent steps/s ` +
        `(${Math.round(noSkip).toLocaleString("en-US")} drawing every skipped frame, ${(skip / noSkip).toFixed(2)}×)`,
    );
  }

  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "envs.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main();
