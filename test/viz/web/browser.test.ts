/**
 * The three pages in a real browser (Debian's chromium through playwright-core):
 *   1. `deepq watch` on a training run in progress: the return chart gains points;
 *   2. `deepq play` of the model that run trained: frames are not blank and change;
 *   3. the static page (web/dist, no server) runs that model in the page to return ≥ 475.
 * Also: `deepq play --human` answers arrow keys pressed in the page.
 * The short training run is the one the dashboard watches and the source of the model
 * (unless pretrained/CartPole-v1-dqn.safetensors exists). Screenshots go to test-artifacts/.
 * Skipped, with a message, when /usr/bin/chromium is not installed (`.ci/run` installs it).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { Observation } from "../../../src/envs/core.js";
import { make } from "../../../src/envs/index.js";
import { loadModel } from "../../../src/train/model-file.js";
import { makeTrainEnv } from "../../../src/train/env.js";
import { startDashboard, type Dashboard } from "../../../src/viz/web/dashboard-server.js";
import { startPlay } from "../../../src/viz/web/play-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ARTIFACTS = join(ROOT, "test-artifacts");
const PRETRAINED = join(ROOT, "pretrained/CartPole-v1-dqn.safetensors");
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`;

let browser: Browser | null = null;
let trainer: ChildProcess | null = null;
let trainerDone: Promise<number> = Promise.resolve(0);
let runDir = "";
let dashboard: Dashboard | null = null;
const t0 = Date.now();
const log = (msg: string) => process.stderr.write(`[browser test ${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  return page;
}

/**
 * The short training run: the dashboard watches it, and its best model drives the play and
 * static pages. Evaluating every 2000 steps lets it stop at the first evaluation that averages
 * 500 (the trainer's goal), which for this preset and seed comes within seconds; it takes
 * about a minute when it has to train to the preset's usual 35k steps.
 */
function startTraining(): void {
  runDir = join(mkdtempSync(join(tmpdir(), "deepq-browser-")), "run");
  trainer = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/bin.ts"), "train", "CartPole-v1", "--run-dir", runDir, "--quiet", "--seed", "0", "--set", "evalEvery=2000"],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  trainer.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  trainerDone = new Promise((res) => trainer!.on("exit", (code) => {
    log(`training exited with ${code}: ${stderr.trim().split("\n").slice(-2).join(" | ")}`);
    res(code ?? 1);
  }));
}

before(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, ".gitignore"), "*\n");
  const build = spawnSync(process.execPath, [join(ROOT, "web/build.mjs")], { cwd: ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, `build:web failed: ${build.stderr}`);
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  log(`chromium ${browser.version()} up, web bundle built`);
});

after(async () => {
  await dashboard?.close();
  await browser?.close();
  if (trainer && trainer.exitCode === null) trainer.kill("SIGKILL");
  log("done");
});

test("dashboard: the chart of a running training gains points", { skip, timeout: 60_000 }, async () => {
  startTraining();
  mkdirSync(runDir, { recursive: true });
  dashboard = await startDashboard({ runDir, port: 0, intervalMs: 200 });
  const page = await newPage();
  await page.goto(dashboard.url);
  // Record every point count the return chart shows, from before the first row arrives.
  await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>("#c-return")!;
    const seen: number[] = ((window as unknown as { seen: number[] }).seen = [Number(c.dataset.points ?? 0)]);
    new MutationObserver(() => seen.push(Number(c.dataset.points))).observe(c, { attributes: true, attributeFilter: ["data-points"] });
  });
  await page.waitForFunction(() => Number(document.body.dataset.evals ?? 0) > 0, null, { timeout: 55_000 });
  const seen = [...new Set(await page.evaluate(() => (window as unknown as { seen: number[] }).seen))];
  log(`dashboard chart points over time: ${seen.join(" → ")}`);
  assert.ok(seen.filter((n) => n > 0).length >= 2, "the chart grew while the page was open");
  assert.deepEqual(seen, [...seen].sort((x, y) => x - y), "points only grow");
  assert.match(await page.textContent("#config") ?? "", /"env": "CartPole-v1"/);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  await page.close();
});

test("play --human: arrow keys in the page drive the env", { skip, timeout: 30_000 }, async () => {
  const play = await startPlay({ title: "CartPole-v1", envId: "CartPole-v1", human: true, makeEnv: () => make("CartPole-v1"), seed: 3, port: 0 });
  const page = await newPage();
  try {
    await page.goto(play.url);
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 1, null, { timeout: 10_000 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => Number(document.body.dataset.frames)), 1, "waits for a key");
    await page.keyboard.down("ArrowRight");
    await page.waitForFunction(() => Number(document.body.dataset.frames) >= 6, null, { timeout: 10_000 });
    await page.keyboard.up("ArrowRight");
    const ret = await page.evaluate(() => Number(document.body.dataset.ret));
    log(`human play: return ${ret} after holding →`);
    assert.ok(ret >= 4);
    await page.screenshot({ path: join(ARTIFACTS, "play-human.png") });
  } finally {
    await page.close();
    await play.close();
  }
});

let modelPath = "";

async function model(): Promise<string> {
  if (modelPath) return modelPath;
  if (existsSync(PRETRAINED)) return (modelPath = PRETRAINED);
  const code = await trainerDone;
  assert.equal(code, 0, "the training run failed");
  modelPath = join(runDir, "best.safetensors");
  assert.ok(existsSync(modelPath), "training wrote no best.safetensors");
  return modelPath;
}

test("play: non-blank frames that change over time", { skip, timeout: 80_000 }, async () => {
  const { agent, info } = loadModel(await model());
  log(`playing ${modelPath}`);
  const cfg = { env: info.env, envOptions: info.envOptions, pipeline: info.pipeline };
  const play = await startPlay({ title: info.env, makeEnv: () => makeTrainEnv(cfg), policy: (o: Observation) => agent.act(o as Float32Array, { epsilon: 0 }), seed: 7, port: 0 });
  const page = await newPage();
  try {
    await page.goto(play.url);
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 5, null, { timeout: 15_000 });
    // Pixels of the shown frame: how many differ from the background, and a fingerprint.
    const probe = () => page.$eval("#frame", (img) => {
      const im = img as HTMLImageElement;
      const c = document.createElement("canvas");
      c.width = im.naturalWidth;
      c.height = im.naturalHeight;
      const g = c.getContext("2d")!;
      g.drawImage(im, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) ink++;
        hash = (Math.imul(hash, 31) + d[i]! + 3 * d[i + 1]! + 7 * d[i + 2]! + i) | 0;
      }
      return { w: c.width, h: c.height, ink, hash, frames: Number(document.body.dataset.frames), ret: Number(document.body.dataset.ret) };
    });
    const a = await probe();
    await page.waitForTimeout(700);
    const b = await probe();
    log(`play frames ${a.frames} → ${b.frames}, ink ${a.ink}/${b.ink} px, return ${b.ret}`);
    assert.deepEqual([a.w, a.h], [600, 400]);
    assert.ok(a.ink > 1000 && b.ink > 1000, "frames show the cart and pole");
    assert.notEqual(a.hash, b.hash, "frames change");
    assert.ok(b.frames - a.frames >= 20, "about 50 frames a second");
    assert.ok(b.ret > a.ret, "the return grows");
    await page.screenshot({ path: join(ARTIFACTS, "play.png") });
  } finally {
    await page.close();
    await play.close();
  }
});

test("static page: the model runs in the page (WASM kernels) to return ≥ 475", { skip, timeout: 60_000 }, async () => {
  const path = await model();
  const page = await newPage();
  try {
    await page.goto(`${pathToFileURL(join(ROOT, "web/dist/index.html")).href}?speed=max&episodes=3&seed=100`);
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 15_000 });
    await page.setInputFiles("#file", path);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { deepqStatic: { done: boolean; error: string | null } }).deepqStatic;
      return s.done || s.error !== null;
    }, null, { timeout: 40_000 });
    const s = await page.evaluate(() => (globalThis as unknown as { deepqStatic: { returns: number[]; backend: string; error: string | null; env: string } }).deepqStatic);
    log(`static page (${s.backend}): ${s.env} returns ${s.returns.join(", ")}`);
    assert.equal(s.error, null);
    assert.equal(s.env, "CartPole-v1");
    assert.match(s.backend, /^wasm-/, "the WASM kernels load in the page");
    assert.equal(s.returns.length, 3);
    for (const r of s.returns) assert.ok(r >= 475, `return ${r}`);
    await page.screenshot({ path: join(ARTIFACTS, "static.png") });
  } finally {
    await page.close();
  }
});
