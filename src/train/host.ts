/**
 * What the `DQN` API needs from the platform beyond the loop: files (save, load, the run
 * directory) and the machine's memory. This is the Node implementation; bundlers building
 * for a browser load host-browser.ts instead (package.json "browser" field), so a web
 * bundle of the API holds no Node-only module.
 */

import type { SafeTensorsFile } from "../nn/safetensors.js";
import { readSafeTensorsFile } from "../nn/safetensors-fs.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import type { TrainConfig } from "./config.js";
import type { SystemMemory } from "./memory.js";
import { RunDirectory, type RunDirOptions } from "./run-dir.js";
import { systemMemory } from "./system-memory.js";

export interface TrainHost {
  readSafeTensors(path: string): SafeTensorsFile;
  /** Writes `parts` to `path` atomically (a temp file, then a rename). */
  writeFile(path: string, parts: Iterable<Uint8Array>): void;
  openRunDir(config: Partial<TrainConfig> & { env: string }, opts: RunDirOptions): RunDirectory;
  systemMemory: (() => SystemMemory) | undefined;
}

export const host: TrainHost = {
  readSafeTensors: readSafeTensorsFile,
  writeFile: writeFileAtomic,
  openRunDir: (config, opts) => new RunDirectory(config, opts),
  systemMemory,
};
