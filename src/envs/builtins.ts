/**
 * The environments deepq ships, registered under Gymnasium's ids with Gymnasium's
 * `max_episode_steps`. Each env contributes one exported registration list; adding an
 * env is one import and one entry in `BUILTINS`.
 */
import { CarRacing } from "./car-racing.js";
import { CartPoleEnv } from "./cartpole.js";
import { LunarLander } from "./lunar-lander.js";
import { type EnvRegistration, register, registration } from "./registry.js";

/** CartPole-v0 differs from v1 only in its episode limit (Gymnasium's `max_episode_steps`). */
export const cartPoleRegistrations: readonly EnvRegistration[] = [
  {
    id: "CartPole-v1",
    create: (options) => new CartPoleEnv(options),
    maxEpisodeSteps: 500,
    description: "Balance a pole on a cart; 2 actions, 4 float32 observations, +1 per step (500 max)",
  },
  {
    id: "CartPole-v0",
    create: (options) => new CartPoleEnv(options),
    maxEpisodeSteps: 200,
    description: "CartPole with Gymnasium's original 200-step limit",
  },
];

/**
 * LunarLander-v2 is Gymnasium 0.29.1's behaviour (observation bounds ±1.5/±5/±π, wind
 * offsets not seeded), v3 is 1.x's (wider bounds, wind offsets drawn from the reset
 * seed); the dynamics and rewards are the same. `continuous: true` for throttles.
 */
export const lunarLanderRegistrations: readonly EnvRegistration[] = [
  {
    id: "LunarLander-v3",
    create: (options) => new LunarLander(options, "v3"),
    maxEpisodeSteps: 1000,
    description: "Land on the pad; 4 actions (or 2 throttles), 8 float32 observations, solved at 200",
  },
  {
    id: "LunarLander-v2",
    create: (options) => new LunarLander(options, "v2"),
    maxEpisodeSteps: 1000,
    description: "LunarLander as in Gymnasium 0.29.1 (narrower observation bounds, unseeded wind offsets)",
  },
];

/**
 * CarRacing-v2 is Gymnasium 0.29.1's behaviour (finishing the lap truncates), v3 is 1.x's
 * (it terminates, with `info.lap_finished`); track, car and rewards are the same.
 * Continuous [steer, gas, brake] by default, as Gymnasium; `continuous: false` for 5 actions.
 */
export const carRacingRegistrations: readonly EnvRegistration[] = [
  {
    id: "CarRacing-v3",
    create: (options) => new CarRacing(options, "v3"),
    maxEpisodeSteps: 1000,
    description: "Drive a lap from 96x96 RGB pixels; 3 continuous controls (or 5 actions), +1000/N per tile, -0.1 per frame",
  },
  {
    id: "CarRacing-v2",
    create: (options) => new CarRacing(options, "v2"),
    maxEpisodeSteps: 1000,
    description: "CarRacing as in Gymnasium 0.29.1 (lap completion truncates instead of terminating)",
  },
];

const BUILTINS: readonly (readonly EnvRegistration[])[] = [cartPoleRegistrations, lunarLanderRegistrations, carRacingRegistrations];

/** Registers every built-in env; safe to call more than once (already registered ids are left alone). */
export function registerBuiltins(): void {
  for (const list of BUILTINS) {
    for (const reg of list) {
      if (registration(reg.id) === undefined) register(reg);
    }
  }
}
