/**
 * `deepq play`: an env played in a local page at its own frame rate. Frames are rendered on
 * the server with `env.render()`, encoded as PNG and pushed over server-sent events (base64
 * in JSON); the page shows them with the running return.
 *
 * The player is either a policy (a trained agent) or a person: with `human`, the page sends
 * its pressed keys (`POST /input`, only when they change) and each step maps them to a
 * discrete action through the env's `metadata.keyControls`, as Gymnasium's `play` utility
 * does with `keys_to_action`.
 *
 * Every connected page gets its own env and episode loop, stopped when the page goes away;
 * at most `maxSessions` at once, so a flood of pages cannot exhaust the machine.
 */
import { randomUUID } from "node:crypto";
import type { Action, Env, KeyControls, Observation } from "../../envs/core.js";
import { Discrete } from "../../envs/spaces.js";
import { PngEncoder } from "../../media/png.js";
import { listen, readBody, sendText, type WebServer } from "./http.js";
import { playHtml } from "./pages.js";
import { openSse, type SseStream } from "./sse.js";

/**
 * The keyboard controls for `env` (called `name` in errors): its `metadata.keyControls`
 * (each env declares its own), or for a discrete env without them, arrow keys and space →
 * actions 0…4 in that order.
 */
export function humanControls(name: string, env: Env): KeyControls {
  const space = env.actionSpace;
  if (!(space instanceof Discrete)) {
    throw new Error(`${name}: --human needs a discrete action space, got ${space.toString()} (an env with continuous controls may offer continuous: false)`);
  }
  const declared = env.metadata.keyControls;
  if (declared !== undefined) return declared;
  const keys: Record<string, number> = {};
  ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", " "].slice(0, space.n).forEach((k, i) => (keys[k] = i));
  return { keys, idle: [0], help: `arrow keys and space → actions 0…${Math.min(space.n, 5) - 1}` };
}

/** The action for the pressed keys at step `t`: the most recently pressed mapped key wins, else the idle action. */
export function actionForKeys(controls: KeyControls, pressed: readonly string[], t: number): number {
  for (let i = pressed.length - 1; i >= 0; i--) {
    const a = controls.keys[pressed[i]!];
    if (a !== undefined) return a;
  }
  return controls.idle[t % controls.idle.length]!;
}

export interface PlayOptions {
  /** Shown in the page (the env id). */
  title: string;
  makeEnv: () => Env;
  /** The agent; omit for `human`. */
  policy?: ((obs: Observation) => Action) | undefined;
  /** A person drives with the keyboard. */
  human?: boolean | undefined;
  /** Frames (= steps) per second; default the env's `metadata.renderFps`. */
  fps?: number | undefined;
  /** Episode i of a page uses seed + i (default: random seeds). */
  seed?: number | undefined;
  /** Pause on the last frame of an episode before the next, ms (default 1000). */
  pauseMs?: number | undefined;
  host?: string | undefined;
  port?: number | undefined;
  /** Reports finished episodes (the CLI prints them). */
  onEpisode?: ((ret: number, length: number) => void) | undefined;
  /** Pages that may play at once (each steps its own env); more get 503. Default 4. */
  maxSessions?: number | undefined;
}

export interface PlayServer extends WebServer {
  readonly sessions: number;
}

/** Frames queued but unread beyond this are skipped rather than buffered. */
const MAX_BACKLOG = 4 << 20;

class Session {
  readonly id = randomUUID();
  private readonly env: Env;
  private readonly encoder = new PngEncoder(1);
  private obs!: Observation;
  private ret = 0;
  private t = 0;
  private episode = 0;
  private readonly returns: number[] = [];
  private readonly lengths: number[] = [];
  private pausedUntil = 0;
  private started: boolean;
  private timer: NodeJS.Timeout | null = null;
  pressed: string[] = [];
  private readonly controls: KeyControls | null;

  constructor(
    private readonly opts: PlayOptions,
    private readonly stream: SseStream,
  ) {
    this.env = opts.makeEnv();
    this.controls = opts.human ? humanControls(opts.title, this.env) : null;
    this.started = !opts.human;
  }

  get fps(): number {
    return this.opts.fps ?? this.env.metadata.renderFps;
  }

  start(): void {
    this.stream.send("hello", {
      session: this.id,
      env: this.opts.title,
      fps: this.fps,
      human: !!this.opts.human,
      help: this.controls?.help ?? "",
      keys: Object.keys(this.controls?.keys ?? {}),
    });
    this.reset();
    this.sendFrame();
    if (!this.started) this.stream.send("waiting", { text: "press an arrow key to start" });
    const period = 1000 / this.fps;
    const t0 = performance.now();
    let k = 0;
    const loop = () => {
      if (this.stream.closed) return this.stop();
      try {
        this.tick();
      } catch (e) {
        this.stream.send("waiting", { text: `error: ${(e as Error).message}` });
        return this.stop();
      }
      k++;
      // Fixed schedule (no drift); if the server fell behind, skip ahead instead of bursting.
      let wait = t0 + k * period - performance.now();
      if (wait < -period) {
        k = Math.ceil((performance.now() - t0) / period);
        wait = 0;
      }
      this.timer = setTimeout(loop, Math.max(0, wait));
    };
    this.timer = setTimeout(loop, period);
    this.stream.onClose(() => this.stop());
  }

  private stopped = false;

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    this.stopped = true;
    this.env.close();
  }

  input(keys: string[]): void {
    this.pressed = keys;
    if (!this.started && keys.some((k) => this.controls!.keys[k] !== undefined)) this.started = true;
  }

  private reset(): void {
    const seed = this.opts.seed === undefined ? undefined : this.opts.seed + this.episode;
    this.obs = this.env.reset(seed === undefined ? {} : { seed }).obs;
    this.ret = 0;
    this.t = 0;
  }

  private sendFrame(): void {
    if (this.stream.backlog > MAX_BACKLOG) return;
    const f = this.env.render();
    const png = this.encoder.encode(f.width, f.height, f.data).toString("base64");
    this.stream.send("frame", { png, ret: this.ret, t: this.t, episode: this.episode });
  }

  private tick(): void {
    if (!this.started) return;
    if (this.pausedUntil > 0) {
      if (performance.now() < this.pausedUntil) return;
      this.pausedUntil = 0;
      this.episode++;
      this.reset();
      this.sendFrame();
      return;
    }
    const action = this.controls ? actionForKeys(this.controls, this.pressed, this.t) : this.opts.policy!(this.obs);
    const r = this.env.step(action);
    this.obs = r.obs;
    this.ret += r.reward;
    this.t++;
    this.sendFrame();
    if (r.terminated || r.truncated) {
      // The episode's own return when the env records it (it counts reset no-ops, as evaluate does).
      const stats = r.info.episode as { r?: unknown } | undefined;
      if (typeof stats?.r === "number") this.ret = stats.r;
      this.returns.push(this.ret);
      this.lengths.push(this.t);
      this.stream.send("episode", { ret: this.ret, length: this.t, terminated: r.terminated, lengths: this.lengths });
      this.opts.onEpisode?.(this.ret, this.t);
      this.pausedUntil = performance.now() + (this.opts.pauseMs ?? 1000);
    }
  }
}

export async function startPlay(opts: PlayOptions): Promise<PlayServer> {
  if (!opts.human && !opts.policy) throw new Error("play: pass a policy, or human: true");
  // Fail before listening if the env cannot be built or driven, or the policy cannot act on it.
  const probe = opts.makeEnv();
  try {
    if (opts.human) humanControls(opts.title, probe);
    else opts.policy!(probe.reset({ seed: opts.seed }).obs);
  } finally {
    probe.close();
  }
  const maxSessions = opts.maxSessions ?? 4;
  const sessions = new Map<string, Session>();
  const html = playHtml(opts.title, !!opts.human);
  const web = await listen(async (req, res, url) => {
    if (url.pathname === "/input" && req.method === "POST") {
      const s = sessions.get(url.searchParams.get("session") ?? "");
      if (!s) return sendText(res, 404, "no such session\n");
      let keys: unknown;
      try {
        keys = (JSON.parse(await readBody(req)) as { keys?: unknown }).keys;
      } catch {
        return sendText(res, 400, "expected JSON { keys: string[] }\n");
      }
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) return sendText(res, 400, "keys must be strings\n");
      s.input(keys as string[]);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== "GET") return sendText(res, 405, "method not allowed\n");
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return sendText(res, 200, html, "text/html; charset=utf-8");
      case "/frames": {
        if (sessions.size >= maxSessions) return sendText(res, 503, `${maxSessions} pages are already playing; close one and reload\n`);
        const stream = openSse(req, res);
        const s = new Session(opts, stream);
        sessions.set(s.id, s);
        stream.onClose(() => sessions.delete(s.id));
        s.start();
        return;
      }
      case "/favicon.ico":
        res.writeHead(204).end();
        return;
      default:
        return sendText(res, 404, "not found\n");
    }
  }, opts);
  return {
    ...web,
    get sessions() {
      return sessions.size;
    },
    async close() {
      for (const s of sessions.values()) s.stop();
      await web.close();
    },
  };
}
