/**
 * The environments deepq ships, registered under Gymnasium's ids with Gymnasium's
 * `max_episode_steps`. Each env contributes one exported registration list; adding an
 * env is one import and one entry in `BUILTINS`.
 */
import { CartPoleEnv } from "./cartpole.js";
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

const BUILTINS: readonly (readonly EnvRegistration[])[] = [cartPoleRegistrations];

/** Registers every built-in env; safe to call more than once (already registered ids are left alone). */
export function registerBuiltins(): void {
  for (const list of BUILTINS) {
    for (const reg of list) {
      if (registration(reg.id) === undefined) register(reg);
    }
  }
}
