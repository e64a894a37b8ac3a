/**
 * The local servers against DNS rebinding and cross-site pages: a foreign Host is refused
 * (403) on every path of both servers, as is a foreign Origin; POST /input takes JSON only
 * (415 otherwise, so no cross-origin form or text/plain request gets through without a
 * preflight); and the number of concurrent play sessions and dashboard pages is bounded.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { make } from "../../../src/envs/index.js";
import { startDashboard } from "../../../src/viz/web/dashboard-server.js";
import type { WebServer } from "../../../src/viz/web/http.js";
import { startPlay } from "../../../src/viz/web/play-server.js";

interface Reply {
  status: number;
  body: string;
  res: IncomingMessage;
}

/** One request with exactly these headers; streams (SSE) are cut after the status line. */
function send(server: WebServer, path: string, headers: Record<string, string>, opts: { method?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: opts.method ?? "GET", headers, setHost: false }, (res) => {
      if ((res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        resolve({ status: res.statusCode ?? 0, body: "", res });
        return;
      }
      let body = "";
      res
        .setEncoding("utf8")
        .on("data", (d: string) => (body += d))
        .on("end", () => resolve({ status: res.statusCode ?? 0, body, res }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

const hosts = (port: number) => ({
  good: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`],
  bad: [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`, "127.0.0.1", `localhost@evil.example:${port}`, ""],
});
/** Refused: 403 from the guard, or 400 from Node itself when there is no Host at all. */
const refused = (host: string) => (host === "" ? 400 : 403);

test("dashboard: a foreign Host or Origin gets 403 on every path; the local names work", async () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-guard-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ secret: "run config" }));
  const dash = await startDashboard({ runDir: dir, port: 0, intervalMs: 60_000, maxClients: 2 });
  try {
    const { good, bad } = hosts(dash.port);
    for (const path of ["/", "/events", "/videos/episode-1.gif", "/nope"]) {
      for (const host of bad) {
        const r = await send(dash, path, host === "" ? {} : { host });
        assert.equal(r.status, refused(host), `${path} with Host ${host}`);
        assert.doesNotMatch(r.body, /run config/);
      }
      const r = await send(dash, path, { host: good[0]!, origin: "http://evil.example" });
      assert.equal(r.status, 403, `${path} with a foreign Origin`);
      r.res.destroy();
    }
    for (const host of good) {
      const r = await send(dash, "/", { host });
      assert.equal(r.status, 200, host);
    }
    assert.equal((await send(dash, "/", { host: good[0]!, origin: `http://${good[0]}` })).status, 200, "same-origin");
    // At most maxClients pages at once.
    const open = [await send(dash, "/events", { host: good[0]! }), await send(dash, "/events", { host: good[0]! })];
    assert.deepEqual(
      open.map((r) => r.status),
      [200, 200],
    );
    const third = await send(dash, "/events", { host: good[0]! });
    assert.equal(third.status, 503);
    assert.match(third.body, /too many pages/);
    for (const r of open) r.res.destroy();
  } finally {
    await dash.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("play: foreign Host/Origin refused, input only as same-origin JSON, sessions bounded", async () => {
  const play = await startPlay({ title: "CartPole-v1", makeEnv: () => make("CartPole-v1"), human: true, fps: 20, seed: 0, port: 0, maxSessions: 2 });
  try {
    const { good, bad } = hosts(play.port);
    for (const host of bad) {
      assert.equal((await send(play, "/", host === "" ? {} : { host })).status, refused(host), host);
      assert.equal((await send(play, "/frames", host === "" ? {} : { host })).status, refused(host), host);
    }
    assert.equal(play.sessions, 0, "a refused request opens no session");
    assert.equal((await send(play, "/frames", { host: good[0]!, origin: "http://evil.example" })).status, 403);
    assert.equal(play.sessions, 0);

    const first = await send(play, "/frames", { host: good[0]! });
    assert.equal(first.status, 200);
    const session = await new Promise<string>((resolve) => {
      let buf = "";
      first.res.setEncoding("utf8").on("data", (d: string) => {
        buf += d;
        const m = /"session":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]!);
      });
    });
    const input = (headers: Record<string, string>) =>
      send(play, `/input?session=${session}`, { host: good[0]!, ...headers }, { method: "POST", body: JSON.stringify({ keys: ["ArrowLeft"] }) });
    // A cross-origin page can send text/plain or a form without a preflight: refused by type, and by origin.
    assert.equal((await input({ "content-type": "text/plain" })).status, 415);
    assert.equal((await input({ "content-type": "application/x-www-form-urlencoded" })).status, 415);
    assert.equal((await input({})).status, 415);
    assert.equal((await input({ "content-type": "application/json", origin: "http://evil.example" })).status, 403);
    assert.equal((await input({ "content-type": "application/json", host: `evil.example:${play.port}` })).status, 403);
    assert.equal((await input({ "content-type": "application/json; charset=utf-8", origin: `http://${good[0]}` })).status, 204);
    assert.equal((await input({ "content-type": "application/json" })).status, 204);

    const second = await send(play, "/frames", { host: good[1]! });
    assert.equal(second.status, 200);
    const third = await send(play, "/frames", { host: good[0]! });
    assert.equal(third.status, 503);
    assert.match(third.body, /2 pages are already playing/);
    first.res.destroy();
    second.res.destroy();
  } finally {
    await play.close();
  }
});

test("play: a policy that cannot act on the env fails before the server listens", async () => {
  await assert.rejects(
    startPlay({
      title: "LunarLander-v3",
      makeEnv: () => make("LunarLander-v3"),
      port: 0,
      policy: () => {
        throw new Error("DQN: expected 1 observation(s) of shape [4] (4 values), got 8");
      },
    }),
    /got 8/,
  );
});
