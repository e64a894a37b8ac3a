/**
 * The layer rule of docs/architecture.md as data, and the reader of `src/`'s import graph
 * that checks it. Every file belongs to one layer (its folder); an import from layer A to
 * layer B is allowed when B is A itself or listed in `ALLOWED[A]`. Type-only imports count
 * like any other: a type is knowledge of the layer that owns it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import ts from "typescript";

export type Layer =
  | "api"
  | "cli"
  | "viz/web"
  | "viz/web/browser"
  | "train"
  | "agents"
  | "replay"
  | "nn"
  | "nn/kernels"
  | "wrappers"
  | "envs"
  | "media"
  | "util"
  | "types";

/**
 * Folder → the folders it may import. Read top to bottom: each layer lists only layers
 * further down, so no cycle can form.
 */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  /** src/index.ts: the package's public API re-exports the library layers (not cli, not the web views). */
  api: ["train", "agents", "replay", "nn", "nn/kernels", "wrappers", "envs", "media", "util"],
  /** Argument parsing and wiring: may use everything below it. */
  cli: ["api", "viz/web", "train", "agents", "replay", "nn", "nn/kernels", "wrappers", "envs", "media", "util"],
  /** Dashboard and play server: they read run directories and drive envs; no training internals. */
  "viz/web": ["envs", "media", "util"],
  /** The static browser page: the public API only. */
  "viz/web/browser": ["api"],
  /** The loop wires envs, replay and the agent, and writes logs, plots and videos. */
  train: ["agents", "replay", "nn", "wrappers", "envs", "media", "util"],
  /** The DQN family: networks and replay batches, no files, no terminals, no envs' internals. */
  agents: ["nn", "replay", "util"],
  /** Replay stores transitions; it knows no networks. */
  replay: ["util"],
  /** Tensors, modules, losses, optimizers: no RL, no environments. */
  nn: ["nn/kernels", "util"],
  "nn/kernels": ["util"],
  /** `Env → Env` transforms (RecordVideo encodes its frames with media). */
  wrappers: ["envs", "media", "util"],
  /** Environments render into media's raster. */
  envs: ["media", "util"],
  /** Encoders, raster, font, plots: pure functions on pixels and numbers. */
  media: ["util"],
  util: [],
  /** Ambient declarations of untyped packages. */
  types: [],
};

/** Layers whose folder is nested in another layer's, longest first so the deepest wins. */
const NESTED: ReadonlyArray<readonly [string, Layer]> = [
  ["viz/web/browser/", "viz/web/browser"],
  ["viz/web/", "viz/web"],
  ["nn/kernels/", "nn/kernels"],
];

/** The layer of a path relative to `src/` (posix separators), or null for a folder the rule does not name. */
export function layerOf(srcPath: string): Layer | null {
  if (srcPath === "index.ts") return "api";
  for (const [prefix, layer] of NESTED) if (srcPath.startsWith(prefix)) return layer;
  const top = srcPath.split("/")[0]!;
  return Object.hasOwn(ALLOWED, top) && top !== "api" ? (top as Layer) : null;
}

export interface ImportEdge {
  /** Importing file, relative to `src/`. */
  from: string;
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** Imported file, relative to `src/`. */
  to: string;
  typeOnly: boolean;
}

/** The relative imports, re-exports and dynamic imports of one source file, with their lines. */
export function importsOf(fileName: string, text: string): Array<{ specifier: string; line: number; typeOnly: boolean }> {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Array<{ specifier: string; line: number; typeOnly: boolean }> = [];
  const add = (lit: ts.Node, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(lit)) return;
    out.push({ specifier: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allNamedTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, clause?.isTypeOnly === true || allNamedTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const named = node.exportClause;
      const allNamedTypes = named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, node.isTypeOnly || allNamedTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((i) => i.specifier.startsWith("."));
}

/** Every `.ts` file under `dir`, relative to it, posix separators, sorted. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The import graph of a source tree given as path → text (paths relative to `src/`):
 * specifiers resolved as TypeScript's NodeNext does (`./x.js` is `./x.ts`, a folder is
 * its `index.ts`). An import of a file not in `files` throws, naming it.
 */
export function importGraph(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of files) {
    for (const { specifier, line, typeOnly } of importsOf(from, text)) {
      const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
      const candidates = [joined.replace(/\.js$/, ".ts"), joined.replace(/\.js$/, ".d.ts"), joined, `${joined}.ts`, `${joined}/index.ts`];
      const to = candidates.find((c) => files.has(c));
      if (to === undefined) throw new Error(`src/${from}:${line}: import "${specifier}" resolves to no file under src/`);
      edges.push({ from, line, specifier, to, typeOnly });
    }
  }
  return edges;
}

/** Reads `srcDir` into the path → text map `importGraph` takes. */
export function readSourceTree(srcDir: string): Map<string, string> {
  return new Map(sourceFiles(srcDir).map((f) => [f, readFileSync(join(srcDir, f), "utf8")]));
}

/** One line per import against the rule: `src/viz/web/x.ts:11 → src/train/files.ts (viz/web → train)`. */
export function violations(files: ReadonlyMap<string, string>, allowed: Readonly<Record<Layer, readonly Layer[]>> = ALLOWED): string[] {
  const out: string[] = [];
  for (const path of files.keys()) {
    if (layerOf(path) === null)
      out.push(`src/${path}: folder "${dirname(path)}" is in no layer; add it to ALLOWED in test/architecture/layers.ts and to docs/architecture.md`);
  }
  for (const e of importGraph(files)) {
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    if (a === null || b === null || a === b || allowed[a].includes(b)) continue;
    out.push(`src/${e.from}:${e.line} → src/${e.to} (${a} → ${b}${e.typeOnly ? ", type-only" : ""})`);
  }
  return out;
}
