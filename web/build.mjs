// npm run build:web — bundles the static page (src/viz/web/browser/static-play.ts) into web/dist/.
// Fails if anything Node-only (node:fs, …) would end up in the bundle.

import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
mkdirSync(out, { recursive: true });
const t0 = performance.now();
const result = await build({
  entryPoints: [join(here, "../src/viz/web/browser/static-play.ts")],
  bundle: true,
  format: "iife", // a classic script also runs from file://, where module scripts are blocked
  platform: "browser",
  target: ["chrome110", "firefox115", "safari16"],
  outfile: join(out, "static-play.js"),
  minify: process.argv.includes("--minify"),
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});
const nodeOnly = Object.keys(result.metafile.inputs).filter((p) => p.startsWith("node:"));
for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.path.startsWith("node:")) nodeOnly.push(i.path);
if (nodeOnly.length > 0) {
  console.error(`build:web: Node-only modules in the bundle: ${[...new Set(nodeOnly)].join(", ")}`);
  process.exit(1);
}
for (const f of ["index.html", "style.css"]) copyFileSync(join(here, f), join(out, f));
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + (o.bytes ?? 0), 0);
console.log(`web/dist: static-play.js ${(bytes / 1024).toFixed(0)} KiB (incl. map) in ${(performance.now() - t0).toFixed(0)} ms`);
