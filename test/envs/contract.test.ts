/**
 * The Env contract, checked for every registered env like Gymnasium's
 * `gymnasium.utils.env_checker.check_env`: for each id (and its option variants, e.g.
 * continuous actions) built through `make`,
 * - spaces: Box observations with a dtype, Discrete or Box actions, `sample()` in the space
 *   and reproducible after `seed()`;
 * - observations from `reset` and `step` are typed arrays of the space's dtype and shape,
 *   inside the space; rewards finite; `terminated`/`truncated` booleans; `info` an object;
 * - seeding: the same seed gives the same first observation and the same trajectory under
 *   the same actions (on a fresh env and on a reused one); different seeds differ;
 * - the TimeLimit: the registered `max_episode_steps`, and truncation exactly at a limit;
 * - `render()` returns a width×height RGB uint8 frame (Gymnasium's 600×400 for these envs);
 * - errors: `step`/`render` before `reset`, actions outside the space (naming the action and
 *   the space), unknown options.
 * A few hundred steps per variant; the whole file takes a few seconds.
 *
 * Two departures from check_env's expectations are Gymnasium's own behaviour and are checked as such:
 * - LunarLander-v2 keeps Gymnasium 0.29.1's observation bounds (±1.5 position, ±5 velocity,
 *   ±π angle), which its dynamics exceed (the lander rises above y = 1.5; Gymnasium issue 752,
 *   why v3 widened them): v2 observations are checked against v3's bounds.
 * - Continuous LunarLander clips actions to [-1, 1] (Gymnasium's `np.clip`) instead of rejecting
 *   them: out-of-range actions must act as the clipped ones; malformed ones still throw.
 * - LunarLander-v2 with wind draws its wind offsets once per env from an unseeded generator, as
 *   0.29.1 does from numpy's global one (Gymnasium issue 954, fixed in v3). Its terrain and
 *   initial push are seeded, but the wind already blows in the step that reset takes, so for
 *   it the same seed must give the same terrain, not the same observations.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { registerBuiltins } from "../../src/envs/builtins.js";
import type { Action, Env, Observation, StepResult } from "../../src/envs/core.js";
import { make, registeredIds, registration } from "../../src/envs/registry.js";
import { Box, Discrete, type Space } from "../../src/envs/spaces.js";
import { TimeLimit } from "../../src/envs/time-limit.js";

registerBuiltins();

/** Option variants per id, besides the default options (CarRacing's resets cost ~40 ms each, so fewer there). */
const VARIANTS: Record<string, Record<string, unknown>[]> = {
  "CartPole-v0": [],
  "CartPole-v1": [{ sutton_barto_reward: true }],
  "LunarLander-v2": [{ continuous: true }, { enable_wind: true }],
  "LunarLander-v3": [{ continuous: true }, { enable_wind: true }, { continuous: true, enable_wind: true }],
  "CarRacing-v2": [{ continuous: false }],
  "CarRacing-v3": [{ continuous: false }, { domain_randomize: true, continuous: false }],
};

/** Gymnasium's values for the built-in ids: max_episode_steps, render size, render_fps. */
const GYMNASIUM: Record<string, { maxEpisodeSteps: number; render: [number, number]; fps: number }> = {
  "CartPole-v0": { maxEpisodeSteps: 200, render: [600, 400], fps: 50 },
  "CartPole-v1": { maxEpisodeSteps: 500, render: [600, 400], fps: 50 },
  "LunarLander-v2": { maxEpisodeSteps: 1000, render: [600, 400], fps: 50 },
  "LunarLander-v3": { maxEpisodeSteps: 1000, render: [600, 400], fps: 50 },
  "CarRacing-v2": { maxEpisodeSteps: 1000, render: [600, 400], fps: 50 },
  "CarRacing-v3": { maxEpisodeSteps: 1000, render: [600, 400], fps: 50 },
};

const family = (id: string) => id.replace(/-v\d+$/, "");

/** Steps per trajectory (episodes that end are reset and continued); CarRacing draws 96×96 pixels each step. */
const stepsFor = (id: string) => (family(id) === "CarRacing" ? 60 : 200);

const DTYPE_ARRAY = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array } as const;

/** The bounds observations must respect: the env's own space, except LunarLander-v2's (see above). */
function boundsFor(id: string, options: Record<string, unknown>): Box | null {
  return id === "LunarLander-v2" ? (make("LunarLander-v3", options).observationSpace as Box) : null;
}

/** False for LunarLander-v2 with wind, whose wind is not seeded (see above). */
const seededSteps = (id: string, options: Record<string, unknown>) => !(id === "LunarLander-v2" && options.enable_wind === true);

/** Continuous LunarLander clips out-of-range actions, as Gymnasium does. */
const clipsActions = (id: string, options: Record<string, unknown>) => family(id) === "LunarLander" && options.continuous === true;

let bounds: Box | null = null;

function checkObservation(space: Space<Observation>, obs: Observation, what: string): void {
  assert.ok(space instanceof Box, `${what}: observation space ${space.toString()} is a Box`);
  const own = space as Box<Float32Array | Float64Array | Uint8Array>;
  const box = bounds ?? own;
  assert.deepEqual(box.shape, own.shape);
  assert.ok(obs instanceof DTYPE_ARRAY[own.dtype], `${what}: observation is a ${DTYPE_ARRAY[own.dtype].name}, got ${obs?.constructor?.name}`);
  assert.equal(obs.length, box.size, `${what}: observation has ${obs.length} elements, shape [${box.shape.join(", ")}] needs ${box.size}`);
  if (!box.contains(obs)) {
    const i = Array.from(obs).findIndex((v, k) => !(v >= box.low[k]! && v <= box.high[k]!));
    assert.fail(`${what}: observation outside ${box.toString()}: element ${i} = ${obs[i]}, bounds [${box.low[i]}, ${box.high[i]}]`);
  }
}

function checkStep(env: Env, r: StepResult, what: string): void {
  checkObservation(env.observationSpace, r.obs, what);
  assert.equal(typeof r.reward, "number", `${what}: reward is a number`);
  assert.ok(Number.isFinite(r.reward), `${what}: reward ${r.reward} is finite`);
  assert.equal(typeof r.terminated, "boolean", `${what}: terminated is a boolean`);
  assert.equal(typeof r.truncated, "boolean", `${what}: truncated is a boolean`);
  assert.ok(r.info !== null && typeof r.info === "object" && !Array.isArray(r.info), `${what}: info is an object`);
}

/** Actions drawn from the seeded action space, the same list for every run. */
function actionList(env: Env, n: number, seed: number): Action[] {
  env.actionSpace.seed(seed);
  return Array.from({ length: n }, () => {
    const a = env.actionSpace.sample();
    return (ArrayBuffer.isView(a) ? (a as Float32Array).slice() : a) as Action;
  });
}

interface Trajectory {
  /** The reset observation's bytes (hex digest). */
  first: string;
  /** Per step: digest of the observation's bytes, the reward, the flags and the info. */
  steps: string[];
}

const digest = (obs: Observation) =>
  createHash("sha1")
    .update(new Uint8Array(obs.buffer, obs.byteOffset, obs.byteLength))
    .digest("hex");

/** reset(seed) then the actions (resetting with seed + 1000·k after an episode ends). */
function rollout(env: Env, seed: number, actions: readonly Action[], what: string): Trajectory {
  const r0 = env.reset({ seed });
  checkObservation(env.observationSpace, r0.obs, `${what}: reset`);
  assert.ok(r0.info !== null && typeof r0.info === "object", `${what}: reset info is an object`);
  const t: Trajectory = { first: digest(r0.obs), steps: [] };
  let episode = 0;
  for (let i = 0; i < actions.length; i++) {
    const r = env.step(actions[i]!);
    checkStep(env, r, `${what}: step ${i}`);
    t.steps.push(`${digest(r.obs)} ${r.reward} ${r.terminated}/${r.truncated} ${JSON.stringify(r.info)}`);
    if (r.terminated || r.truncated) {
      episode++;
      checkObservation(env.observationSpace, env.reset({ seed: seed + 1000 * episode }).obs, `${what}: reset after step ${i}`);
    }
  }
  return t;
}

/** An action that keeps each env going for a few steps: cycling discrete actions, the middle of a box. */
function neutralAction(space: Space<Action>, t: number): Action {
  if (space instanceof Discrete) return space.start + (t % space.n);
  const box = space as unknown as Box;
  return Float32Array.from(box.low, (lo, i) => (lo + box.high[i]!) / 2);
}

/** Actions outside the space, with the text the error must show for each (and the clipped action for out-of-range boxes). */
function badActions(space: Space<Action>): { action: unknown; shows: string; clipped?: Float32Array }[] {
  if (space instanceof Discrete) {
    const { n, start } = space;
    return [
      { action: start + n, shows: String(start + n) },
      { action: start - 1, shows: String(start - 1) },
      { action: start + 0.5, shows: String(start + 0.5) },
      { action: String(start), shows: JSON.stringify(String(start)) },
      { action: [start], shows: `[${start}]` },
      { action: NaN, shows: "NaN" },
    ];
  }
  const box = space as unknown as Box;
  const mid = Array.from(box.low, (lo, i) => (lo + box.high[i]!) / 2);
  const above = [...mid];
  above[0] = box.high[0]! + 1;
  const below = Float32Array.from(mid);
  below[below.length - 1] = box.low[below.length - 1]! - 1;
  const clip = (a: ArrayLike<number>) => Float32Array.from(a, (v, i) => Math.min(box.high[i]!, Math.max(box.low[i]!, v)));
  return [
    { action: above, shows: `[${above.join(",")}]`, clipped: clip(above) },
    { action: below, shows: `[${Array.from(below).join(", ")}]`, clipped: clip(below) },
    { action: mid.slice(1), shows: `[${mid.slice(1).join(",")}]` },
    { action: [...mid, 0], shows: `[${[...mid, 0].join(",")}]` },
    { action: 0, shows: "0" },
    { action: mid.map((v, i) => (i === 0 ? NaN : v)), shows: `[${mid.map((v, i) => (i === 0 ? NaN : v)).join(",")}]` },
  ];
}

const ids = registeredIds();

test("the built-in envs are registered with Gymnasium's ids and episode limits", () => {
  assert.deepEqual(ids, Object.keys(GYMNASIUM).sort());
  for (const id of ids) {
    assert.equal(registration(id)!.maxEpisodeSteps, GYMNASIUM[id]!.maxEpisodeSteps, `${id}: max_episode_steps`);
    assert.ok(VARIANTS[id], `${id}: option variants listed in this test`);
  }
});

for (const id of ids) {
  for (const options of [{}, ...(VARIANTS[id] ?? [])]) {
    const name = `${id} ${JSON.stringify(options)}`;
    const withBounds = (fn: () => void) => () => {
      bounds = boundsFor(id, options);
      try {
        fn();
      } finally {
        bounds = null;
      }
    };

    test(
      `${name}: spaces, observations, rewards and flags over ${stepsFor(id)} steps`,
      withBounds(() => {
        const env = make(id, options);
        assert.equal(env.spec?.id, id);
        assert.ok(env instanceof TimeLimit, `${name}: make wraps the env in a TimeLimit`);
        assert.equal(env.maxEpisodeSteps, registration(id)!.maxEpisodeSteps);
        assert.equal(env.spec?.maxEpisodeSteps, registration(id)!.maxEpisodeSteps);
        assert.equal(env.metadata.renderFps, GYMNASIUM[id]?.fps ?? env.metadata.renderFps);
        assert.ok(env.metadata.renderFps > 0, `${name}: metadata.renderFps`);

        const obsSpace = env.observationSpace;
        assert.ok(obsSpace instanceof Box, `${name}: observation space is a Box`);
        assert.ok(obsSpace.shape.length >= 1 && obsSpace.shape.every((d) => Number.isInteger(d) && d > 0));
        const act = env.actionSpace;
        assert.ok(act instanceof Discrete || act instanceof Box, `${name}: action space ${act.toString()} is Discrete or Box`);
        const continuous = options.continuous === true || (family(id) === "CarRacing" && options.continuous !== false);
        assert.equal(act instanceof Box, continuous, `${name}: ${act.toString()}`);

        // Sampling: in the space, reproducible after seed(), and not constant.
        const s1 = actionList(env, 20, 5);
        const s2 = actionList(env, 20, 5);
        assert.deepEqual(
          s2.map((a) => JSON.stringify(Array.isArray(a) || ArrayBuffer.isView(a) ? Array.from(a as ArrayLike<number>) : a)),
          s1.map((a) => JSON.stringify(Array.isArray(a) || ArrayBuffer.isView(a) ? Array.from(a as ArrayLike<number>) : a)),
          `${name}: seeded sample()`,
        );
        for (const a of s1) assert.ok(act.contains(a), `${name}: sample ${String(a)} in ${act.toString()}`);
        assert.ok(new Set(s1.map((a) => String(a))).size > 1, `${name}: sample() varies`);

        rollout(env, 0, actionList(env, stepsFor(id), 1), name);
        env.close();
      }),
    );

    test(
      `${name}: seeding — same seed, same trajectory; different seeds differ`,
      withBounds(() => {
        const a = make(id, options);
        const b = make(id, options);
        const actions = actionList(a, stepsFor(id), 2);
        const ta = rollout(a, 42, actions, `${name} a`);
        const tb = rollout(b, 42, actions, `${name} b`);
        // Reusing an env: reset(seed) starts the same episode again, whatever came before.
        const again = rollout(a, 42, actions, `${name} a again`);
        if (seededSteps(id, options)) {
          assert.deepEqual(tb, ta, `${name}: two envs, seed 42`);
          assert.deepEqual(again, ta, `${name}: the same env reset with seed 42 again`);
        } else {
          const terrain = (e: Env) => JSON.stringify((e as unknown as { unwrapped: { terrain: unknown } }).unwrapped.terrain);
          a.reset({ seed: 42 });
          b.reset({ seed: 42 });
          assert.equal(terrain(b), terrain(a), `${name}: two envs, seed 42: terrain`);
          b.reset({ seed: 43 });
          assert.notEqual(terrain(b), terrain(a), `${name}: seeds 42 and 43: terrain`);
        }
        assert.notEqual(digest(b.reset({ seed: 43 }).obs), ta.first, `${name}: seeds 42 and 43 give different first observations`);
        // Without a seed the generator continues (a was last reset with seed 42): a different episode.
        assert.notEqual(digest(a.reset().obs), ta.first, `${name}: reset() without a seed continues the stream`);
        a.close();
        b.close();
      }),
    );

    test(`${name}: TimeLimit truncates exactly at max_episode_steps`, () => {
      const limit = 7;
      const env = make(id, { ...options, max_episode_steps: limit });
      for (const seed of [0, 1]) {
        env.reset({ seed });
        for (let t = 1; t <= limit; t++) {
          const r = env.step(neutralAction(env.actionSpace, t));
          assert.equal(r.terminated, false, `${name}: terminated at step ${t} (the check needs ${limit} live steps)`);
          assert.equal(r.truncated, t === limit, `${name}: truncated at step ${t} of ${limit}`);
        }
      }
      env.close();
    });

    test(`${name}: render() is a width×height RGB uint8 frame`, () => {
      const env = make(id, options);
      env.reset({ seed: 3 });
      for (let t = 0; t < 5; t++) env.step(neutralAction(env.actionSpace, t));
      const f = env.render();
      assert.ok(f.data instanceof Uint8Array, `${name}: frame data is a Uint8Array`);
      assert.ok(Number.isInteger(f.width) && f.width > 0 && Number.isInteger(f.height) && f.height > 0);
      if (GYMNASIUM[id]) assert.deepEqual([f.width, f.height], GYMNASIUM[id]!.render, `${name}: Gymnasium's render size`);
      assert.equal(f.data.length, f.width * f.height * 3, `${name}: ${f.width}×${f.height}×3 bytes`);
      let differing = 0;
      for (let i = 3; i < f.data.length; i += 3) if (f.data[i] !== f.data[0] || f.data[i + 1] !== f.data[1] || f.data[i + 2] !== f.data[2]) differing++;
      assert.ok(differing > 0.001 * f.width * f.height, `${name}: the frame is not one colour`);
      env.close();
    });

    test(
      `${name}: step and render before reset, and bad actions, throw naming the problem`,
      withBounds(() => {
        const env = make(id, options);
        assert.throws(() => env.step(neutralAction(env.actionSpace, 0)), /call reset\(\) before step\(\)/);
        assert.throws(() => env.render(), /call reset\(\) before render\(\)/);
        env.reset({ seed: 0 });
        const space = env.actionSpace.toString();
        const clips = clipsActions(id, options);
        const compact = (text: string) => text.replace(/ /g, "");
        for (const { action, shows, clipped } of badActions(env.actionSpace)) {
          if (clips && clipped) {
            // Gymnasium's continuous LunarLander: the action acts as its clipped value.
            const calm = seededSteps(id, options) ? options : { ...options, enable_wind: false };
            const ref = make(id, calm);
            ref.reset({ seed: 0 });
            const probe = make(id, calm);
            probe.reset({ seed: 0 });
            const rp = probe.step(action as Action);
            const rr = ref.step(clipped);
            assert.equal(digest(rp.obs), digest(rr.obs), `${name}: ${shows} acts as ${Array.from(clipped)}`);
            assert.equal(rp.reward, rr.reward);
            continue;
          }
          assert.throws(
            () => env.step(action as Action),
            (e: Error) => {
              const namesSpace = e.message.includes(`is not in the action space ${space}`);
              assert.ok(namesSpace, `${name}: "${e.message}" names the space ${space}`);
              if (shows) assert.ok(compact(e.message).includes(compact(`action ${shows}`)), `${name}: "${e.message}" names the action ${shows}`);
              return true;
            },
            `${name}: action ${shows || String(action)}`,
          );
        }
        // The env is still usable after a rejected action.
        checkStep(env, env.step(neutralAction(env.actionSpace, 0)), `${name}: step after rejected actions`);
        assert.throws(() => make(id, { ...options, no_such_option: 1 }), /unknown option "no_such_option"; allowed: /);
        assert.throws(() => make(id, { ...options, noSuchOption: 1 }), /unknown option "noSuchOption"; allowed: /);
        env.close();
      }),
    );
  }
}
