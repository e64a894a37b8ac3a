/**
 * What bundlers load instead of ./host.ts for a browser (package.json "browser" field): the
 * same exports without files. Training, prediction, evaluation and `toBytes`/`fromBytes`
 * work; paths and run directories are refused with the reason.
 */
import type { TrainHost } from "./host.js";

export type { TrainHost } from "./host.js";

const noFiles = (what: string): never => {
  throw new Error(`${what}: files need Node; in a browser use DQN's toBytes() and DQN.fromBytes(bytes)`);
};

export const host: TrainHost = {
  readSafeTensors: (path) => noFiles(`reading ${path}`),
  writeFile: (path) => noFiles(`writing ${path}`),
  openRunDir: (_config, opts) => noFiles(`the run directory ${opts.runDir}`),
  systemMemory: undefined,
};
