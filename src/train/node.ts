/**
 * The parts of deepq/train that need Node: `train()` with its run directory, model files by
 * path, checkpoints, videos (ffmpeg for MP4) and the returns plot (PNG through node:zlib). Bundlers building for a browser load node-browser.ts
 * instead (package.json "browser" field).
 */

export { type EpisodePoint, type EvalPoint, type ReturnsPlotData, returnsPlotPng, returnsPlotSvg } from "../media/plot.js";
export { type CheckpointMeta, type RunProgress, readCheckpoint } from "./checkpoint.js";
export { loadModel, saveModel } from "./model-file.js";
export { type RecordOptions, type RecordResult, recordVideo } from "./record.js";
export { RunDirectory, type RunDirOptions } from "./run-dir.js";
export { type TrainOptions, type TrainResult, train } from "./trainer.js";
