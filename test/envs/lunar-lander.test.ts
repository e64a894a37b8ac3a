import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { registerBuiltins } from "../../src/envs/builtins.js";
import type { Action, Env } from "../../src/envs/core.js";
import { LunarLander } from "../../src/envs/lunar-lander.js";
import { make, registration } from "../../src/envs/registry.js";
import { npRandom } from "../../src/envs/rng.js";
import { TimeLimit } from "../../src/envs/time-limit.js";
import { fixtureMeta, fixturesDir, loadFixture } from "../helpers/fixtures.js";

registerBuiltins();

/*
 * Tolerances against Gymnasium (Box2D 2.3.10 in float32; planck here in float64).
 * Measured worst cases over all 15 fixture episodes are in brackets; see
 * docs/envs/LunarLander.md for the per-file table.
 *
 * - Reset observation: it is the state after one world step from a seeded terrain and
 *   a seeded initial force, so the only difference is Box2D's float32 rounding of that
 *   one step: 1–2 float32 ulps [2.4e-7].
 * - Free flight: the difference grows about linearly, ~1e-7 per step, from float32
 *   rounding in Box2D's integrator and solver: first 30 steps [5.5e-6], everything
 *   before the first leg touches the ground [4.3e-5].
 * - Whole episodes: ground contacts amplify it (the contact solver's impulses are
 *   sensitive to the exact penetration) [4.0e-4], still far below anything that flips a
 *   leg-contact flag or the termination step: those must agree exactly.
 * - Rewards are differences of a shaping of weight 100 on the observation, so they carry
 *   ~100× the observation error [first 30 steps 1.2e-4, flight 2.6e-3, episode 3.5e-3];
 *   the terminal ±100 is exact.
 */
const RESET_OBS_TOL = 5e-7;
const EARLY_STEPS = 30;
const EARLY_OBS_TOL = 1e-5;
const EARLY_REWARD_TOL = 3e-4;
const FLIGHT_OBS_TOL = 1e-4;
const FLIGHT_REWARD_TOL = 5e-3;
const EPISODE_OBS_TOL = 1e-3;
const EPISODE_REWARD_TOL = 1e-2;
/** Episode returns: the brief's 2%, and an absolute bound near what we measure [0.008]. */
const RETURN_REL_TOL = 0.02;
const RETURN_ABS_TOL = 0.05;

interface LanderMeta {
  env_id: string;
  kwargs: Record<string, unknown>;
  seed: number;
  steps: number;
  return: number;
  policy?: string;
}

interface ReplayStats {
  reset: number;
  early: number;
  flight: number;
  episode: number;
  ret: number;
  firstContact: number;
}

function lunarFixtures(): string[] {
  const out: string[] = [];
  for (const dir of ["gymnasium-0.29", "gymnasium-1.2"]) {
    for (const f of readdirSync(join(fixturesDir, dir)).sort()) {
      if (f.startsWith("LunarLander-") && f.endsWith(".safetensors")) out.push(`${dir}/${f}`);
    }
  }
  return out;
}

function replay(file: string): ReplayStats {
  const f = loadFixture(file);
  const meta = fixtureMeta<LanderMeta>(f);
  const actions = f.tensors.get("actions")!.data as BigInt64Array;
  const rewards = f.tensors.get("rewards")!.data as Float64Array;
  const terminated = f.tensors.get("terminated")!.data as Uint8Array;
  const truncated = f.tensors.get("truncated")!.data as Uint8Array;
  const observations = f.tensors.get("observations")!.data as Float32Array;
  const helipadY = (f.tensors.get("helipad_y")!.data as Float64Array)[0]!;
  assert.equal(actions.length, meta.steps);
  assert.equal(observations.length, (meta.steps + 1) * 8);

  // Through make, as a user would: the id picks v2/v3 behaviour, kwargs are Gymnasium's snake_case.
  const env = make(meta.env_id, meta.kwargs) as TimeLimit;
  assert.equal(env.maxEpisodeSteps, 1000);
  const raw = env.env as LunarLander;
  assert.ok(raw instanceof LunarLander);

  let firstContact = -1;
  for (let t = 0; t <= meta.steps && firstContact < 0; t++) {
    if (observations[t * 8 + 6] || observations[t * 8 + 7]) firstContact = t;
  }
  const inFlight = (t: number) => firstContact < 0 || t < firstContact;

  const stats: ReplayStats = { reset: 0, early: 0, flight: 0, episode: 0, ret: 0, firstContact };
  const obsDiff = (obs: Float32Array, t: number): number => {
    let d = 0;
    for (let k = 0; k < 6; k++) d = Math.max(d, Math.abs(obs[k]! - observations[t * 8 + k]!));
    // Leg contacts are booleans: exact.
    for (const k of [6, 7]) {
      assert.equal(obs[k], observations[t * 8 + k], `${file}: leg contact obs[${t}][${k}]`);
    }
    return d;
  };

  const first = env.reset({ seed: meta.seed }).obs as Float32Array;
  stats.reset = obsDiff(first, 0);
  assert.ok(stats.reset <= RESET_OBS_TOL, `${file}: reset observation differs by ${stats.reset}`);
  assert.equal(raw.helipadY, helipadY, `${file}: helipad_y`);

  let ret = 0;
  for (let t = 0; t < meta.steps; t++) {
    const r = env.step(Number(actions[t]));
    const d = obsDiff(r.obs as Float32Array, t + 1);
    const dr = Math.abs(r.reward - rewards[t]!);
    const where = `${file}: step ${t}`;
    assert.equal(r.terminated, terminated[t] === 1, `${where}: terminated`);
    assert.equal(r.truncated, truncated[t] === 1, `${where}: truncated`);
    if (r.terminated) {
      assert.equal(r.reward, rewards[t], `${where}: terminal reward`);
    } else {
      assert.ok(dr <= EPISODE_REWARD_TOL, `${where}: reward ${r.reward}, expected ${rewards[t]}`);
    }
    assert.ok(d <= EPISODE_OBS_TOL, `${where}: observation differs by ${d}`);
    if (t < EARLY_STEPS) {
      assert.ok(d <= EARLY_OBS_TOL, `${where}: observation differs by ${d} (early)`);
      assert.ok(dr <= EARLY_REWARD_TOL, `${where}: reward differs by ${dr} (early)`);
      stats.early = Math.max(stats.early, d);
    }
    if (inFlight(t + 1)) {
      assert.ok(d <= FLIGHT_OBS_TOL, `${where}: observation differs by ${d} (flight)`);
      assert.ok(dr <= FLIGHT_REWARD_TOL, `${where}: reward differs by ${dr} (flight)`);
      stats.flight = Math.max(stats.flight, d);
    }
    stats.episode = Math.max(stats.episode, d);
    ret += r.reward;
  }
  stats.ret = ret;
  const dRet = Math.abs(ret - meta.return);
  assert.ok(dRet <= RETURN_ABS_TOL && dRet <= RETURN_REL_TOL * Math.abs(meta.return), `${file}: return ${ret}, expected ${meta.return}`);
  return stats;
}

const files = lunarFixtures();

test("every LunarLander fixture is covered", () => {
  // 6 v2 episodes (0.29.1), 9 v3 episodes (1.2.2): random, controller and wind.
  assert.equal(files.filter((f) => f.includes("LunarLander-v2")).length, 6);
  assert.equal(files.filter((f) => f.includes("LunarLander-v3")).length, 9);
  assert.equal(files.filter((f) => f.includes("-wind-")).length, 3);
  assert.equal(files.filter((f) => f.includes("-controller-")).length, 6);
});

for (const file of files) {
  test(`${file} matches Gymnasium step by step`, () => {
    const s = replay(file);
    console.log(
      `${file}: reset ${s.reset.toExponential(1)}, first ${EARLY_STEPS} ${s.early.toExponential(1)}, ` +
        `flight ${s.flight.toExponential(1)} (first contact at ${s.firstContact}), episode ${s.episode.toExponential(1)}, return ${s.ret.toFixed(3)}`,
    );
  });
}

const H = 400 / 30;
const W = 600 / 30;

test("terrain is numpy's uniform(0, H/2, 12) with the helipad flattened and smoothed as Gymnasium", () => {
  const env = new LunarLander();
  for (const seed of [0, 1, 2, 12345]) {
    env.reset({ seed });
    const g = npRandom(seed);
    const height = Array.from({ length: 12 }, () => g.uniform(0, H / 2));
    for (let k = 3; k <= 7; k++) height[k] = H / 4;
    // Python's height[i - 1] at i = 0 is height[-1].
    const smooth = Array.from({ length: 11 }, (_, i) => 0.33 * (height[i === 0 ? 11 : i - 1]! + height[i]! + height[i + 1]!));
    const { x, y } = env.terrain;
    assert.deepEqual(y, smooth, `seed ${seed}`);
    assert.deepEqual(
      x,
      Array.from({ length: 11 }, (_, i) => (W / 10) * i),
    );
  }
  // The pad between chunk 4 and 6 is flat at H/4 (0.33 * 3 * H/4, as in Gymnasium).
  assert.equal(env.terrain.y[5], 0.33 * (H / 4 + H / 4 + H / 4));
});

function rollout(env: Env, seed: number, actions: readonly Action[]): number[][] {
  const out = [Array.from(env.reset({ seed }).obs)];
  for (const a of actions) {
    const r = env.step(a);
    out.push([...Array.from(r.obs), r.reward, r.terminated ? 1 : 0]);
    if (r.terminated) break;
  }
  return out;
}

test("seeding: the same seed repeats the episode; reset() without a seed continues the stream", () => {
  const actions = Array.from({ length: 60 }, (_, i) => (i * 7) % 4);
  const a = new LunarLander();
  const b = new LunarLander();
  assert.deepEqual(rollout(a, 5, actions), rollout(b, 5, actions));
  assert.notDeepEqual(rollout(a, 5, actions).slice(0, 1), rollout(a, 6, actions).slice(0, 1));

  // reset() after a seeded reset draws the next terrain and push from the same generator.
  const c = new LunarLander();
  const d = new LunarLander();
  const first = Array.from(c.reset({ seed: 9 }).obs);
  const next = Array.from(c.reset().obs);
  assert.notDeepEqual(first, next);
  d.reset({ seed: 9 });
  assert.deepEqual(Array.from(d.reset().obs), next, "the continued stream is reproducible");
  d.reset({ seed: 9 });
  assert.notDeepEqual(c.terrain.y, d.terrain.y);
});

test("continuous actions: clipped, thresholds as Gymnasium, full throttle equals the discrete engines", () => {
  const seed = 3;
  const discrete = (a: number) => Array.from({ length: 40 }, () => a);
  const cont = (m: number, l: number) => Array.from({ length: 40 }, () => [m, l]);
  for (const version of ["v2", "v3"] as const) {
    const d = new LunarLander({}, version);
    const c = new LunarLander({ continuous: true }, version);
    assert.equal(c.actionSpace.toString(), "Box(-1, 1, (2,), float32)");
    // main ≤ 0 and |lateral| ≤ 0.5 fire nothing; the dispersion draws still happen, so the stream stays aligned.
    assert.deepEqual(rollout(c, seed, cont(-0.3, 0.5)), rollout(d, seed, discrete(0)), `${version} noop`);
    // Full throttle: m_power = (1 + 1) / 2 = 1; lateral ±1: direction ±1, s_power 1.
    assert.deepEqual(rollout(c, seed, cont(1, 0)), rollout(d, seed, discrete(2)), `${version} main`);
    assert.deepEqual(rollout(c, seed, cont(0, -1)), rollout(d, seed, discrete(1)), `${version} left`);
    assert.deepEqual(rollout(c, seed, cont(0, 1)), rollout(d, seed, discrete(3)), `${version} right`);
    // np.clip(action, -1, 1).
    assert.deepEqual(rollout(c, seed, cont(7, -3)), rollout(c, seed, cont(1, -1)), `${version} clip`);
    // Half throttle differs from full throttle, and the reward charges 0.3 · m_power.
    c.reset({ seed });
    const half = c.step([0, 0]).reward;
    c.reset({ seed });
    const r = c.step(new Float32Array([0.2, 0.75]));
    assert.ok(Number.isFinite(r.reward) && r.reward !== half);
  }
  // 0.29 casts continuous actions to float32 (1.x keeps float64): 0.3 and fround(0.3) are the same action in v2 only.
  const v2 = new LunarLander({ continuous: true }, "v2");
  const v3 = new LunarLander({ continuous: true }, "v3");
  assert.deepEqual(rollout(v2, 1, cont(0.3, 0.7)), rollout(v2, 1, cont(Math.fround(0.3), Math.fround(0.7))));
  assert.notDeepEqual(rollout(v3, 1, cont(0.3, 0.7)), rollout(v3, 1, cont(Math.fround(0.3), Math.fround(0.7))));
});

test("wind: v3 offsets come from the reset seed, v2's from an unseeded generator (as 0.29.1's np.random)", () => {
  const actions = Array.from({ length: 50 }, () => 0);
  const opts = { enable_wind: true, wind_power: 15, turbulence_power: 1.5 };
  const a = make("LunarLander-v3", opts);
  const b = make("LunarLander-v3", { enableWind: true });
  assert.deepEqual(rollout(a, 11, actions), rollout(b, 11, actions));
  const calm = make("LunarLander-v3");
  assert.notDeepEqual(rollout(a, 11, actions), rollout(calm, 11, actions));
  // With wind off, no wind offsets are drawn: the calm v3 episode equals v2's.
  assert.deepEqual(rollout(calm, 11, actions), rollout(make("LunarLander-v2"), 11, actions));
  // v2 draws the offsets once per env from OS entropy: two envs, same seed, different wind.
  const v2a = make("LunarLander-v2", opts);
  const v2b = make("LunarLander-v2", opts);
  assert.notDeepEqual(rollout(v2a, 11, actions), rollout(v2b, 11, actions));
});

test("options: snake_case and camelCase, gravity validated, wind warnings as Gymnasium", () => {
  for (const opts of [
    { enable_wind: true, wind_power: 5, turbulence_power: 0.5 },
    { enableWind: true, windPower: 5, turbulencePower: 0.5 },
  ]) {
    const env = make("LunarLander-v3", opts);
    assert.deepEqual(env.spec?.options, { enableWind: true, windPower: 5, turbulencePower: 0.5 });
    assert.deepEqual((env as TimeLimit).env instanceof LunarLander && ((env as TimeLimit).env as LunarLander).options, {
      continuous: false,
      gravity: -10,
      enableWind: true,
      windPower: 5,
      turbulencePower: 0.5,
    });
  }
  for (const g of [0, -12, 1, -12.5]) {
    assert.throws(() => make("LunarLander-v3", { gravity: g }), new RegExp(`gravity must be between -12 and 0 \\(exclusive\\), got ${g}`));
  }
  const low = new LunarLander({ gravity: -1.62 });
  low.reset({ seed: 0 });
  const fall = (env: LunarLander) => {
    env.reset({ seed: 0 });
    let r = env.step(0);
    for (let i = 0; i < 20; i++) r = env.step(0);
    return r.obs[3]!;
  };
  assert.ok(fall(low) > fall(new LunarLander()), "weaker gravity falls slower");
  assert.throws(() => make("LunarLander-v3", { gravity: "low" }), /option "gravity" must be a number, got "low"/);
  assert.throws(() => make("LunarLander-v3", { wind: true }), /unknown option "wind"; allowed: continuous, gravity, enableWind, windPower, turbulencePower/);
  assert.throws(() => make("LunarLander-v3", { wind_power: Number.NaN }), /option "wind_power" must be finite, got NaN/);

  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
  try {
    new LunarLander({ windPower: 25 });
    new LunarLander({ turbulence_power: -1 });
    new LunarLander({ windPower: 20, turbulencePower: 0 });
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /wind_power value is recommended to be between 0.0 and 20.0, \(current value: 25\)/);
  assert.match(warnings[1]!, /turbulence_power value is recommended to be between 0.0 and 2.0, \(current value: -1\)/);
});

test("bad actions throw naming the action; stepping before reset throws", () => {
  const env = new LunarLander();
  assert.throws(() => env.step(0), /LunarLander-v3: call reset\(\) before step\(\)/);
  env.reset({ seed: 0 });
  for (const bad of [4, -1, 1.5]) {
    assert.throws(() => env.step(bad), new RegExp(`action ${bad} is not in the action space Discrete\\(4\\)`));
  }
  assert.throws(() => env.step("2" as unknown as number), /action "2" is not in the action space Discrete\(4\)/);
  assert.throws(() => env.step([1, 0]), /action \[1, 0\] is not in the action space Discrete\(4\)/);
  const c = make("LunarLander-v2", { continuous: true });
  c.reset({ seed: 0 });
  assert.throws(() => c.step(2), /LunarLander-v2: action 2 is not in the action space Box\(-1, 1, \(2,\), float32\): it takes 2 finite numbers/);
  assert.throws(() => c.step([1]), /action \[1\] is not in the action space/);
  assert.throws(() => c.step([0, Number.NaN]), /action \[0, NaN\] is not in the action space/);
  assert.throws(() => new LunarLander({ continuous: 1 }), /option "continuous" must be a boolean, got 1/);
});

test("registration: v2 and v3 with 1000 steps, Gymnasium's spaces per version", () => {
  for (const id of ["LunarLander-v2", "LunarLander-v3"]) {
    assert.equal(registration(id)?.maxEpisodeSteps, 1000);
    const env = make(id);
    assert.ok(env instanceof TimeLimit);
    assert.deepEqual(env.spec, { id, options: {}, maxEpisodeSteps: 1000 });
    assert.equal(env.actionSpace.toString(), "Discrete(4)");
    assert.deepEqual(env.observationSpace.shape, [8]);
    assert.equal(env.metadata.renderFps, 50);
  }
  const v2 = new LunarLander({}, "v2").observationSpace;
  const v3 = new LunarLander({}, "v3").observationSpace;
  assert.deepEqual(Array.from(v2.high), [1.5, 1.5, 5, 5, Math.fround(Math.PI), 5, 1, 1]);
  assert.deepEqual(Array.from(v3.high), [2.5, 2.5, 10, 10, Math.fround(2 * Math.PI), 10, 1, 1]);
  assert.deepEqual(Array.from(v3.low), [-2.5, -2.5, -10, -10, Math.fround(-2 * Math.PI), -10, -0, -0]);
  // The time limit truncates (not terminates) a hovering lander.
  const env = make("LunarLander-v3", { max_episode_steps: 3 });
  env.reset({ seed: 0 });
  env.step(2);
  env.step(2);
  const r = env.step(2);
  assert.equal(r.truncated, true);
  assert.equal(r.terminated, false);
});

test("termination: the hull touching the ground and leaving the screen end the episode with -100", () => {
  // (Landing at rest, +100, is exercised exactly by the controller fixtures above.)
  // No-op from seed 0 falls and tips onto the hull.
  const env = new LunarLander();
  env.reset({ seed: 0 });
  let r = env.step(0);
  while (!r.terminated) r = env.step(0);
  assert.equal(r.reward, -100);
  assert.ok(Math.abs(r.obs[0]!) < 1, "crash, not out of bounds");
  // Hover while tilted 0.4 rad: the lander drifts left until |x| >= 1.
  env.reset({ seed: 0 });
  let o = env.step(0).obs;
  let t = 0;
  for (;;) {
    const angleTodo = (0.4 - o[4]!) * 0.5 - o[5]!;
    const hoverTodo = (0.5 - o[1]!) * 0.5 - o[3]! * 0.5;
    const a = hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05 ? 2 : angleTodo < -0.05 ? 3 : angleTodo > 0.05 ? 1 : 0;
    r = env.step(a);
    o = r.obs;
    if (r.terminated || ++t > 1000) break;
  }
  assert.ok(r.terminated);
  assert.ok(o[0]! <= -1, `x = ${o[0]}`);
  assert.equal(r.reward, -100);
});

test("step reuses the observation buffer; info and results are fresh", () => {
  const env = new LunarLander();
  const r0 = env.reset({ seed: 0 });
  const r1 = env.step(0);
  const r2 = env.step(2);
  assert.equal(r0.obs, r1.obs);
  assert.equal(r1.obs, r2.obs);
  assert.notEqual(r1, r2);
  assert.notEqual(r1.info, r2.info);
  assert.ok(r1.obs instanceof Float32Array);
});

test("render draws Gymnasium's 600x400 view: black sky, white moon, yellow flags, the lander", () => {
  const env = new LunarLander();
  assert.throws(() => env.render(), /call reset\(\) before render\(\)/);
  env.reset({ seed: 0 });
  const { width, height, data } = env.render();
  assert.equal(width, 600);
  assert.equal(height, 400);
  assert.equal(data.length, 600 * 400 * 3);
  const px = (x: number, y: number) => Array.from(data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  // The helipad is at H/4 = 100 px above the bottom: white below, black sky above (away from the flags).
  assert.deepEqual(px(300, 305), [255, 255, 255], "moon surface under the pad");
  assert.deepEqual(px(300, 200), [0, 0, 0], "sky above the pad");
  assert.deepEqual(px(300, 399), [255, 255, 255], "bottom row");
  // Flags: pole from y = 100 to 150 px, pennant (x, 150)-(x, 140)-(x + 25, 145), x = helipad_x1 * 30 = 240.
  assert.deepEqual(px(245, 400 - 145), [204, 204, 0], "left flag");
  assert.deepEqual(px(360 + 5, 400 - 145), [204, 204, 0], "right flag");
  // The lander starts at the top centre; after a few steps it is fully on screen.
  for (let i = 0; i < 10; i++) env.step(0);
  const frame = env.render().data;
  let lander = 0;
  for (let i = 0; i < frame.length; i += 3) if (frame[i] === 128 && frame[i + 1] === 102 && frame[i + 2] === 230) lander++;
  assert.ok(lander > 500, `lander pixels: ${lander}`);
});

test("the island solver (packed, early-stopping velocity iterations) gives planck's bits exactly", () => {
  // The same episodes with planck's own Solver.solveIsland: removing the per-world override restores the prototype's.
  const usePlanck = (env: LunarLander) => {
    const solver = (env as unknown as { world: { m_solver: Record<string, unknown> } }).world.m_solver;
    assert.ok(Object.hasOwn(solver, "solveIsland"), "the override is installed per world");
    delete solver["solveIsland"];
  };
  const episodes: { seed: number; actions: Action[]; options: Record<string, unknown> }[] = [];
  for (const file of files.filter((f) => f.includes("controller") || f.includes("wind"))) {
    const f = loadFixture(file);
    const meta = fixtureMeta<LanderMeta>(f);
    episodes.push({ seed: meta.seed, actions: Array.from(f.tensors.get("actions")!.data as BigInt64Array, Number), options: meta.kwargs });
  }
  const sampler = new LunarLander({ continuous: true });
  sampler.actionSpace.seed(3);
  for (let seed = 0; seed < 6; seed++) {
    episodes.push({ seed, actions: Array.from({ length: 400 }, () => sampler.actionSpace.sample()), options: { continuous: true } });
  }
  let steps = 0;
  for (const { seed, actions, options } of episodes) {
    const ours = new LunarLander(options);
    const theirs = new LunarLander(options);
    // reset() builds a fresh world (with the override) and steps it once; planck's solve takes over from there.
    const a = Array.from(ours.reset({ seed }).obs);
    assert.deepEqual(Array.from(theirs.reset({ seed }).obs), a);
    usePlanck(theirs);
    for (const act of actions) {
      const r1 = ours.step(act);
      const o1 = Array.from(r1.obs);
      const r2 = theirs.step(act);
      assert.deepEqual(o1, Array.from(r2.obs), `seed ${seed} step ${steps}`);
      assert.equal(r1.reward, r2.reward);
      assert.equal(r1.terminated, r2.terminated);
      steps++;
      if (r1.terminated) break;
    }
  }
  assert.ok(steps > 1000, `${steps} steps compared`);
});
