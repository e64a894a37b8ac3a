/**
 * The three pages in a real browser (Debian's chromium through playwright-core):
 *   1. `deepq watch` on a run directory the test writes itself: the return chart shows the
 *      rows already there and gains points as the test appends rows (no training process, no
 *      timing: each append is followed by an explicit poll and the test waits for the page);
 *   2. `deepq play` of the committed pretrained CartPole model: frames are not blank and change;
 *   3. the static page (web/dist, no server) runs that model in the page to return ≥ 475.
 * Also: `deepq play --human` answers arrow keys pressed in the page.
 * Screenshots go to test-artifacts/.
 * Skipped, with a message, when /usr/bin/chromium is not installed (`.ci/run` installs it).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { Observation } from "../../../src/envs/core.js";
import { make } from "../../../src/envs/index.js";
import { makeTrainEnv } from "../../../src/train/env.js";
import { loadModel } from "../../../src/train/model-file.js";
import { startDashboard } from "../../../src/viz/web/dashboard-server.js";
import { startPlay } from "../../../src/viz/web/play-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ARTIFACTS = join(ROOT, "test-artifacts");
const MODEL = join(ROOT, "pretrained/CartPole-v1-dqn.safetensors");
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`;

let browser: Browser | null = null;
const t0 = Date.now();
const log = (msg: string) => process.stderr.write(`[browser test ${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  return page;
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
  await browser?.close();
  log("done");
});

// The trainer's CSV columns (src/train/trainer.ts); the dashboard reads the files only.
const EPISODE_HEADER = "step,episode,return,length,epsilon,wall_s\n";
const PROGRESS_HEADER = "step,wall_s,eval_mean,eval_std,eval_min,eval_max,eval_episodes,epsilon,loss,mean_q,steps_per_s,episodes\n";
const episodeRow = (i: number) => `${20 * (i + 1)},${i + 1},${10 + i},20,${(1 - 0.01 * i).toFixed(2)},${(0.1 * i).toFixed(1)}\n`;
const progressRow = (step: number, mean: number) => `${step},1.0,${mean},5,${mean - 10},${mean + 10},10,0.5,0.25,3.5,1000,${step / 20}\n`;

test("dashboard: the return chart shows a run directory's rows and gains points as rows are appended", { skip, timeout: 60_000 }, async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), "deepq-browser-")), "run");
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, "config.json"), `${JSON.stringify({ env: "CartPole-v1", totalSteps: 1000 }, null, 2)}\n`);
  writeFileSync(join(runDir, "episodes.csv"), EPISODE_HEADER + [0, 1, 2].map(episodeRow).join(""));
  writeFileSync(join(runDir, "progress.csv"), PROGRESS_HEADER + progressRow(60, 12));
  // A long interval: the test polls explicitly after each append, so nothing depends on a timer.
  const dashboard = await startDashboard({ runDir, port: 0, intervalMs: 3_600_000 });
  const page = await newPage();
  // The chart's points: episode returns and their moving average (one each per episode) and
  // the evaluations with a mean.
  const points = () => page.evaluate(() => Number(document.querySelector<HTMLCanvasElement>("#c-return")!.dataset.points ?? -1));
  const waitFor = async (episodes: number, evals: number) => {
    await page.waitForFunction(
      ([e, v]) => Number(document.body.dataset.episodes) === e && Number(document.body.dataset.evals) === v,
      [episodes, evals] as const,
      { timeout: 20_000 },
    );
    assert.equal(await points(), 2 * episodes + evals, `${episodes} episodes and ${evals} evaluations on the chart`);
  };
  try {
    await page.goto(dashboard.url);
    await waitFor(3, 1);
    // Record every point count the chart shows from here on.
    await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>("#c-return")!;
      const seen: number[] = ((window as unknown as { seen: number[] }).seen = [Number(c.dataset.points)]);
      new MutationObserver(() => seen.push(Number(c.dataset.points))).observe(c, { attributes: true, attributeFilter: ["data-points"] });
    });
    appendFileSync(join(runDir, "episodes.csv"), [3, 4].map(episodeRow).join(""));
    dashboard.poll();
    await waitFor(5, 1);
    // A row without its newline yet is not shown; completing it is.
    const row = progressRow(100, 15);
    appendFileSync(join(runDir, "progress.csv"), row.slice(0, 10));
    dashboard.poll();
    appendFileSync(join(runDir, "episodes.csv"), episodeRow(5));
    dashboard.poll();
    await waitFor(6, 1);
    appendFileSync(join(runDir, "progress.csv"), row.slice(10));
    dashboard.poll();
    await waitFor(6, 2);
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    log(`dashboard chart points over time: ${seen.join(" → ")}`);
    assert.deepEqual([...new Set(seen)], [7, 11, 13, 14], "the chart grew with each append, and only grew");
    assert.match((await page.textContent("#config")) ?? "", /"env": "CartPole-v1"/);
    assert.equal(await page.textContent("#s-episodes"), "6");
    assert.equal(await page.textContent("#s-best"), "15.0 @ 100");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  } finally {
    await page.close();
    await dashboard.close();
    rmSync(dirname(runDir), { recursive: true, force: true });
  }
});

test("play --human: arrow keys in the page drive the env", { skip, timeout: 30_000 }, async () => {
  const play = await startPlay({ title: "CartPole-v1", human: true, makeEnv: () => make("CartPole-v1"), seed: 3, port: 0 });
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

test("play: non-blank frames that change over time", { skip, timeout: 80_000 }, async () => {
  assert.ok(existsSync(MODEL), `${MODEL} is committed with the repository`);
  const { agent, info } = loadModel(MODEL);
  const cfg = { env: info.env, envOptions: info.envOptions, pipeline: info.pipeline };
  const play = await startPlay({
    title: info.env,
    makeEnv: () => makeTrainEnv(cfg),
    policy: (o: Observation) => agent.act(o as Float32Array, { epsilon: 0 }),
    seed: 7,
    port: 0,
  });
  const page = await newPage();
  try {
    await page.goto(play.url);
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 5, null, { timeout: 15_000 });
    // Pixels of the shown frame: how many differ from the background, and a fingerprint.
    const probe = () =>
      page.$eval("#frame", (img) => {
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
    // 20 frames later (the pacing at the env's frame rate is tested without a browser, in
    // server.test.ts; here only that frames keep coming, whatever the machine's load).
    await page.waitForFunction((n) => Number(document.body.dataset.frames) >= n, a.frames + 20, { timeout: 30_000 });
    const b = await probe();
    log(`play frames ${a.frames} → ${b.frames}, ink ${a.ink}/${b.ink} px, return ${b.ret}`);
    assert.deepEqual([a.w, a.h], [600, 400]);
    assert.ok(a.ink > 1000 && b.ink > 1000, "frames show the cart and pole");
    assert.notEqual(a.hash, b.hash, "frames change");
    assert.ok(b.ret > a.ret, "the return grows");
    await page.screenshot({ path: join(ARTIFACTS, "play.png") });
  } finally {
    await page.close();
    await play.close();
  }
});

test("static page: the model runs in the page (WASM kernels) to return ≥ 475", { skip, timeout: 60_000 }, async () => {
  const page = await newPage();
  try {
    await page.goto(`${pathToFileURL(join(ROOT, "web/dist/index.html")).href}?speed=max&episodes=3&seed=100`);
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 15_000 });
    await page.setInputFiles("#file", MODEL);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { deepqStatic: { done: boolean; error: string | null } }).deepqStatic;
        return s.done || s.error !== null;
      },
      null,
      { timeout: 40_000 },
    );
    const s = await page.evaluate(
      () => (globalThis as unknown as { deepqStatic: { returns: number[]; backend: string; error: string | null; env: string } }).deepqStatic,
    );
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
