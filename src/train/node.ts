/**
 * The parts of deepq/train that need Node: `train()` with its run directory, model files by
 * path, checkpoints, videos (ffmpeg for MP4) and the returns plot (PNG through node:zlib). Bundlers building for a browser load node-browser.ts
 * instead (package.json "browser" field).
 */
export { train, type TrainOptions, type TrainResult } from "./trainer.js";
export { loadModel, saveModel } from "./model-file.js";
export { readCheckpoint, type CheckpointMeta, type RunProgress } from "./checkpoint.js";
export { RunDirectory, type RunDirOptions } from "./run-dir.js";
export { recordVideo, type RecordOptions, type RecordResult } from "./record.js";
export { returnsPlotPng, returnsPlotSvg, type EpisodePoint, type EvalPoint, type ReturnsPlotData } from "../media/plot.js";
