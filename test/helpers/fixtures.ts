/**
 * Locates and loads the reference fixtures in `test/fixtures/` (recorded from Gymnasium and
 * PyTorch; provenance in test/fixtures/README.md). They are part of the repository: a missing
 * fixture is an error, never a reason to skip.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSafeTensors, type SafeTensorsFile } from "../../src/nn/safetensors.js";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = resolve(projectRoot, "test", "fixtures");

/** A fixture file by its path inside test/fixtures, e.g. `torch/torch-mlp-mse-rmsprop.safetensors`. */
export function loadFixture(relPath: string): SafeTensorsFile {
  const p = join(fixturesDir, relPath);
  if (!existsSync(p)) {
    throw new Error(`fixture ${relPath} not found in ${fixturesDir}; the fixtures are committed with the repository (see test/fixtures/README.md)`);
  }
  return parseSafeTensors(new Uint8Array(readFileSync(p)), p);
}

/** The `__metadata__.json` facts of a fixture. */
export function fixtureMeta<T = Record<string, unknown>>(f: SafeTensorsFile): T {
  return JSON.parse(f.metadata.json ?? "{}") as T;
}

/**
 * Tensors that scripts/slim-fixtures.mjs dropped from a fixture to keep the repository small
 * (listed in its metadata as `slimmed.dropped`). A test that skips a tensor because it is absent
 * asserts it is one of these, so nothing else can go missing silently.
 */
export function droppedTensors(f: SafeTensorsFile): ReadonlySet<string> {
  const meta = fixtureMeta<{ slimmed?: { dropped?: string[] } }>(f);
  return new Set(meta.slimmed?.dropped ?? []);
}
