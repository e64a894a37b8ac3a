/**
 * `npm run bench:carracing`: the CarRacing training loop end to end (env, image pipeline,
 * replay, action selection, updates), measured in the learning phase, plus the replay
 * memory figures. Cases: `seed-carracing` (Nature CNN, an update every agent step), the
 * tuned `CarRacing-v3` preset as it is (an update every 8 agent steps, DrQ shift) and with an update
 * every 4 agent steps (`CarRacing-v3/trainFreq4`), each with the envs stepped in the
 * training thread (asyncEnvs false) and in a worker thread (`<case>/asyncEnvs`).
 * Writes bench/results/carracing.json:
 *   { "kernels": { "backend", "threads" }, "load_avg_1min_at_start",
 *     "<case>", "<case>/asyncEnvs": { "steps_per_s", "updates_per_s", "steps_per_cpu_s" }, …,
 *     "replay_bytes_per_transition", "rss_mb_buffer_1e5" }
 *
 *   node --import tsx bench/carracing.ts [--steps 3000] [--only seed-carracing] [--async-envs off|on|both]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DQNAgent } from "../src/agents/dqn.js";
import "../src/envs/index.js";
import { loadPreset } from "../src/cli/presets.js";
import { kernelBackendInfo } from "../src/nn/kernels/index.js";
import { ImageReplayBuffer } from "../src/replay/image-replay-buffer.js";
import { learningPhaseSpeed } from "./learning-phase.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "3000" },
    only: { type: "string" },
    "async-envs": { type: "string", default: "both" },
    "rss-probe": { type: "boolean", default: false },
  },
});

/** Child-process mode: the Nature-CNN agent and a full 1e5-transition image buffer, then RSS. */
function rssProbe(): void {
  const agent = new DQNAgent(
    { observationShape: [4, 84, 84], observationType: "uint8", nActions: 5 },
    { network: { kind: "nature-cnn" }, batchSize: 32, bufferSize: 100_000 },
  );
  const buf = new ImageReplayBuffer({ capacity: 100_000, frameShape: [84, 84], stack: 4, allocate: "eager" });
  const frame = new Uint8Array(84 * 84);
  buf.addFirst(frame);
  for (let t = 0; t < 100_000; t++) {
    frame[t % frame.length] = t & 255;
    const end = t % 250 === 249;
    buf.add(t % 5, -0.1, frame, false, end);
    if (end) buf.addFirst(frame);
  }
  const batch = buf.createBatch(32);
  buf.sample(32, batch);
  agent.trainStep(batch);
  process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss, bufferBytes: buf.memoryBytes })}\n`);
}

/** The measured cases: a preset, optionally with another update interval. */
const CASES: { name: string; preset: string; trainFreq?: number }[] = [
  { name: "seed-carracing", preset: "seed-carracing" },
  { name: "CarRacing-v3", preset: "CarRacing-v3" },
  { name: "CarRacing-v3/trainFreq4", preset: "CarRacing-v3", trainFreq: 4 },
];

interface CaseSpeed {
  steps_per_s: number;
  updates_per_s: number;
  steps_per_cpu_s: number;
}

/** Agent steps/s and updates/s of a case's learning phase (wall clock), and agent steps per CPU second. */
async function learningSpeed(c: (typeof CASES)[number], steps: number, asyncEnvs: boolean): Promise<CaseSpeed> {
  const cfg = loadPreset(c.preset);
  const learningStarts = 1000;
  const trainFreq = c.trainFreq ?? cfg.agent?.trainFreq ?? 1;
  const s = await learningPhaseSpeed({
    ...cfg,
    asyncEnvs,
    totalSteps: learningStarts + steps,
    agent: { ...cfg.agent, trainFreq, learningStarts, exploration: { kind: "linear", start: 1, end: 0.1, steps: 1_000_000 } },
  });
  const updates = (s.stepsPerS * (cfg.agent?.gradientSteps ?? 1)) / trainFreq;
  return { steps_per_s: round1(s.stepsPerS), updates_per_s: round1(updates), steps_per_cpu_s: round1(s.stepsPerCpuS) };
}

const round1 = (v: number) => Number(v.toFixed(1));

if (values["rss-probe"]) {
  rssProbe();
} else {
  const steps = Number(values.steps);
  const results: Record<string, unknown> = {};
  const outPath = join(root, "bench/results/carracing.json");
  try {
    Object.assign(results, JSON.parse(readFileSync(outPath, "utf8")) as object);
  } catch {
    // first run
  }
  const k = kernelBackendInfo();
  results.kernels = { backend: k.backend, threads: k.threads };
  // Wall-clock rates on a loaded machine measure the load too: keep it beside them.
  results.load_avg_1min_at_start = Number(loadavg()[0]!.toFixed(1));
  console.log(`kernels ${k.backend}, ${k.threads} thread(s)`);
  const modes = { off: [false], on: [true], both: [false, true] }[values["async-envs"]!];
  if (modes === undefined) throw new Error(`--async-envs ${values["async-envs"]}: expected off, on or both`);
  for (const c of CASES) {
    if (values.only && values.only !== c.name) continue;
    for (const asyncEnvs of modes) {
      const name = asyncEnvs ? `${c.name}/asyncEnvs` : c.name;
      const r = await learningSpeed(c, steps, asyncEnvs);
      results[name] = r;
      console.log(
        `${name.padEnd(34)} ${r.steps_per_s} agent steps/s, ${r.updates_per_s} updates/s in the learning phase (${r.steps_per_cpu_s} per CPU second)`,
      );
    }
  }
  results.replay_bytes_per_transition = ImageReplayBuffer.bytesFor({ capacity: 1_000_000, frameShape: [84, 84], stack: 4 }) / 1_000_000;
  const probe = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--rss-probe"], { encoding: "utf8", cwd: root });
  if (probe.status !== 0) throw new Error(`rss probe failed: ${probe.stderr}`);
  const { rss } = JSON.parse(probe.stdout.trim().split("\n").pop()!) as { rss: number };
  results.rss_mb_buffer_1e5 = Number((rss / 2 ** 20).toFixed(0));
  console.log(`replay bytes per 84×84 transition: ${results.replay_bytes_per_transition}; RSS with a full 1e5 buffer: ${results.rss_mb_buffer_1e5} MB`);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
}
