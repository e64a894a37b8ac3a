/**
 * Whether a kept, finished run directory holds a run of the config a bench asks for. A finished
 * run is read back without training, so without this check a preset changed since would be
 * reported with the old preset's runs. (A checkpointed run resumes through train(), which
 * refuses another config itself.)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { configDrift } from "../src/train/config.js";

/** Throws unless the run in `dir` (if it has started: config.json) was started with the fields of `wanted`; `label` names it. */
export function assertRunMatches(dir: string, wanted: object, label = dir): void {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return;
  const drift = configDrift(wanted, JSON.parse(readFileSync(path, "utf8")) as unknown);
  if (drift.length > 0) {
    throw new Error(`${label} holds a run of another config (${drift.join("; ")}); move or delete it to train this one`);
  }
}
