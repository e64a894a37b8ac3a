/**
 * `deepq watch`: a local page with the live curves of a run directory.
 *
 * The server follows episodes.csv and progress.csv with `CsvTail` (one tail per file for
 * all pages) and pushes rows over server-sent events: on connect a page gets `config` and
 * the whole `history`, then only the new rows as they are appended. It reads files only; it
 * does not need the training process (a finished run shows its full history).
 *
 * Events: `config` (config.json or null), `history` {episodes, progress}, `episodes` rows[],
 * `progress` rows[], `reset` {file} when a file shrank (resume truncation), `video` {name}
 * for the newest GIF in videos/ (served at /videos/<name>).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type CsvRow, CsvTail } from "./csv-tail.js";
import { listen, sendText, type WebServer } from "./http.js";
import { dashboardHtml } from "./pages.js";
import { openSse, type SseStream } from "./sse.js";

export interface DashboardOptions {
  runDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** How often the files are checked, in ms (default 1000; fs.watch events also trigger checks). */
  intervalMs?: number;
  /** Pages that may be connected at once; more get 503. Default 32. */
  maxClients?: number;
}

export interface Dashboard extends WebServer {
  /** Checks the files now (tests; the timer does this every intervalMs). */
  poll(): void;
  /** Pages currently connected. */
  readonly clients: number;
}

function readConfig(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    return null; // not written yet, or caught mid-write (it is written atomically, so rarely)
  }
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const { runDir } = opts;
  const tailOpts = { intervalMs: opts.intervalMs ?? 1000 };
  const episodes = new CsvTail(join(runDir, "episodes.csv"), tailOpts);
  const progress = new CsvTail(join(runDir, "progress.csv"), tailOpts);
  const configPath = join(runDir, "config.json");
  const clients = new Set<SseStream>();
  const broadcast = (event: string, data: unknown) => {
    for (const c of clients) c.send(event, data);
  };
  episodes.subscribe({ rows: (r: CsvRow[]) => broadcast("episodes", r), reset: () => broadcast("reset", { file: "episodes" }) });
  progress.subscribe({ rows: (r: CsvRow[]) => broadcast("progress", r), reset: () => broadcast("reset", { file: "progress" }) });

  const videoDir = join(runDir, "videos");
  const VIDEO_NAME = /^episode-(\d+)\.gif$/;
  let newestVideo: string | null = null;
  const videoTick = () => {
    let best: string | null = null;
    let bestEpisode = -1;
    try {
      for (const f of readdirSync(videoDir)) {
        const m = VIDEO_NAME.exec(f);
        if (m && Number(m[1]) > bestEpisode) {
          bestEpisode = Number(m[1]);
          best = f;
        }
      }
    } catch {
      return; // no videos (yet)
    }
    if (best !== newestVideo) {
      newestVideo = best;
      broadcast("video", { name: best });
    }
  };

  let configStamp = "";
  const configTick = () => {
    videoTick();
    let stamp = "";
    try {
      const st = statSync(configPath);
      stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      stamp = "";
    }
    if (stamp !== configStamp) {
      configStamp = stamp;
      broadcast("config", readConfig(configPath));
    }
  };
  configTick();
  const configTimer = setInterval(configTick, tailOpts.intervalMs);
  configTimer.unref();
  episodes.start();
  progress.start();

  const html = dashboardHtml(runDir);
  const web = await listen((req, res, url) => {
    if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, "method not allowed\n");
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return sendText(res, 200, html, "text/html; charset=utf-8");
      case "/events": {
        if (clients.size >= (opts.maxClients ?? 32)) return sendText(res, 503, "too many pages are connected; close one and reload\n");
        // Catch up on anything appended since the last tick, so history and stream join exactly.
        episodes.poll();
        progress.poll();
        const s = openSse(req, res);
        s.send("config", readConfig(configPath));
        s.send("history", { episodes: episodes.history, progress: progress.history });
        if (newestVideo !== null) s.send("video", { name: newestVideo });
        clients.add(s);
        s.onClose(() => clients.delete(s));
        return;
      }
      case "/favicon.ico":
        res.writeHead(204).end();
        return;
      default: {
        const name = url.pathname.startsWith("/videos/") ? url.pathname.slice("/videos/".length) : "";
        if (VIDEO_NAME.test(name)) {
          try {
            const gif = readFileSync(join(videoDir, name));
            res.writeHead(200, { "content-type": "image/gif", "cache-control": "no-store" }).end(gif);
            return;
          } catch {
            // fall through to 404
          }
        }
        return sendText(res, 404, "not found\n");
      }
    }
  }, opts);

  return {
    ...web,
    get clients() {
      return clients.size;
    },
    poll() {
      episodes.poll();
      progress.poll();
      configTick();
    },
    async close() {
      clearInterval(configTimer);
      episodes.stop();
      progress.stop();
      for (const c of clients) c.close();
      await web.close();
    },
  };
}
