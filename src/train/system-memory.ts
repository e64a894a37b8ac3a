/** The machine's memory as Node sees it (the replay-size check of runs on Node; browsers skip it). */
import { freemem, totalmem } from "node:os";
import type { SystemMemory } from "./memory.js";

export function systemMemory(): SystemMemory {
  const limit = process.constrainedMemory();
  const total = limit > 0 && limit < totalmem() ? limit : totalmem();
  return { total, available: Math.min(freemem(), total) };
}
