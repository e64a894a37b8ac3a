/** deepq: deep Q-learning in TypeScript. */
export * from "./envs/index.js";
export * as agents from "./agents/index.js";
export * as nn from "./nn/index.js";
export * as wrappers from "./wrappers/index.js";
export { modelFromBytes, type ModelInfo } from "./train/model-format.js";
export { checkSpecFits, makeTrainEnv } from "./train/env.js";
