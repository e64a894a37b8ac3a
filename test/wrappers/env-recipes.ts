/** Env factories for AsyncVectorEnv tests: the worker imports this module and calls one by name. */
import type { Env } from "../../src/envs/core.js";
import { make } from "../../src/envs/index.js";
import { RecordEpisodeStatistics } from "../../src/wrappers/record-episode-statistics.js";

/** A registered env by id, with episode statistics. */
export function registered(args: { id: string }): Env {
  return new RecordEpisodeStatistics(make(args.id));
}

export function broken(): Env {
  throw new Error("no such env here");
}
