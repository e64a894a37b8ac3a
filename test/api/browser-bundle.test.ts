/**
 * The browser can use the same API, training included: an entry importing `DQN` from the
 * package root bundles for the browser platform (package.json's "browser" map swaps the
 * file-system layers for their browser versions) with no node: import, and the bundle
 * trains a custom env in a bare JS context holding only what browsers provide.
 */

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createContext, runInContext } from "node:vm";
import { build } from "esbuild";
import { projectRoot } from "../helpers/fixtures.js";
import { tmp } from "../train/helpers.js";

test("DQN bundles for the browser without Node-only modules and trains there", async () => {
  const dir = tmp("deepq-bundle-");
  try {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      [
        `import { DQN } from ${JSON.stringify(join(projectRoot, "src/index.ts"))};`,
        `import { ChainEnv } from ${JSON.stringify(join(projectRoot, "test/api/chain-env.ts"))};`,
        "(globalThis as Record<string, unknown>).trainChain = async () => {",
        '  const model = new DQN(() => new ChainEnv(), { network: { kind: "mlp", hidden: [16] }, lr: 1e-3, seed: 0, learningStarts: 100, bufferSize: 1000, batchSize: 16 });',
        "  const r = await model.learn({ totalSteps: 400, evalEvery: 200, evalEpisodes: 1, reportEpisodes: 2 });",
        '  let refused = "";',
        '  try { await model.save("model.safetensors"); } catch (e) { refused = (e as Error).message; }',
        "  return { step: r.step, report: r.report?.report.episodes, reloaded: DQN.fromBytes(model.toBytes(), { env: () => new ChainEnv() }).numTimesteps, refused };",
        "};",
      ].join("\n"),
    );
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "browser",
      format: "iife",
      metafile: true,
      logLevel: "silent",
      absWorkingDir: projectRoot,
    });
    const nodeOnly = Object.keys(result.metafile.inputs).filter((p) => p.startsWith("node:"));
    for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.path.startsWith("node:")) nodeOnly.push(i.path);
    assert.deepEqual(nodeOnly, [], `Node-only modules in the browser bundle: ${nodeOnly.join(", ")}`);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(
      inputs.some((p) => p.endsWith("src/train/host-browser.ts")) && !inputs.some((p) => p.endsWith("src/train/run-dir.ts")),
      "the browser map was not applied",
    );

    // Only what a browser page has: no process, require, setImmediate or Buffer.
    const page = createContext({ console, WebAssembly, structuredClone, atob, btoa, setTimeout, clearTimeout, performance, TextEncoder, TextDecoder });
    runInContext(result.outputFiles[0]!.text, page);
    const out = await (page.trainChain as () => Promise<{ step: number; report: number; reloaded: number; refused: string }>)();
    assert.equal(out.step, 400);
    assert.equal(out.report, 2);
    assert.equal(out.reloaded, 400);
    assert.match(out.refused, /files need Node; in a browser use DQN's toBytes\(\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
