#!/usr/bin/env node
// Builds the native kernels (native/*.c) into build/deepq_native.node with the system C compiler
// and the Node-API headers of the `node-api-headers` npm package: no node-gyp, nothing downloaded.
// Run by the package's install step; it never fails the install. Without a compiler, or when the
// build or the load check fails, it prints one line and exits 0, and deepq uses WebAssembly.
//
//   CC=clang node scripts/build-native.mjs [--force]    # the compiler: $CC, else cc, gcc, clang on PATH
//   DEEPQ_NATIVE=0 npm ci                               # skip the native build
//
// kernels.c is compiled once per CPU path (AVX-512, AVX2+FMA, portable) and the library picks one
// at run time from CPUID, so a build works on any CPU of its architecture. The output records a
// hash of its inputs (sources, compiler, flags, Node-API headers); when it matches, nothing is
// rebuilt. build/native-status.json says what happened (read by `deepq info`), build/native-build.log
// keeps the compiler's output of a failed build.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "native");
const outDir = join(root, "build");
const objDir = join(outDir, "obj");
const output = join(outDir, "deepq_native.node");
const statusFile = join(outDir, "native-status.json");
const logFile = join(outDir, "native-build.log");
const force = process.argv.includes("--force");

// -fno-math-errno: sqrtf never sets errno, so the optimizer loops vectorise (inputs are never negative there).
const COMMON = ["-std=c11", "-O3", "-Wall", "-Wextra", "-fPIC", "-fvisibility=hidden", "-ffp-contract=fast", "-fno-math-errno"];
const X86 = process.arch === "x64" || process.arch === "ia32";
// One object per CPU path; the portable one uses only the architecture's baseline.
const PATHS = [
  ...(X86
    ? [
        { name: "avx512", flags: ["-DDQ_PATH_AVX512", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma"] },
        { name: "avx2", flags: ["-DDQ_PATH_AVX2", "-mavx2", "-mfma"] },
      ]
    : []),
  { name: "generic", flags: [] },
];

function writeStatus(status) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(statusFile, `${JSON.stringify({ ...status, node: process.version, arch: process.arch }, null, 2)}\n`);
}

/** Gives up on the native build: one line, a status file, exit 0. A library left from an older build goes too (it may not match the sources). */
function skip(reason, log) {
  try {
    for (const f of [output, `${output}.inputs`]) rmSync(f, { force: true });
    writeStatus({ built: false, reason });
    if (log) writeFileSync(logFile, log);
  } catch {
    // The status file is informative only; an unwritable build/ must not fail the install either.
  }
  console.log(`deepq: native kernels not built (${reason}); using WebAssembly`);
  process.exit(0);
}

/** The compiler command: $CC (may carry flags, e.g. "ccache gcc"), else the first of cc, gcc, clang that runs. */
function findCompiler() {
  const candidates = process.env.CC ? [process.env.CC.trim().split(/\s+/)] : [["cc"], ["gcc"], ["clang"]];
  for (const cmd of candidates) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), "--version"], { encoding: "utf8" });
    if (r.status === 0) return { cmd, version: r.stdout.split("\n")[0] };
  }
  return null;
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], [...cmd.slice(1), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => resolve({ ok: false, out: `${out}${e.message}\n` }));
    child.on("close", (code) => resolve({ ok: code === 0, out }));
  });
}

async function main() {
  if (process.env.DEEPQ_NATIVE === "0") skip("DEEPQ_NATIVE=0");
  let include;
  let headersVersion;
  try {
    const pkg = createRequire(import.meta.url).resolve("node-api-headers/package.json");
    include = join(dirname(pkg), "include");
    headersVersion = JSON.parse(readFileSync(pkg, "utf8")).version;
  } catch {
    skip("the node-api-headers package is not installed");
  }
  const cc = findCompiler();
  if (!cc) skip(process.env.CC ? `CC=${process.env.CC} does not run` : "no C compiler found");

  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith(".c") || f.endsWith(".h"))
    .sort();
  const linkFlags = ["-shared", "-pthread", ...(process.platform === "darwin" ? ["-undefined", "dynamic_lookup"] : []), "-lm"];
  const hash = createHash("sha256")
    .update(JSON.stringify({ cc: cc.cmd, version: cc.version, COMMON, PATHS, linkFlags, headersVersion, arch: process.arch }))
    .update(sources.map((f) => `${f}\n${readFileSync(join(srcDir, f), "utf8")}`).join("\n"))
    .digest("hex")
    .slice(0, 16);
  const hashFile = `${output}.inputs`;
  if (!force && existsSync(output) && existsSync(hashFile) && readFileSync(hashFile, "utf8").trim() === hash) return;

  mkdirSync(objDir, { recursive: true });
  const t0 = performance.now();
  const jobs = [
    ...PATHS.map((p) => ({ src: "kernels.c", obj: `kernels-${p.name}.o`, flags: p.flags })),
    { src: "pool.c", obj: "pool.o", flags: [] },
    { src: "cpu.c", obj: "cpu.o", flags: [] },
    { src: "addon.c", obj: "addon.o", flags: ["-I", include] },
  ];
  const results = await Promise.all(jobs.map((j) => run(cc.cmd, [...COMMON, ...j.flags, "-c", join(srcDir, j.src), "-o", join(objDir, j.obj)])));
  const log = results.map((r, i) => (r.out ? `== ${jobs[i].obj}\n${r.out}` : "")).join("");
  const failed = results.findIndex((r) => !r.ok);
  if (failed >= 0) skip(`${cc.cmd.join(" ")} failed on native/${jobs[failed].src}; see build/native-build.log`, log);
  const tmp = join(outDir, "deepq_native.tmp.node"); // a .node name: require() picks the loader by extension
  const link = await run(cc.cmd, ["-o", tmp, ...jobs.map((j) => join(objDir, j.obj)), ...linkFlags]);
  if (!link.ok) skip(`linking with ${cc.cmd.join(" ")} failed; see build/native-build.log`, log + link.out);
  // The library must load into this Node and report a CPU path, or it is no use.
  try {
    const addon = createRequire(import.meta.url)(tmp);
    if (addon.cpuInfo().paths.length === 0) throw new Error("no usable CPU path");
  } catch (e) {
    rmSync(tmp, { force: true });
    skip(`the built library does not load: ${e instanceof Error ? e.message.split("\n")[0] : e}`, log);
  }
  renameSync(tmp, output);
  writeFileSync(hashFile, `${hash}\n`);
  rmSync(logFile, { force: true });
  if (log.trim()) process.stderr.write(log);
  writeStatus({ built: true, compiler: cc.version, paths: PATHS.map((p) => p.name), inputs: hash });
  console.log(
    `build-native: build/deepq_native.node (${PATHS.map((p) => p.name).join(", ")}; ${cc.version}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((e) => skip(`unexpected error: ${e instanceof Error ? e.message : e}`));
