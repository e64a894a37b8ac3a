/**
 * `npm run bench:carracing`: the CarRacing training loop end to end (env, image pipeline,
 * replay, action selection, updates), measured in the learning phase, plus the replay
 * memory figures. Writes bench/results/carracing.json:
 *   { "seed-carracing": { "steps_per_s" }, "CarRacing-v3": { "steps_per_s" },
 *     "replay_bytes_per_transition", "rss_mb_buffer_1e5" }
 *
 *   node --import tsx bench/carracing.ts [--steps 3000] [--only seed-carracing]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DQNAgent } from "../src/agents/dqn.js";
import "../src/envs/index.js";
import { loadPreset } from "../src/cli/presets.js";
import { ImageReplayBuffer } from "../src/replay/image-replay-buffer.js";
import { learningPhaseSpeed } from "./learning-phase.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { steps: { type: "string", default: "3000" }, only: { type: "string" }, "rss-probe": { type: "boolean", default: false } },
});

/** Child-process mode: the Nature-CNN agent and a full 1e5-transition image buffer, then RSS. */
function rssProbe(): void {
  const agent = new DQNAgent({ observationShape: [4, 84, 84], observationType: "uint8", nActions: 5 }, { network: { kind: "nature-cnn" }, batchSize: 32, bufferSize: 100_000 });
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

function learningSpeed(preset: string, steps: number): Promise<number> {
  const cfg = loadPreset(preset);
  const learningStarts = 1000;
  return learningPhaseSpeed({
    ...cfg,
    totalSteps: learningStarts + steps,
    agent: { ...cfg.agent, learningStarts, exploration: { kind: "linear", start: 1, end: 0.1, steps: 1_000_000 } },
  });
}

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
  for (const preset of ["seed-carracing", "CarRacing-v3"]) {
    if (values.only && values.only !== preset) continue;
    const sps = await learningSpeed(preset, steps);
    results[preset] = { steps_per_s: Number(sps.toFixed(1)) };
    console.log(`${preset.padEnd(16)} ${sps.toFixed(1)} agent steps/s in the learning phase`);
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
