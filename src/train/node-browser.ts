/**
 * What bundlers load instead of ./node.ts for a browser (package.json "browser" field): the
 * same exports, refusing with the reason, so a web bundle of deepq holds no Node-only
 * module. In a browser, train with `DQN.learn` (no run directory) and load models with
 * `DQN.fromBytes` or `modelFromBytes`.
 */
import type * as node from "./node.js";

export type {
  CheckpointMeta,
  EpisodePoint,
  EvalPoint,
  RecordOptions,
  RecordResult,
  ReturnsPlotData,
  RunDirOptions,
  RunProgress,
  TrainOptions,
  TrainResult,
} from "./node.js";

const REASON = "needs Node's file system; in a browser use DQN.learn without runDir, and DQN.fromBytes / modelFromBytes for model files";

const refuse = (what: string): never => {
  throw new Error(`${what} ${REASON}`);
};

export const train: typeof node.train = async () => refuse("train()");
export const loadModel: typeof node.loadModel = () => refuse("loadModel()");
export const saveModel: typeof node.saveModel = () => refuse("saveModel()");
export const readCheckpoint: typeof node.readCheckpoint = () => refuse("readCheckpoint()");
export const recordVideo: typeof node.recordVideo = async () => refuse("recordVideo()");
export const returnsPlotPng: typeof node.returnsPlotPng = () => refuse("returnsPlotPng()");
export const returnsPlotSvg: typeof node.returnsPlotSvg = () => refuse("returnsPlotSvg()");
export const RunDirectory = class {
  constructor() {
    refuse("RunDirectory");
  }
} as unknown as typeof node.RunDirectory;
