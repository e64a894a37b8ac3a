/**
 * The static page (web/index.html, bundled by `npm run build:web` into web/dist/): loads a
 * deepq model file chosen in the page or given by URL, and runs the env and the network in
 * the page itself with the same code as Node, through the public API (src/index.ts) only:
 * the envs, the network and the WASM SIMD kernels (compiled asynchronously, as browsers
 * forbid large synchronous compiles on the main thread). No server: it also works opened
 * from disk (file://) with the file input.
 *
 * URL parameters: `model=<url>` loads and starts at once; `speed=<k>` steps per frame tick
 * (`max`: as fast as possible); `seed=<n>` episode i uses seed + i; `episodes=<n>` stops after n.
 */
import { type agents, checkSpecFits, type Env, type ModelInfo, makeTrainEnv, modelFromBytes, nn, type Observation, wrappers } from "../../../index.js";

interface StaticState {
  backend: string;
  model: string | null;
  env: string | null;
  episode: number;
  ret: number;
  t: number;
  returns: number[];
  frames: number;
  error: string | null;
  done: boolean;
}

/** Read by the browser test and handy in the console. */
const state: StaticState = { backend: "", model: null, env: null, episode: 0, ret: 0, t: 0, returns: [], frames: 0, error: null, done: false };
(globalThis as unknown as { deepqStatic: StaticState }).deepqStatic = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

function setStatus(text: string, error = false): void {
  const s = $("status");
  s.textContent = text;
  s.className = error ? "error" : "muted";
  if (error) state.error = text;
}

async function initKernels(): Promise<void> {
  state.backend = (await nn.createDefaultArenaAsync()).kernels.backend;
  $("backend").textContent = state.backend;
}

class Runner {
  private env: Env;
  private obs!: Observation;
  private raf = 0;
  private last = 0;
  private carry = 0;
  private pauseUntil = 0;
  private image: ImageData | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly stepsPerTick: number | "max";
  private readonly maxEpisodes: number;
  private readonly seed: number | undefined;

  constructor(
    private readonly agent: agents.DQNAgent,
    info: ModelInfo,
  ) {
    this.env = makeTrainEnv(info);
    checkSpecFits(agent.spec, this.env, info.env, "the model");
    this.ctx = $<HTMLCanvasElement>("screen").getContext("2d")!;
    const sp = params.get("speed");
    this.stepsPerTick = sp === "max" ? "max" : Math.max(0.1, Number(sp ?? $<HTMLSelectElement>("speed").value) || 1);
    this.maxEpisodes = Number(params.get("episodes") ?? Infinity);
    const s = params.get("seed");
    this.seed = s === null ? undefined : Number(s);
    this.reset();
    this.draw();
  }

  private reset(): void {
    const seed = this.seed === undefined ? undefined : this.seed + state.episode;
    this.obs = this.env.reset(seed === undefined ? {} : { seed }).obs;
    state.ret = 0;
    state.t = 0;
  }

  private draw(): void {
    const f = this.env.render();
    const canvas = this.ctx.canvas;
    if (canvas.width !== f.width || canvas.height !== f.height || !this.image) {
      canvas.width = f.width;
      canvas.height = f.height;
      this.image = this.ctx.createImageData(f.width, f.height);
    }
    const src = f.data;
    const dst = this.image.data;
    for (let i = 0, j = 0; i < src.length; i += 3, j += 4) {
      dst[j] = src[i]!;
      dst[j + 1] = src[i + 1]!;
      dst[j + 2] = src[i + 2]!;
      dst[j + 3] = 255;
    }
    this.ctx.putImageData(this.image, 0, 0);
    state.frames++;
    $("ret").textContent = state.ret.toFixed(1);
    $("t").textContent = String(state.t);
    $("ep").textContent = String(state.episode + 1);
  }

  /** One env step; true when the episode ended. */
  private step(): boolean {
    const a = this.agent.act(this.obs as Float32Array | Uint8Array, { epsilon: 0 });
    const r = this.env.step(a);
    this.obs = r.obs;
    state.ret += r.reward;
    state.t++;
    if (!(r.terminated || r.truncated)) return false;
    // The episode's own return (it counts CarRacing's reset no-ops), as `deepq eval` reports it.
    state.ret = wrappers.episodeStatistics(r.info)?.r ?? state.ret;
    state.returns.push(state.ret);
    const li = document.createElement("li");
    li.textContent = `episode ${state.episode + 1}: return ${state.ret.toFixed(1)} in ${state.t} steps${r.truncated ? " (time limit)" : ""}`;
    $("returns").prepend(li);
    const mean = state.returns.reduce((x, y) => x + y, 0) / state.returns.length;
    $("mean").textContent = `${mean.toFixed(1)} over ${state.returns.length}`;
    return true;
  }

  start(): void {
    const fps = this.env.metadata.renderFps;
    const tick = (now: number) => {
      this.raf = requestAnimationFrame(tick);
      if (this.last === 0) this.last = now;
      const dt = Math.min(0.25, (now - this.last) / 1000);
      this.last = now;
      if (this.pauseUntil > now) return;
      if (this.pauseUntil !== 0) {
        this.pauseUntil = 0;
        state.episode++;
        this.reset();
      }
      let n: number;
      if (this.stepsPerTick === "max") n = Infinity;
      else {
        this.carry += dt * fps * this.stepsPerTick;
        n = Math.floor(this.carry);
        this.carry -= n;
      }
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        if (this.step()) {
          this.draw();
          if (state.returns.length >= this.maxEpisodes) {
            state.done = true;
            setStatus(`finished ${state.returns.length} episode(s)`);
            this.stop();
            return;
          }
          this.pauseUntil = now + (this.stepsPerTick === "max" ? 0 : 800) || 1;
          return;
        }
        if (performance.now() - t0 > 12) break; // keep the page responsive at "max"
      }
      this.draw();
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
  }
}

let runner: Runner | null = null;

function run(bytes: Uint8Array, name: string): void {
  try {
    runner?.stop();
    const { agent, info } = modelFromBytes(bytes, name);
    state.model = name;
    state.env = info.env;
    state.episode = 0;
    state.returns = [];
    state.done = false;
    state.error = null;
    $("returns").textContent = "";
    $("mean").textContent = "–";
    $("env").textContent = info.env;
    const ev = info.eval ? `, eval ${info.eval.mean.toFixed(1)} ± ${info.eval.std.toFixed(1)}` : "";
    setStatus(`${name}: ${info.env}, ${info.step} training steps${ev}`);
    runner = new Runner(agent, info);
    runner.start();
  } catch (e) {
    setStatus((e as Error).message, true);
  }
}

async function loadUrl(url: string): Promise<void> {
  setStatus(`loading ${url}…`);
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    run(new Uint8Array(await res.arrayBuffer()), url.split("/").pop() || url);
  } catch (e) {
    setStatus(`cannot load ${url}: ${(e as Error).message}`, true);
  }
}

async function main(): Promise<void> {
  await initKernels();
  $<HTMLInputElement>("file").addEventListener("change", async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) run(new Uint8Array(await f.arrayBuffer()), f.name);
  });
  $("load-url").addEventListener("click", () => void loadUrl($<HTMLInputElement>("url").value.trim()));
  const model = params.get("model");
  if (model) {
    $<HTMLInputElement>("url").value = model;
    await loadUrl(model);
  } else setStatus("choose a model file (.safetensors written by deepq)");
  document.body.dataset.ready = "1";
}

main().catch((e: unknown) => setStatus(`error: ${(e as Error).message}`, true));
