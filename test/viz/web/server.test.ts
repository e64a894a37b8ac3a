/** CSV tailing, the SSE streams of `deepq watch` / `deepq play`, PNG frames and model bytes, without a browser. */

import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decode } from "fast-png";
import { DQNAgent } from "../../../src/agents/dqn.js";
import { buildProgram } from "../../../src/cli/main.js";
import { make } from "../../../src/envs/index.js";
import { makeTrainEnv } from "../../../src/train/env.js";
import { CsvLog } from "../../../src/train/files.js";
import { loadModel, saveModel } from "../../../src/train/model-file.js";
import { modelFromBytes } from "../../../src/train/model-format.js";
import { type CsvRow, CsvRowParser, CsvTail } from "../../../src/viz/web/csv-tail.js";
import { startDashboard } from "../../../src/viz/web/dashboard-server.js";
import { actionForKeys, humanControls, startPlay } from "../../../src/viz/web/play-server.js";

const tmp = () => mkdtempSync(join(tmpdir(), "deepq-web-"));

/** A minimal SSE client: collects events from `url` until `until` says stop or the timeout. */
function sseEvents(
  url: string,
  until: (events: Array<{ event: string; data: unknown }>) => boolean,
  timeoutMs = 5000,
  onEvent?: (e: { event: string; data: unknown }, all: Array<{ event: string; data: unknown }>) => void,
) {
  return new Promise<Array<{ event: string; data: unknown }>>((resolve, reject) => {
    const events: Array<{ event: string; data: unknown }> = [];
    let buf = "";
    const req = get(url, (res) => {
      assert.equal(res.headers["content-type"], "text/event-stream; charset=utf-8");
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          let data: string | null = null;
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data = line.slice(6);
          }
          if (data === null) continue;
          const e = { event, data: JSON.parse(data) as unknown };
          events.push(e);
          onEvent?.(e, events);
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on("error", (err) => (events.length > 0 ? undefined : reject(err)));
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`timeout; got ${events.map((e) => e.event).join(", ")}`));
    }, timeoutMs);
  });
}

test("CsvRowParser: rows across chunk boundaries, quoted cells, numbers and empties", () => {
  const p = new CsvRowParser();
  assert.deepEqual(p.push(new TextEncoder().encode("step,note,v\n1,a,")), []);
  assert.deepEqual(p.columns, ["step", "note", "v"]);
  assert.deepEqual(p.push(new TextEncoder().encode('2.5\n2,"x,""y""",\n3')), [
    { step: 1, note: "a", v: 2.5 },
    { step: 2, note: 'x,"y"', v: null },
  ]);
  assert.deepEqual(p.push(new TextEncoder().encode(",z,1e3\n")), [{ step: 3, note: "z", v: 1000 }]);
  // A multi-byte character split between chunks decodes whole.
  const bytes = new TextEncoder().encode("4,ε,0\n");
  assert.deepEqual([...p.push(bytes.subarray(0, 3)), ...p.push(bytes.subarray(3))], [{ step: 4, note: "ε", v: 0 }]);
});

test("CsvTail reads only new complete rows, and restarts when the file shrinks or is replaced", () => {
  const dir = tmp();
  const path = join(dir, "episodes.csv");
  const tail = new CsvTail(path, { watch: false });
  assert.deepEqual(tail.poll(), [], "missing file: nothing yet");
  const log = new CsvLog(path, ["step", "return"] as const);
  const got: CsvRow[][] = [];
  let resets = 0;
  tail.subscribe({ rows: (r) => got.push(r), reset: () => resets++ });
  assert.deepEqual(tail.poll(), []);
  log.append({ step: 10, return: 10 });
  log.append({ step: 25, return: 15 });
  assert.deepEqual(tail.poll(), [
    { step: 10, return: 10 },
    { step: 25, return: 15 },
  ]);
  assert.deepEqual(tail.poll(), [], "nothing new, nothing sent");
  appendFileSync(path, "40,1");
  assert.deepEqual(tail.poll(), [], "a half-written row waits");
  appendFileSync(path, "5\n");
  assert.deepEqual(tail.poll(), [{ step: 40, return: 15 }]);
  assert.equal(got.length, 2);
  assert.equal(tail.history.length, 3);
  // Resume truncation rewrites the file atomically (a new inode): start over.
  CsvLog.keepThrough(path, "step", 10);
  assert.deepEqual(tail.poll(), [{ step: 10, return: 10 }]);
  assert.equal(resets, 1);
  assert.deepEqual(tail.history, [{ step: 10, return: 10 }]);
  // Shrinking in place also restarts.
  writeFileSync(path, "step,return\n");
  assert.deepEqual(tail.poll(), []);
  assert.equal(resets, 2);
  assert.equal(tail.history.length, 0);
});

test("CsvTail follows a file with its timer", async () => {
  const dir = tmp();
  const path = join(dir, "p.csv");
  writeFileSync(path, "step,x\n1,2\n");
  const tail = new CsvTail(path, { intervalMs: 20 });
  const seen: CsvRow[] = [];
  tail.subscribe({ rows: (r) => seen.push(...r) });
  tail.start();
  try {
    assert.equal(seen.length, 1);
    appendFileSync(path, "2,3\n");
    const t0 = Date.now();
    while (seen.length < 2 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, [
      { step: 1, x: 2 },
      { step: 2, x: 3 },
    ]);
  } finally {
    tail.stop();
  }
});

test("dashboard: page, then config + full history on connect, then only new rows", async () => {
  const dir = tmp();
  writeFileSync(join(dir, "config.json"), JSON.stringify({ env: "CartPole-v1", totalSteps: 1000 }));
  const episodes = new CsvLog(join(dir, "episodes.csv"), ["step", "episode", "return", "length", "epsilon", "wall_s"] as const);
  episodes.append({ step: 20, episode: 1, return: 20, length: 20, epsilon: 0.9, wall_s: 0.1 });
  episodes.append({ step: 35, episode: 2, return: 15, length: 15, epsilon: 0.8, wall_s: 0.2 });
  const dash = await startDashboard({ runDir: dir, port: 0, intervalMs: 60_000 });
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(dash.url)).text();
    assert.match(html, /<canvas class="chart" id="c-return">/);
    assert.match(html, /new EventSource\("events"\)/);
    assert.doesNotMatch(html, /<script src=/, "no external scripts");
    assert.equal((await fetch(`${dash.url}nope`)).status, 404);

    let appended = false;
    const events = await sseEvents(
      `${dash.url}events`,
      (ev) => ev.some((e) => e.event === "episodes") && ev.some((e) => e.event === "progress"),
      5000,
      (e) => {
        if (e.event !== "history" || appended) return;
        appended = true;
        episodes.append({ step: 50, episode: 3, return: 15, length: 15, epsilon: 0.7, wall_s: 0.3 });
        const progress = new CsvLog(join(dir, "progress.csv"), ["step", "eval_mean", "eval_std", "loss"] as const);
        progress.append({ step: 50, eval_mean: 12.5, eval_std: 1.5, loss: 0.25 });
        dash.poll();
      },
    );
    assert.deepEqual(
      events.slice(0, 2).map((e) => e.event),
      ["config", "history"],
    );
    assert.deepEqual(events[0]!.data, { env: "CartPole-v1", totalSteps: 1000 });
    const history = events[1]!.data as { episodes: CsvRow[]; progress: CsvRow[] };
    assert.deepEqual(
      history.episodes.map((r) => r.step),
      [20, 35],
    );
    assert.deepEqual(history.progress, []);
    const newEpisodes = events.filter((e) => e.event === "episodes").flatMap((e) => e.data as CsvRow[]);
    assert.deepEqual(
      newEpisodes.map((r) => r.step),
      [50],
      "only the appended row is sent",
    );
    const newProgress = events.filter((e) => e.event === "progress").flatMap((e) => e.data as CsvRow[]);
    assert.deepEqual(newProgress, [{ step: 50, eval_mean: 12.5, eval_std: 1.5, loss: 0.25 }]);

    // A page connecting later gets all three episodes as history.
    const later = await sseEvents(`${dash.url}events`, (ev) => ev.some((e) => e.event === "history"));
    const h2 = later.find((e) => e.event === "history")!.data as { episodes: CsvRow[]; progress: CsvRow[] };
    assert.deepEqual(
      h2.episodes.map((r) => r.step),
      [20, 35, 50],
    );
    assert.equal(h2.progress.length, 1);
  } finally {
    await dash.close();
  }
});

test("human controls: each env's metadata.keyControls maps keys to its actions, the last pressed key wins", () => {
  const c = humanControls("CartPole-v1", make("CartPole-v1"));
  assert.equal(actionForKeys(c, ["ArrowLeft"], 0), 0);
  assert.equal(actionForKeys(c, ["ArrowLeft", "ArrowRight"], 0), 1);
  assert.equal(actionForKeys(c, ["x"], 4), 0, "no mapped key: CartPole alternates");
  assert.equal(actionForKeys(c, [], 5), 1);
  const l = humanControls("LunarLander-v3", make("LunarLander-v3"));
  assert.equal(actionForKeys(l, ["ArrowUp"], 0), 2);
  assert.equal(actionForKeys(l, [], 0), 0);
  const car = humanControls("CarRacing-v3", make("CarRacing-v3", { continuous: false }));
  assert.deepEqual([car.keys.ArrowLeft, car.keys.ArrowRight, car.keys.ArrowUp, car.keys.ArrowDown], [1, 2, 3, 4]);
  assert.throws(() => humanControls("LunarLander-v3", make("LunarLander-v3", { continuous: true })), /LunarLander-v3: --human needs a discrete action space/);
  assert.equal(make("CarRacing-v3").metadata.keyControls, undefined, "continuous CarRacing declares no keys");
  // The server reads whatever the env declares: no env id is known to it.
  const env = make("CartPole-v1");
  const custom = { keys: { a: 1, d: 0 }, idle: [1], help: "a / d" };
  const declared = Object.create(env, { metadata: { value: { renderFps: 50, keyControls: custom } } }) as typeof env;
  const k = humanControls("Custom-v0", declared);
  assert.equal(k, custom);
  assert.equal(actionForKeys(k, ["d"], 0), 0);
  assert.equal(actionForKeys(k, [], 3), 1);
});

test("play: PNG frames at the env's rate with the return, episodes reported", async () => {
  let episodes = 0;
  const play = await startPlay({
    title: "CartPole-v1",
    makeEnv: () => make("CartPole-v1"),
    policy: () => 0,
    seed: 1,
    fps: 200,
    pauseMs: 0,
    port: 0,
    onEpisode: () => episodes++,
  });
  try {
    assert.match(await (await fetch(play.url)).text(), /new EventSource\("frames"\)/);
    const events = await sseEvents(`${play.url}frames`, (ev) => ev.some((e) => e.event === "episode"), 5000);
    assert.equal(events[0]!.event, "hello");
    assert.equal((events[0]!.data as { fps: number }).fps, 200);
    const frames = events.filter((e) => e.event === "frame").map((e) => e.data as { png: string; ret: number; t: number });
    assert.ok(frames.length >= 8, `${frames.length} frames`);
    const img = decode(Buffer.from(frames.at(-1)!.png, "base64"));
    assert.deepEqual([img.width, img.height], [600, 400]);
    assert.notEqual(frames[0]!.png, frames.at(-1)!.png, "frames change");
    const ep = events.find((e) => e.event === "episode")!.data as { ret: number; length: number };
    assert.equal(ep.ret, frames.at(-1)!.ret);
    assert.ok(ep.length >= 8 && ep.length < 20, "always pushing left ends CartPole quickly");
    assert.equal(episodes, 1);
    for (let i = 0; i < 50 && play.sessions > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(play.sessions, 0, "a closed page stops its loop");
  } finally {
    await play.close();
  }
});

test("play --human: waits for a key, then steps with the pressed keys", async () => {
  const play = await startPlay({ title: "CartPole-v1", makeEnv: () => make("CartPole-v1"), human: true, fps: 100, seed: 0, port: 0 });
  try {
    let session = "";
    let posted: Promise<number> | null = null;
    let framesBeforeKey = -1;
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${play.url}input?session=${session}`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(body);
      });
    const events = await sseEvents(
      `${play.url}frames`,
      (ev) => ev.some((e) => e.event === "frame" && (e.data as { t: number }).t >= 5),
      5000,
      (e, all) => {
        if (e.event === "hello") session = (e.data as { session: string }).session;
        if (e.event === "waiting" && !posted) {
          setTimeout(() => {
            framesBeforeKey = all.filter((x) => x.event === "frame").length;
            posted = post(JSON.stringify({ keys: ["ArrowRight"] }));
          }, 100);
        }
      },
    );
    assert.equal(framesBeforeKey, 1, "only the reset frame until a key is pressed");
    assert.equal(await posted, 204);
    assert.ok(events.filter((e) => e.event === "frame").length >= 6);
    session = "nope";
    assert.equal(await post("{}"), 404);
  } finally {
    await play.close();
  }
});

test("model bytes: same network and env as loadModel", () => {
  const dir = tmp();
  const path = join(dir, "m.safetensors");
  const agent = new DQNAgent({ observationShape: [4], observationType: "float32", nActions: 2 }, { network: { kind: "mlp", hidden: [16] }, seed: 5 });
  saveModel(path, agent, { env: "CartPole-v1", envOptions: {}, pipeline: null, step: 123, eval: null });
  const a = loadModel(path);
  const b = modelFromBytes(new Uint8Array(readFileSync(path)), "m.safetensors");
  assert.equal(b.info.step, 123);
  const env = makeTrainEnv(b.info);
  let obs = env.reset({ seed: 0 }).obs as Float32Array;
  for (let i = 0; i < 30; i++) {
    const x = a.agent.act(obs, { epsilon: 0 });
    assert.equal(b.agent.act(obs, { epsilon: 0 }), x);
    const r = env.step(x);
    if (r.terminated || r.truncated) break;
    obs = r.obs as Float32Array;
  }
  assert.throws(() => modelFromBytes(new Uint8Array(8), "junk"), /junk/);
});

test("cli: watch and play are commands; watch rejects a missing run directory", async () => {
  const names = buildProgram().commands.map((c) => c.name());
  assert.ok(names.includes("watch") && names.includes("play"), names.join(","));
  const { main } = await import("../../../src/cli/main.js");
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => {
    errs.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    assert.equal(await main(["watch", join(tmp(), "missing")]), 1);
  } finally {
    process.stderr.write = orig;
  }
  assert.match(errs.join(""), /not a directory/);
});

test("dashboard: the newest recorded episode is announced and served; other paths are not", async () => {
  const dir = tmp();
  mkdirSync(join(dir, "videos"));
  writeFileSync(join(dir, "videos", "episode-3.gif"), "GIF89a-3");
  writeFileSync(join(dir, "videos", "episode-10.gif"), "GIF89a-10");
  writeFileSync(join(dir, "config.json"), "{}");
  const dash = await startDashboard({ runDir: dir, port: 0, intervalMs: 60_000 });
  try {
    const events = await sseEvents(`${dash.url}events`, (ev) => ev.some((e) => e.event === "video"));
    assert.deepEqual(events.find((e) => e.event === "video")!.data, { name: "episode-10.gif" });
    const gif = await fetch(`${dash.url}videos/episode-10.gif`);
    assert.equal(gif.status, 200);
    assert.equal(gif.headers.get("content-type"), "image/gif");
    assert.equal(await gif.text(), "GIF89a-10");
    for (const bad of ["videos/..%2Fconfig.json", "videos/episode-1.gif", "config.json"]) {
      assert.equal((await fetch(`${dash.url}${bad}`)).status, 404, bad);
    }
    writeFileSync(join(dir, "videos", "episode-20.gif"), "GIF89a-20");
    const seen: unknown[] = [];
    const later = sseEvents(
      `${dash.url}events`,
      (ev) => ev.filter((e) => e.event === "video").length >= 2,
      5000,
      (e) => {
        if (e.event === "video") seen.push(e.data);
        if (e.event === "history") dash.poll();
      },
    );
    await later;
    assert.deepEqual(seen.at(-1), { name: "episode-20.gif" });
  } finally {
    await dash.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
