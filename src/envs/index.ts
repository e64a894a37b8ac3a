export { registerBuiltins } from "./builtins.js";
export { CarRacing } from "./car-racing.js";
export { CartPoleEnv } from "./cartpole.js";
export type { Action, Env, EnvMetadata, EnvSpec, Info, KeyControls, Observation, RenderFrame, ResetArgs, ResetResult, StepResult } from "./core.js";
export { camelCase, parseOptions } from "./core.js";
export { LunarLander } from "./lunar-lander.js";
export { type EnvRegistration, type MakeOptions, make, register, registeredIds, registration } from "./registry.js";
export { Generator, npRandom, PCG64, type PCG64State, SeedSequence } from "./rng.js";
export * as spaces from "./spaces.js";
export { assertAction, Box, Discrete, Space } from "./spaces.js";
export { TimeLimit } from "./time-limit.js";
export { Wrapper } from "./wrapper.js";

import { registerBuiltins } from "./builtins.js";

// Like `import gymnasium`: the built-in ids are available to `make` as soon as the package loads.
registerBuiltins();
