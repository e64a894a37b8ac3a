import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { registerBuiltins } from "../../src/envs/builtins.js";
import { CarRacing } from "../../src/envs/car-racing.js";
import type { Env, StepResult } from "../../src/envs/core.js";
import { make } from "../../src/envs/registry.js";
import { Box, Discrete } from "../../src/envs/spaces.js";
import { Crop } from "../../src/wrappers/crop.js";
import { FrameSkip } from "../../src/wrappers/frame-skip.js";
import { GrayScale } from "../../src/wrappers/gray-scale.js";
import { fixtureMeta, fixturesDir, loadFixture } from "../helpers/fixtures.js";

registerBuiltins();

/**
 * Tolerances. The track is RNG-driven: x, y and beta must be bit-identical; alpha may
 * differ by one ulp (glibc's atan2 is not correctly rounded at a few near-midpoint
 * arguments; alpha only feeds comparisons, so nothing downstream changes).
 * Box2D is float32, planck float64: over the first POSE_STEPS steps the hull must stay
 * within POSE_TOL (metres, radians, m/s); rewards and flags are compared exactly over
 * whole episodes (tile visits have not shifted by a step in any fixture), returns
 * within 2%. Frames: mean absolute error per byte ≤ FRAME_MAE (3/255) for each frame, and
 * ≤ FRAME_MAE_MEAN (1/255) averaged over a file's frames (a systematic colour or position
 * error shows there first; observed: 0.14–0.62 per frame, ≤ 0.33 per file); every recorded
 * frame must be compared (an episode ending early would otherwise skip the later ones).
 */
const POSE_STEPS = 100;
const POSE_TOL = [1e-3, 1e-3, 1e-4, 1e-3, 1e-3];
const FRAME_MAE = 3;
const FRAME_MAE_MEAN = 1;
/** One ulp of alpha (alpha < 8). */
const alphaTol = (a: number) => Math.abs(a) * 2.23e-16;
/** Rewards are exact this long; after it a tile may be entered a step earlier or later (float32 drift). */
const REWARD_EXACT_STEPS = 300;

const carFiles = ["gymnasium-0.29", "gymnasium-1.2"].flatMap((d) =>
  readdirSync(join(fixturesDir, d))
    .filter((f) => f.startsWith("CarRacing"))
    .map((f) => `${d}/${f}`),
);

interface Meta {
  env_id: string;
  seed: number;
  kwargs?: Record<string, unknown>;
  steps?: number;
  return?: number;
}

function versionOf(id: string): "v2" | "v3" {
  return id.endsWith("-v2") ? "v2" : "v3";
}

function mae(a: Uint8Array, b: Uint8Array, off: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[off + i]!);
  return s / a.length;
}

for (const file of carFiles) {
  test(`${file}: track, rewards, flags, hull pose and frames match Gymnasium`, () => {
    const f = loadFixture(file);
    const meta = fixtureMeta<Meta>(f);
    const version = versionOf(meta.env_id);
    const continuous = f.tensors.get("actions")!.dtype === "F32";
    // Through make: options as given to Gymnasium (snake_case), TimeLimit(1000) as registered.
    const env = make(meta.env_id, { ...(meta.kwargs ?? {}), continuous });
    const raw = (env as unknown as { unwrapped: Env }).unwrapped as CarRacing;
    assert.ok(raw instanceof CarRacing);
    assert.equal(raw.version, version);
    const frames = f.tensors.get("frames")!.data as Uint8Array;
    const nFrames = f.tensors.get("frames")!.shape[0]!;
    const frameStepsT = f.tensors.get("frame_steps");
    // The continuous files hold frames at reset and every 40 steps.
    const frameSteps = frameStepsT ? Array.from(frameStepsT.data as BigInt64Array, Number) : Array.from({ length: nFrames }, (_, i) => 40 * i);
    const FRAME = 96 * 96 * 3;
    const errs: string[] = [];
    const frameErrors: number[] = [];
    const comparedSteps: number[] = [];
    const check = (obs: Uint8Array, t: number) => {
      const k = frameSteps.indexOf(t);
      if (k < 0) return;
      const e = mae(obs, frames, k * FRAME);
      frameErrors.push(e);
      comparedSteps.push(t);
      errs.push(e.toFixed(2));
      assert.ok(e <= FRAME_MAE, `${file}: frame at step ${t} mean abs error ${e.toFixed(3)} > ${FRAME_MAE}`);
    };

    const first = env.reset({ seed: meta.seed });
    assert.deepEqual(first.info, {});
    check(first.obs as Uint8Array, 0);

    const track = f.tensors.get("track");
    const points = raw.trackPoints;
    if (track) {
      const tr = track.data as Float64Array;
      assert.equal(points.length, tr.length / 4, `${file}: number of track points`);
      for (let i = 0; i < points.length; i++) {
        const p = points[i]!;
        assert.ok(Math.abs(p[0] - tr[i * 4]!) <= alphaTol(p[0]), `${file}: track[${i}].alpha ${p[0]} vs ${tr[i * 4]}`);
        for (let k = 1; k < 4; k++) assert.equal(p[k], tr[i * 4 + k], `${file}: track[${i}][${k}]`);
      }
    }

    const actionsT = f.tensors.get("actions")!;
    const T = continuous ? actionsT.shape[0]! : (actionsT.data as BigInt64Array).length;
    const rewards = f.tensors.get("rewards")?.data as Float64Array | undefined;
    const terminated = f.tensors.get("terminated")?.data as Uint8Array | undefined;
    const truncated = f.tensors.get("truncated")?.data as Uint8Array | undefined;
    const pose = f.tensors.get("hull_pose")?.data as Float64Array | undefined;
    const tilesVisited = f.tensors.get("tiles_visited")?.data as BigInt64Array | undefined;
    let ret = 0;
    let refRet = 0;
    let worstPose = 0;
    let shifted = 0;
    const tileReward = 1000 / points.length;
    for (let t = 0; t < T; t++) {
      const a = continuous ? (actionsT.data as Float32Array).subarray(3 * t, 3 * t + 3) : Number((actionsT.data as BigInt64Array)[t]);
      const r: StepResult = env.step(a);
      ret += r.reward;
      if (rewards) {
        refRet += rewards[t]!;
        if (t < REWARD_EXACT_STEPS) assert.equal(r.reward, rewards[t], `${file}: reward at step ${t}`);
        else {
          if (r.reward !== rewards[t]) shifted++;
          assert.ok(Math.abs(ret - refRet) <= 2.01 * tileReward, `${file}: return so far ${ret} vs ${refRet} at step ${t}`);
        }
      }
      if (terminated) assert.equal(r.terminated, terminated[t] === 1, `${file}: terminated at step ${t}`);
      if (truncated) assert.equal(r.truncated, truncated[t] === 1, `${file}: truncated at step ${t}`);
      if (tilesVisited) {
        const d = Math.abs(raw.tilesVisited - Number(tilesVisited[t]));
        assert.ok(d <= (t < REWARD_EXACT_STEPS ? 0 : 2), `${file}: ${raw.tilesVisited} tiles visited after step ${t}, expected ${tilesVisited[t]}`);
      }
      if (pose && t < POSE_STEPS) {
        const p = raw.hullPose();
        for (let k = 0; k < 5; k++) {
          const d = Math.abs(p[k]! - pose[t * 5 + k]!);
          worstPose = Math.max(worstPose, d / POSE_TOL[k]!);
          assert.ok(d <= POSE_TOL[k]!, `${file}: hull_pose[${t}][${k}] = ${p[k]}, expected ${pose[t * 5 + k]}`);
        }
      }
      check(r.obs as Uint8Array, t + 1);
      if (r.terminated || r.truncated) break;
    }
    if (meta.return !== undefined) {
      assert.ok(Math.abs(ret - meta.return) <= 0.02 * Math.abs(meta.return), `${file}: return ${ret} vs ${meta.return}`);
    }
    console.log(
      `# ${file}: return ${ret.toFixed(3)} (gymnasium ${meta.return?.toFixed(3) ?? "-"}), worst pose error ${(worstPose * 100).toFixed(2)}% of tolerance, ${shifted} later rewards differ, frame MAE ${errs.join(" ")}`,
    );
    assert.deepEqual(comparedSteps, frameSteps, `${file}: every recorded frame is compared`);
    const meanErr = frameErrors.reduce((a, b) => a + b, 0) / frameErrors.length;
    assert.ok(meanErr <= FRAME_MAE_MEAN, `${file}: frames' mean abs error ${meanErr.toFixed(3)} > ${FRAME_MAE_MEAN}`);

    // gray_crop: the DQN notebooks' preprocessing through GrayScale + Crop.
    const grayT = f.tensors.get("gray_crop");
    if (grayT) {
      const gray = grayT.data as Uint8Array;
      // On Gymnasium's own frames the wrappers reproduce cv2 exactly …
      const replayFrames = new FrameReplay(frames, nFrames);
      const pipe = new Crop(new GrayScale(replayFrames));
      let o = pipe.reset().obs as Uint8Array;
      for (let k = 0; k < nFrames; k++) {
        if (k > 0) o = pipe.step(0).obs as Uint8Array;
        assert.deepEqual(o, gray.subarray(k * 84 * 84, (k + 1) * 84 * 84), `${file}: gray_crop of frame ${k}`);
      }
      // … and on ours they are as close as the frames.
      const ours = new Crop(new GrayScale(new CarRacing({ continuous: true }, version)));
      let g = ours.reset({ seed: meta.seed }).obs as Uint8Array;
      const acts = actionsT.data as Float32Array;
      for (let t = 0, k = 0; k < nFrames; t++) {
        if (t === frameSteps[k]) {
          const e = mae(g, gray, k * 84 * 84);
          assert.ok(e <= FRAME_MAE, `${file}: gray_crop ${k} mean abs error ${e}`);
          k++;
        }
        if (t < T) g = ours.step(acts.subarray(3 * t, 3 * t + 3)).obs as Uint8Array;
      }
    }
  });
}

/** Emits given frames as observations (for checking the wrappers against cv2). */
class FrameReplay implements Env<Uint8Array, number> {
  readonly observationSpace = new Box<Uint8Array>(0, 255, [96, 96, 3], "uint8");
  readonly actionSpace = new Discrete(1);
  readonly metadata = { renderFps: 50 };
  private k = 0;
  constructor(
    private readonly frames: Uint8Array,
    private readonly n: number,
  ) {}
  private frame(): Uint8Array {
    return this.frames.subarray(this.k * 27648, (this.k + 1) * 27648);
  }
  reset() {
    this.k = 0;
    return { obs: this.frame(), info: {} };
  }
  step() {
    this.k = Math.min(this.k + 1, this.n - 1);
    return { obs: this.frame(), reward: 0, terminated: false, truncated: false, info: {} };
  }
  render() {
    return { width: 96, height: 96, data: this.frame() };
  }
  close() {}
}

test("every CarRacing fixture is present, with frames where frame_steps says", () => {
  // Per version: 3 random-action episodes, 3 controller episodes, 1 continuous; lap episodes:
  // seed 9004 in both versions, 9013 in v3 (test/fixtures/README.md).
  for (const [dir, v, laps] of [
    ["gymnasium-0.29", "v2", 1],
    ["gymnasium-1.2", "v3", 2],
  ] as const) {
    const names = carFiles.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1));
    assert.deepEqual(names.filter((f) => /^CarRacing-v\d-seed\d\.safetensors$/.test(f)).length, 3, `${dir}: random-action episodes`);
    assert.equal(names.filter((f) => f.includes("-controller-")).length, 3, `${dir}: controller episodes`);
    assert.equal(names.filter((f) => f.includes("-lap-")).length, laps, `${dir}: lap episodes`);
    assert.ok(names.includes(`CarRacing-${v}-continuous-seed0.safetensors`), `${dir}: continuous episode`);
  }
  for (const file of carFiles) {
    const f = loadFixture(file);
    const frames = f.tensors.get("frames");
    assert.ok(frames, `${file}: frames`);
    assert.deepEqual(frames.shape.slice(1), [96, 96, 3], `${file}: frame shape`);
    const stepsT = f.tensors.get("frame_steps");
    if (!stepsT) {
      // The continuous files: reset and every 40 steps, matching gray_crop one to one.
      assert.deepEqual(f.tensors.get("gray_crop")?.shape, [frames.shape[0], 84, 84], `${file}: gray_crop`);
      assert.ok(40 * (frames.shape[0]! - 1) <= f.tensors.get("actions")!.shape[0]!, `${file}: frames within the episode`);
      continue;
    }
    const steps = Array.from(stepsT.data as BigInt64Array, Number);
    assert.equal(steps.length, frames.shape[0], `${file}: one frame per frame_steps entry`);
    assert.ok(steps[0] === 0 && steps.every((s, i) => i === 0 || s > steps[i - 1]!), `${file}: frame_steps start at reset and increase: ${steps}`);
    // Every frame lies within the episode (step k is the observation after k steps).
    const T = (f.tensors.get("actions")!.data as BigInt64Array).length;
    assert.ok(steps[steps.length - 1]! <= T, `${file}: last frame at step ${steps[steps.length - 1]} > ${T} steps`);
    if (file.includes("-lap-")) {
      const lap = fixtureMeta<{ first_lap_frame_deepq_semantics: number }>(f).first_lap_frame_deepq_semantics;
      for (const s of [lap - 4, lap, lap + 4]) assert.ok(steps.includes(s), `${file}: a frame at step ${s}, around the lap`);
    }
  }
});

test("spaces, options and their errors", () => {
  const d = new CarRacing({ continuous: false });
  assert.equal(d.actionSpace.toString(), "Discrete(5)");
  assert.equal(d.observationSpace.toString(), "Box(0, 255, (96, 96, 3), uint8)");
  const c = new CarRacing({ lap_complete_percent: 0.5, domain_randomize: false });
  assert.equal(c.actionSpace.toString(), "Box([-1, 0, 0], 1, (3,), float32)");
  assert.equal(c.options.lapCompletePercent, 0.5);
  assert.throws(() => new CarRacing({ continous: true }), /unknown option "continous"/);
  assert.throws(() => new CarRacing({ continuous: "yes" }), /option "continuous" must be a boolean, got "yes"/);
  assert.throws(() => new CarRacing({ lap_complete_percent: 1.5 }), /lap_complete_percent must be in \[0, 1\], got 1.5/);
  assert.equal(d.options.lapRule, "first-visit");
  assert.equal(new CarRacing({ lap_rule: "tile0-contact" }).options.lapRule, "tile0-contact");
  assert.throws(() => new CarRacing({ lap_rule: "any" }), /lap_rule must be one of first-visit, tile0-contact, got "any"/);
  assert.throws(() => make("CarRacing-v3", { domain_randomize: 1 }), /option "domain_randomize" must be a boolean, got 1/);
});

test("bad actions name the value and the space", () => {
  const d = new CarRacing({ continuous: false });
  assert.throws(() => d.step(0), /call reset\(\) before step\(\)/);
  d.reset({ seed: 0 });
  assert.throws(() => d.step(5), /action 5 is not in the action space Discrete\(5\)/);
  assert.throws(() => d.step(1.5), /action 1.5 is not in the action space/);
  assert.throws(() => d.step([0, 1, 0]), /action \[0, 1, 0\] is not in the action space Discrete\(5\)/);
  const c = new CarRacing({ continuous: true });
  c.reset({ seed: 0 });
  assert.throws(() => c.step(3), /action 3 is not in the action space Box/);
  assert.throws(() => c.step([0, 2, 0]), /action \[0, 2, 0\] is not in the action space Box/);
  assert.throws(() => c.step([0, 1]), /action \[0, 1\] is not in the action space Box/);
  assert.throws(() => c.step([NaN, 0, 0]), /action \[NaN, 0, 0\] is not in the action space Box/);
});

test("seeding: same seed same track and frames; no seed continues the stream", () => {
  const a = new CarRacing({ continuous: false });
  const b = new CarRacing({ continuous: false });
  const oa = a.reset({ seed: 7 }).obs.slice();
  const ob = b.reset({ seed: 7 }).obs;
  assert.deepEqual(oa, ob);
  assert.deepEqual(a.trackPoints, b.trackPoints);
  a.reset();
  assert.notDeepEqual(a.trackPoints, b.trackPoints);
});

test("domain_randomize draws colours from the seeded stream; options.randomize=false keeps them", () => {
  type Colours = { roadColor: number[]; bgColor: number[]; grassColor: number[] };
  const env = new CarRacing({ continuous: false, domain_randomize: true });
  const colours = () => {
    const c = env as unknown as Colours;
    return [c.roadColor.slice(), c.bgColor.slice(), c.grassColor.slice()];
  };
  const o1 = env.reset({ seed: 3 }).obs.slice();
  const c1 = colours();
  const o2 = env.reset({ seed: 3 }).obs.slice();
  assert.deepEqual(o1, o2);
  assert.deepEqual(colours(), c1);
  // Colours are drawn before the track, so the track differs from the plain env's for the same seed.
  const plain = new CarRacing({ continuous: false });
  plain.reset({ seed: 3 });
  assert.notDeepEqual(env.trackPoints, plain.trackPoints);
  assert.ok(c1[0]!.every((v) => v >= 0 && v < 210));
  // Grass is the background plus 20 in one channel.
  assert.equal(c1[2]!.filter((v, i) => v === c1[1]![i]! + 20).length, 1);
  env.reset({ seed: 4, options: { randomize: false } });
  assert.deepEqual(colours(), c1);
  env.reset({ seed: 4 });
  assert.notDeepEqual(colours(), c1);
  assert.throws(() => env.reset({ options: { randomize: 1 } }), /options.randomize must be a boolean, got 1/);
});

test("lap completion: v3 terminates with info.lap_finished, v2 truncates", () => {
  for (const version of ["v2", "v3"] as const) {
    const env = new CarRacing({ continuous: false }, version);
    env.reset({ seed: 0 });
    // Pretend every tile was visited.
    (env as unknown as { tileVisitedCount: number }).tileVisitedCount = env.trackPoints.length;
    const r = env.step(0);
    if (version === "v3") {
      assert.equal(r.terminated, true);
      assert.equal(r.truncated, false);
      assert.deepEqual(r.info, { lap_finished: true });
    } else {
      assert.equal(r.terminated, false);
      assert.equal(r.truncated, true);
      assert.deepEqual(r.info, {});
    }
  }
});

test("visitedTileMask: one entry per tile, summing to tilesVisited, and a copy", () => {
  const env = new CarRacing({ continuous: false });
  assert.throws(() => env.visitedTileMask(), /call reset\(\) first/);
  env.reset({ seed: 3 });
  for (let t = 0; t < 120; t++) env.step(3);
  const mask = env.visitedTileMask();
  assert.equal(mask.length, env.trackPoints.length);
  assert.equal(
    mask.reduce((n, v) => n + v, 0),
    env.tilesVisited,
  );
  assert.ok(env.tilesVisited > 1, `${env.tilesVisited} tiles visited after 120 frames of gas`);
  mask.fill(0);
  assert.notEqual(env.visitedTileMask()[0], 0);
});

const lapFiles = carFiles.filter((f) => f.includes("-lap-"));

for (const file of lapFiles) {
  test(`${file}: lap_rule "tile0-contact" ends the lap at the first tile-0 contact past 95%`, () => {
    const f = loadFixture(file);
    const meta = fixtureMeta<Meta & { first_lap_frame_deepq_semantics: number }>(f);
    const version = versionOf(meta.env_id);
    const env = make(meta.env_id, { continuous: false, lap_rule: "tile0-contact" });
    env.reset({ seed: meta.seed });
    const actions = f.tensors.get("actions")!.data as BigInt64Array;
    const tilesVisited = f.tensors.get("tiles_visited")!.data as BigInt64Array;
    const nTiles = (env as unknown as { unwrapped: CarRacing }).unwrapped.trackPoints.length;
    let frames = 0;
    let last: StepResult | undefined;
    while (!last?.terminated && !last?.truncated) {
      last = env.step(Number(actions[frames]));
      frames++;
    }
    assert.equal(frames, meta.first_lap_frame_deepq_semantics, `${file}: frames until the lap ends`);
    assert.ok(Number(tilesVisited[frames - 1]) / nTiles > 0.95);
    if (version === "v3") {
      assert.deepEqual([last.terminated, last.truncated, last.info], [true, false, { lap_finished: true }]);
    } else {
      assert.deepEqual([last.terminated, last.truncated, last.info], [false, true, {}]);
    }
  });
}

test("render() gives the 600x400 video frame", () => {
  const env = new CarRacing({ continuous: false });
  assert.throws(() => env.render(), /call reset\(\) before render\(\)/);
  env.reset({ seed: 0 });
  for (let i = 0; i < 60; i++) env.step(3);
  const f = env.render();
  assert.equal(f.width, 600);
  assert.equal(f.height, 400);
  assert.equal(f.data.length, 600 * 400 * 3);
  // Bottom-left corner is the black indicator bar, the middle of the screen is road (grey).
  assert.deepEqual(Array.from(f.data.subarray(399 * 600 * 3, 399 * 600 * 3 + 3)), [0, 0, 0]);
});

test("FrameSkip's skipped frames: observations bit-identical, rewards and flags unchanged", () => {
  // Episodes of 30 raw steps end on a skipped inner step (30 = 7·4 + 2); the lap is then
  // completed on the first (skipped) inner step of an agent step.
  const mk = (skipObservations: boolean) => {
    const inner = make("CarRacing-v3", { continuous: false, max_episode_steps: 30 });
    return { env: new FrameSkip(inner, 4, { skipObservations }), raw: (inner as unknown as { unwrapped: Env }).unwrapped as CarRacing };
  };
  const a = mk(true);
  const b = mk(false);
  assert.equal(a.env.skipsObservations, true);
  assert.equal(b.env.skipsObservations, false);
  const same = (ra: StepResult, rb: StepResult, what: string) => {
    assert.ok(Buffer.from(ra.obs as Uint8Array).equals(Buffer.from(rb.obs as Uint8Array)), `${what}: observation`);
    assert.deepEqual([ra.reward, ra.terminated, ra.truncated, ra.info], [rb.reward, rb.terminated, rb.truncated, rb.info], what);
  };
  let s = 5;
  for (let episode = 0; episode < 3; episode++) {
    const oa = a.env.reset({ seed: episode }).obs as Uint8Array;
    const ob = b.env.reset({ seed: episode }).obs as Uint8Array;
    assert.ok(Buffer.from(oa).equals(Buffer.from(ob)), "reset observation");
    for (let t = 0; ; t++) {
      if (episode === 2 && t === 3) {
        // Pretend every tile was visited: the next raw step terminates.
        for (const e of [a, b]) (e.raw as unknown as { tileVisitedCount: number }).tileVisitedCount = e.raw.trackPoints.length;
      }
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const action = s % 5;
      const ra = a.env.step(action);
      const rb = b.env.step(action);
      same(ra, rb, `episode ${episode} step ${t}`);
      if (ra.terminated || ra.truncated) {
        assert.equal(episode === 2 ? ra.terminated : ra.truncated, true);
        break;
      }
    }
  }
  // Without FrameSkip nothing changes: skipObservation() affects only the next step.
  const raw = new CarRacing({ continuous: false });
  const ref = new CarRacing({ continuous: false });
  raw.reset({ seed: 1 });
  ref.reset({ seed: 1 });
  raw.skipObservation();
  raw.step(3);
  ref.step(3);
  raw.completeObservation();
  assert.ok(Buffer.from(raw.step(3).obs).equals(Buffer.from(ref.step(3).obs)));
});
