/** deepq: deep Q-learning in TypeScript. */
export * from "./envs/index.js";
