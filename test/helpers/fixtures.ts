/** Locates and loads the shared reference fixtures (`../shared/fixtures` beside the project). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSafeTensors, type SafeTensorsFile } from "../../src/nn/safetensors.js";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = resolve(projectRoot, "..", "shared", "fixtures");
export const haveFixtures = existsSync(fixturesDir);

/** Skip reason for node:test when the fixtures are absent (a user's clone without shared/). */
export const skipWithoutFixtures: string | false = haveFixtures ? false : `fixtures not found at ${fixturesDir}`;

export function loadFixture(relPath: string): SafeTensorsFile {
  const p = join(fixturesDir, relPath);
  return parseSafeTensors(new Uint8Array(readFileSync(p)), p);
}

/** The `__metadata__.json` facts of a fixture. */
export function fixtureMeta<T = Record<string, unknown>>(f: SafeTensorsFile): T {
  return JSON.parse(f.metadata.json ?? "{}") as T;
}
