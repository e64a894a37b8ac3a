/**
 * The parts of deepq/train that read and write files: `train()` with its run directory,
 * model files by path, checkpoints. Bundlers building for a browser load node-browser.ts
 * instead (package.json "browser" field).
 */
export { train, type TrainOptions, type TrainResult } from "./trainer.js";
export { loadModel, saveModel } from "./model-file.js";
export { readCheckpoint, type CheckpointMeta, type RunProgress } from "./checkpoint.js";
export { RunDirectory, type RunDirOptions } from "./run-dir.js";
