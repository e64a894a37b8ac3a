/** The layer rule (docs/architecture.md) holds for every import in src/, and the check catches a planted breach. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../helpers/fixtures.js";
import { ALLOWED, importGraph, importsOf, type Layer, layerOf, readSourceTree, violations } from "./layers.js";

test("src/: no import runs against the layer rule", () => {
  const files = readSourceTree(join(projectRoot, "src"));
  assert.ok(files.size > 50, `read ${files.size} files`);
  const bad = violations(files);
  assert.deepEqual(bad, [], `imports against the layer rule (file:line → target):\n${bad.join("\n")}`);
});

test("the rule is acyclic: no two layers may import each other, directly or through others", () => {
  const state = new Map<Layer, "open" | "done">();
  const visit = (l: Layer, path: Layer[]): void => {
    if (state.get(l) === "done") return;
    assert.notEqual(state.get(l), "open", `cycle: ${[...path, l].join(" → ")}`);
    state.set(l, "open");
    for (const next of ALLOWED[l]) visit(next, [...path, l]);
    state.set(l, "done");
  };
  for (const l of Object.keys(ALLOWED) as Layer[]) visit(l, []);
});

test("imports are read from every form, with their lines; comments and strings are not imports", () => {
  const src = [
    'import { a } from "./a.js";',
    'import type { B } from "../b/index.js";',
    "import {",
    "  type C,",
    "  type D,",
    '} from "./c.js";',
    'export * from "./d.js";',
    'export type { E } from "./e.js";',
    'import "./side-effect.js";',
    'const f = await import("./f.js");',
    'let g: import("./g.js").G;',
    '// import { h } from "./h.js";',
    'const s = `import { i } from "./i.js"`;',
    'import { readFileSync } from "node:fs";',
  ].join("\n");
  assert.deepEqual(importsOf("x.ts", src), [
    { specifier: "./a.js", line: 1, typeOnly: false },
    { specifier: "../b/index.js", line: 2, typeOnly: true },
    { specifier: "./c.js", line: 6, typeOnly: true },
    { specifier: "./d.js", line: 7, typeOnly: false },
    { specifier: "./e.js", line: 8, typeOnly: true },
    { specifier: "./side-effect.js", line: 9, typeOnly: false },
    { specifier: "./f.js", line: 10, typeOnly: false },
    { specifier: "./g.js", line: 11, typeOnly: true },
  ]);
});

test("layers: a file's folder, the deepest named one winning", () => {
  assert.equal(layerOf("index.ts"), "api");
  assert.equal(layerOf("nn/tensor.ts"), "nn");
  assert.equal(layerOf("nn/kernels/wasm.ts"), "nn/kernels");
  assert.equal(layerOf("viz/web/http.ts"), "viz/web");
  assert.equal(layerOf("viz/web/browser/static-play.ts"), "viz/web/browser");
  assert.equal(layerOf("envs/car-racing/track.ts"), "envs");
  assert.equal(layerOf("viz/index.ts"), null);
  assert.equal(layerOf("api/x.ts"), null);
});

test("a planted bad import is named by file:line and target; allowed and same-layer imports pass", () => {
  const tree = new Map([
    ["train/files.ts", "export const x = 1;\n"],
    ["train/trainer.ts", 'import { x } from "./files.js";\nimport { Tensor } from "../nn/index.js";\n'],
    ["nn/index.ts", "export class Tensor {}\n"],
    ["nn/loss.ts", '\n\nimport type { Env } from "../envs/index.js";\n'],
    ["envs/index.ts", "export interface Env {}\n"],
    ["viz/web/csv-tail.ts", 'import { x } from "../../train/files.js";\n'],
    ["media/png.ts", "export {};\n"],
  ]);
  assert.deepEqual(violations(tree), [
    "src/nn/loss.ts:3 → src/envs/index.ts (nn → envs, type-only)",
    "src/viz/web/csv-tail.ts:1 → src/train/files.ts (viz/web → train)",
  ]);
  tree.set("viz/web/csv-tail.ts", 'import { x } from "../../media/png.js";\n');
  tree.set("nn/loss.ts", "export {};\n");
  assert.deepEqual(violations(tree), []);
  tree.set("media/png.ts", 'export { Tensor } from "../nn";\n');
  assert.deepEqual(violations(tree), ["src/media/png.ts:1 → src/nn/index.ts (media → nn)"]);
});

test("a file in a folder the rule does not name fails, and so does an import of a missing file", () => {
  const tree = new Map([
    ["viz/index.ts", "export {};\n"],
    ["util/text.ts", 'import "./gone.js";\n'],
  ]);
  assert.throws(() => violations(tree), /src\/util\/text\.ts:1: import "\.\/gone\.js" resolves to no file under src\//);
  tree.set("util/text.ts", "export {};\n");
  assert.deepEqual(violations(tree), [
    'src/viz/index.ts: folder "viz" is in no layer; add it to ALLOWED in test/architecture/layers.ts and to docs/architecture.md',
  ]);
});

test("the resolved graph of src/ has the edges the rule is about", () => {
  const edges = importGraph(readSourceTree(join(projectRoot, "src")));
  assert.ok(
    edges.some((e) => e.from === "cli/bin.ts" && e.to === "cli/main.ts"),
    "cli/bin.ts → cli/main.ts",
  );
  assert.ok(
    edges.some((e) => layerOf(e.from) === "train" && layerOf(e.to) === "agents"),
    "train → agents",
  );
});

test("docs/architecture.md's table is the rule the test checks", () => {
  const doc = readFileSync(join(projectRoot, "docs", "architecture.md"), "utf8");
  const rows = new Map<string, string[]>();
  for (const m of doc.matchAll(/^\| `([a-z/]+)` \| (.+) \|$/gm)) {
    rows.set(m[1]!, m[2] === "(nothing)" ? [] : m[2]!.split(", "));
  }
  assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(Object.entries(ALLOWED).map(([k, v]) => [k, [...v]])));
});
