/**
 * Digests of what the refactors of issue "one of each thing" must leave unchanged, bit
 * for bit: CarRacing state pixels and video frames, LunarLander observations and frames,
 * rewards and flags over seeded episodes; replay batches for a fixed seed (exact resume
 * depends on them); the returns plot and a captioned frame. `npx tsx test/golden/hashes.ts`
 * prints them, for recording on a known-good commit.
 */
import { createHash, type Hash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { CarRacing } from "../../src/envs/car-racing.js";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import type { Action, Env } from "../../src/envs/core.js";
import { LunarLander } from "../../src/envs/lunar-lander.js";
import { captionFrame, returnsPlotRaster } from "../../src/media/index.js";
import { type ImageBatch, ImageReplayBuffer, PrioritizedReplay, ReplayBuffer, type VectorBatch } from "../../src/replay/index.js";
import { FrameSkip } from "../../src/wrappers/frame-skip.js";

function addNumbers(h: Hash, ...values: number[]): void {
  h.update(new Uint8Array(new Float64Array(values).buffer));
}

/** Steps `env` for `steps` seeded random actions (resetting at episode end), hashing observations, rewards, flags and every `renderEvery`-th rendered frame. */
function episodeDigest(env: Env<Float32Array | Uint8Array, Action>, seed: number, steps: number, renderEvery: number): string {
  const h = createHash("sha256");
  env.actionSpace.seed(seed);
  let r = env.reset({ seed });
  h.update(new Uint8Array(r.obs.buffer, r.obs.byteOffset, r.obs.byteLength));
  for (let t = 0; t < steps; t++) {
    const s = env.step(env.actionSpace.sample());
    h.update(new Uint8Array(s.obs.buffer, s.obs.byteOffset, s.obs.byteLength));
    addNumbers(h, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0);
    if (renderEvery > 0 && t % renderEvery === 0) h.update(env.render().data);
    if (s.terminated || s.truncated) r = env.reset();
  }
  return h.digest("hex");
}

function vectorReplayDigest(prioritized: boolean): string {
  const buf = new ReplayBuffer({ capacity: 64, obsSize: 3, numEnvs: 2, nStep: 3, gamma: 0.9, seed: 5 });
  const h = createHash("sha256");
  const batch = buf.createBatch(16);
  const per = prioritized ? new PrioritizedReplay(buf, { alpha: 0.6, beta: 0.4, eps: 1e-6 }) : null;
  for (let t = 0; t < 100; t++) {
    const obs = [t, t + 0.5, -t, 2 * t, t / 3, 7];
    buf.addBatch(
      obs,
      [t % 4, (t + 1) % 4],
      [t * 0.1, -t * 0.2],
      obs.map((v) => v + 1),
      [t % 17 === 5, false],
      [false, t % 11 === 3],
    );
    if (t >= 8 && t % 3 === 0) sampleAndHash(h, buf, per, batch);
  }
  return h.digest("hex");
}

function imageReplayDigest(prioritized: boolean): string {
  const buf = new ImageReplayBuffer({ capacity: 40, frameShape: [4, 4], stack: 3, numEnvs: 2, nStep: 3, gamma: 0.9, seed: 9 });
  const h = createHash("sha256");
  const batch = buf.createBatch(8);
  const per = prioritized ? new PrioritizedReplay(buf, { alpha: 0.6, beta: 0.4, eps: 1e-6 }) : null;
  const frames = (t: number) => Uint8Array.from({ length: 32 }, (_, i) => (t * 7 + i) & 255);
  buf.addFirstBatch(frames(0));
  for (let t = 1; t < 120; t++) {
    const term = [t % 13 === 0, false];
    const trunc = [false, t % 19 === 0];
    buf.addBatch([t % 5, (t + 2) % 5], [t * 0.25, -1], frames(t), term, trunc, frames(1000 + t));
    if (t >= 6 && t % 4 === 0) sampleAndHash(h, buf, per, batch);
  }
  return h.digest("hex");
}

/** Fills the whole batch, uniformly or (with `per`) by priority, then feeds the rewards back as priorities; hashes every column. */
function sampleAndHash<B extends VectorBatch | ImageBatch>(
  h: Hash,
  buf: { sample(n: number, out: B): void },
  per: PrioritizedReplay<B> | null,
  batch: B,
): void {
  if (per !== null) {
    per.sample(batch.capacity, batch, 0.5);
    per.updatePriorities(batch.indices, batch.rewards, batch.size);
  } else buf.sample(batch.capacity, batch);
  hashBatch(h, batch);
}

function hashBatch(h: Hash, b: VectorBatch | ImageBatch): void {
  for (const a of [b.obs, b.nextObs, b.actions, b.rewards, b.dones, b.discounts, b.nSteps, b.indices, b.weights]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
}

function plotDigest(): string {
  const data = {
    title: "CartPole-v1 ± [x]",
    episodes: Array.from({ length: 300 }, (_, i) => ({ step: (i + 1) * 100, ret: 50 * Math.sin(i / 20) + i })),
    evals: [
      { step: 10_000, mean: 100, std: 10 },
      { step: 20_000, mean: 200, std: 20 },
      { step: 30_000, mean: 290, std: 5 },
    ],
    target: { value: 250, label: "solved" },
  };
  const h = createHash("sha256");
  h.update(returnsPlotRaster(data, { width: 640, height: 400 }).data);
  h.update(returnsPlotRaster({ title: "empty", episodes: [], evals: [] }).data);
  const frame = Uint8Array.from({ length: 160 * 90 * 3 }, (_, i) => (i * 31) & 255);
  captionFrame(frame, 160, 90, "episode 3  return -12.5");
  captionFrame(frame, 160, 90, "x", 3);
  h.update(frame);
  return h.digest("hex");
}

export function goldenDigests(): Record<string, string> {
  return {
    "CartPole-v1 frames": episodeDigest(new CartPoleEnv(), 5, 300, 1),
    "CarRacing-v3 discrete": episodeDigest(new CarRacing({ continuous: false }, "v3"), 3, 400, 50),
    "CarRacing-v3 continuous": episodeDigest(new CarRacing({}, "v3"), 11, 300, 75),
    "CarRacing-v2 domain randomize": episodeDigest(new CarRacing({ continuous: false, domainRandomize: true }, "v2"), 4, 200, 100),
    "CarRacing-v3 FrameSkip(4) skipped frames": episodeDigest(new FrameSkip(new CarRacing({ continuous: false }, "v3"), 4), 8, 120, 0),
    "LunarLander-v3 discrete": episodeDigest(new LunarLander({}, "v3"), 1, 1500, 7),
    "LunarLander-v3 continuous wind": episodeDigest(new LunarLander({ continuous: true, enableWind: true }, "v3"), 2, 1500, 13),
    "ReplayBuffer n-step": vectorReplayDigest(false),
    "ReplayBuffer prioritized": vectorReplayDigest(true),
    "ImageReplayBuffer n-step": imageReplayDigest(false),
    "ImageReplayBuffer prioritized": imageReplayDigest(true),
    "returns plot and captions": plotDigest(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) console.log(JSON.stringify(goldenDigests(), null, 2));
