export type { Action, Env, EnvMetadata, EnvSpec, Info, KeyControls, Observation, RenderFrame, ResetArgs, ResetResult, StepResult } from "./core.js";
export { parseOptions, camelCase } from "./core.js";
export * as spaces from "./spaces.js";
export { Box, Discrete, Space, assertAction } from "./spaces.js";
export { Generator, PCG64, SeedSequence, npRandom, type PCG64State } from "./rng.js";
export { make, register, registeredIds, registration, type EnvRegistration, type MakeOptions } from "./registry.js";
export { Wrapper } from "./wrapper.js";
export { TimeLimit } from "./time-limit.js";
export { CartPoleEnv } from "./cartpole.js";
export { LunarLander } from "./lunar-lander.js";
export { CarRacing } from "./car-racing.js";
export { registerBuiltins } from "./builtins.js";

import { registerBuiltins } from "./builtins.js";

// Like `import gymnasium`: the built-in ids are available to `make` as soon as the package loads.
registerBuiltins();
