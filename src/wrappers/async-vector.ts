/**
 * A vector of N env copies stepped in a worker thread, so env stepping runs on another core
 * while the caller learns: `stepAsync(actions)` hands the actions over and returns at once,
 * `stepWait()` blocks until the copies have stepped. Autoreset is `VectorEnv`'s (Gymnasium's
 * SAME_STEP; the worker runs a `VectorEnv`), and the result has its shape: `obs`, `rewards`,
 * `terminated`, `truncated`, and `infos.finalObs`/`infos.finalInfo` for copies whose episode
 * ended. Infos do not cross the thread: `finalInfo[i]` carries only the episode statistics
 * `{ episode: { r, l, t } }` of a `RecordEpisodeStatistics` wrapper, `envInfo[i]` is empty.
 *
 * The worker can only build envs from a recipe — a module URL, the name of a factory it
 * exports and JSON-able arguments — so env instances made in the caller's thread cannot
 * step there (use `VectorEnv`).
 *
 * Hand-off is through shared memory: observations, rewards, flags, actions and seeds live in
 * SharedArrayBuffers, and one Int32Array of counters with Atomics.wait/notify says whose turn
 * it is; nothing is posted per step. What a run does never depends on thread timing: the
 * caller decides what to do between `stepAsync` and `stepWait`, and every autoreset seed is
 * taken (from `autoresetSeed`, in the caller's thread) when the actions are handed over.
 *
 * Buffer ownership, as for `VectorEnv`: the result and every array in it are reused and
 * valid until the next `stepAsync`/`reset`. Stepping allocates nothing in the caller's thread
 * beyond the `finalInfo` object of an ended episode.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { Info } from "../envs/core.js";
import { Box, type BoxDType } from "../envs/spaces.js";
import { allocate, type BoxArray } from "./util.js";
import type { VectorEnvOptions, VectorResetResult, VectorStepResult } from "./vector.js";

/** How the worker builds copy i: `(await import(module))[exportName](args, i)` must return an Env. */
export interface EnvRecipe {
  /** URL of an ES module (e.g. `new URL("./env.js", import.meta.url).href`). */
  module: string;
  /** Name of the factory `(args, index) => Env` the module exports. */
  exportName: string;
  /** The factory's first argument; structured-cloned to the worker. */
  args: unknown;
}

/** The control words: what the caller asks, what the worker finished, and their arguments. */
export enum Ctrl {
  /** Incremented by the caller for each request. */
  Request = 0,
  /** Set to the request number by the worker when it is done. */
  Done = 1,
  /** The requested command (`Command`). */
  Command = 2,
  /** 0 when the last request succeeded, 1 when it failed (the error is posted on the port). */
  Failed = 3,
  /** Argument of `ReplayActions`: the copy. */
  Env = 4,
  /** Argument of `ReplayActions`: how many actions of `replayActions`. */
  Count = 5,
  Words = 6,
}

export enum Command {
  Reset = 1,
  Step = 2,
  ReplayActions = 3,
  Close = 4,
}

/** What the worker reports once its envs are built. */
export interface WorkerReady {
  shape: number[];
  dtype: BoxDType;
  low: number[];
  high: number[];
  nActions: number | null;
}

/** The shared buffers, sent to the worker once. */
export interface SharedVectorBuffers {
  ctrl: SharedArrayBuffer;
  obs: SharedArrayBuffer;
  finalObs: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  /** Per copy: terminated, truncated, ended (0/1 bytes, three rows of N). */
  flags: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  /** Per copy, the seed of its next autoreset (or its reset), NaN to continue its stream. */
  seeds: SharedArrayBuffer;
  /** Per copy: the ended episode's return, length and seconds (three rows of N). */
  stats: SharedArrayBuffer;
  /** Actions of `ReplayActions`, grown by re-sending (rare: resume only). */
  replayActions: SharedArrayBuffer;
}

/**
 * The worker's entry. Run from TypeScript sources (tests, benchmarks under tsx), the worker
 * gets no loader hooks from the parent thread, so a small script registers tsx first.
 */
function startWorker(workerData: unknown, transferList: MessagePort[]): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./async-vector-worker.js", import.meta.url), { workerData, transferList });
  const entry = new URL("./async-vector-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(script, { eval: true, workerData, transferList });
}

export class AsyncVectorEnv {
  readonly singleObservationSpace: Box<BoxArray>;
  /** Actions of the copies' (discrete) action space, or null when it is not discrete. */
  readonly nActions: number | null;
  /** Seed for copy i's autoreset, asked in `stepAsync` (undefined: continue its stream); settable before stepping. */
  autoresetSeed: VectorEnvOptions["autoresetSeed"];
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl: Int32Array;
  private readonly shared: SharedVectorBuffers;
  private readonly obs: BoxArray;
  private readonly finalObs: BoxArray;
  private readonly finalRows: BoxArray[];
  private readonly flags: Uint8Array;
  private readonly actions: Int32Array;
  private readonly seeds: Float64Array;
  private readonly stats: Float64Array;
  private readonly result: VectorStepResult;
  private readonly resetInfos: Info[];
  private replayActions: Int32Array;
  private request = 0;
  private pending = false;
  private closed = false;

  private constructor(
    readonly numEnvs: number,
    worker: Worker,
    port: MessagePort,
    ready: WorkerReady,
    shared: SharedVectorBuffers,
    autoresetSeed: VectorEnvOptions["autoresetSeed"],
  ) {
    this.autoresetSeed = autoresetSeed;
    this.worker = worker;
    this.port = port;
    this.shared = shared;
    this.nActions = ready.nActions;
    const size = ready.shape.reduce((a, b) => a * b, 1);
    const view = (buf: SharedArrayBuffer): BoxArray =>
      ready.dtype === "uint8" ? new Uint8Array(buf) : ready.dtype === "float32" ? new Float32Array(buf) : new Float64Array(buf);
    const low = allocate(ready.dtype, size);
    const high = allocate(ready.dtype, size);
    low.set(ready.low);
    high.set(ready.high);
    this.singleObservationSpace = new Box<BoxArray>(low, high, ready.shape, ready.dtype);
    this.ctrl = new Int32Array(shared.ctrl);
    this.obs = view(shared.obs);
    this.finalObs = view(shared.finalObs);
    this.finalRows = Array.from({ length: numEnvs }, (_, i) => this.finalObs.subarray(i * size, (i + 1) * size));
    this.flags = new Uint8Array(shared.flags);
    this.actions = new Int32Array(shared.actions);
    this.seeds = new Float64Array(shared.seeds);
    this.stats = new Float64Array(shared.stats);
    this.replayActions = new Int32Array(shared.replayActions);
    this.resetInfos = Array.from({ length: numEnvs }, () => ({}));
    this.result = {
      obs: this.obs,
      rewards: new Float64Array(shared.rewards),
      terminated: this.flags.subarray(0, numEnvs),
      truncated: this.flags.subarray(numEnvs, 2 * numEnvs),
      infos: {
        envInfo: Array.from({ length: numEnvs }, () => ({})),
        finalObs: Array.from({ length: numEnvs }, () => null),
        finalInfo: Array.from({ length: numEnvs }, () => null),
      },
    };
  }

  /**
   * Starts the worker and builds `numEnvs` copies there with `recipe`; they must share an
   * observation shape and dtype. `opts.autoresetSeed` as for `VectorEnv`.
   */
  static async create(numEnvs: number, recipe: EnvRecipe, opts: VectorEnvOptions = {}): Promise<AsyncVectorEnv> {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`AsyncVectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    const channel = new MessageChannel();
    const worker = startWorker({ numEnvs, recipe, port: channel.port2 }, [channel.port2]);
    worker.unref();
    const port = channel.port1;
    const ready = await new Promise<WorkerReady>((resolve, reject) => {
      const fail = (e: unknown) => reject(e instanceof Error ? e : new Error(String(e)));
      worker.once("error", fail);
      worker.once("exit", (code) => fail(new Error(`AsyncVectorEnv: the env worker exited with code ${code} before it was ready`)));
      port.once("message", (m: { ready?: WorkerReady; error?: string }) => {
        worker.removeAllListeners("error");
        worker.removeAllListeners("exit");
        if (m.error !== undefined) fail(new Error(m.error));
        else resolve(m.ready!);
      });
    }).catch(async (e: unknown) => {
      await worker.terminate();
      port.close();
      throw e;
    });
    const size = ready.shape.reduce((a, b) => a * b, 1);
    const bytes = ready.dtype === "uint8" ? 1 : ready.dtype === "float32" ? 4 : 8;
    const shared: SharedVectorBuffers = {
      ctrl: new SharedArrayBuffer(Ctrl.Words * 4),
      obs: new SharedArrayBuffer(numEnvs * size * bytes),
      finalObs: new SharedArrayBuffer(numEnvs * size * bytes),
      rewards: new SharedArrayBuffer(numEnvs * 8),
      flags: new SharedArrayBuffer(3 * numEnvs),
      actions: new SharedArrayBuffer(numEnvs * 4),
      seeds: new SharedArrayBuffer(numEnvs * 8),
      stats: new SharedArrayBuffer(3 * numEnvs * 8),
      replayActions: new SharedArrayBuffer(4 * 1024),
    };
    port.postMessage({ shared });
    return new AsyncVectorEnv(numEnvs, worker, port, ready, shared, opts.autoresetSeed);
  }

  /** Resets copy i with `seeds[i]` (as `VectorEnv.reset({ seeds })`). */
  reset({ seeds }: { seeds: readonly number[] }): VectorResetResult {
    if (seeds.length !== this.numEnvs) throw new RangeError(`AsyncVectorEnv.reset: got ${seeds.length} seeds for ${this.numEnvs} envs`);
    this.checkIdle("reset");
    for (let i = 0; i < this.numEnvs; i++) this.seeds[i] = seeds[i]!;
    this.call(Command.Reset);
    return { obs: this.obs, infos: this.resetInfos };
  }

  /**
   * Hands copy i `actions[i]` and returns at once; the copies step in the worker. A copy whose
   * episode ends is reset with `autoresetSeed(i)`, asked now (undefined: continue its stream).
   * The caller may not read the last result until `stepWait`.
   */
  stepAsync(actions: ArrayLike<number>): void {
    if (actions.length !== this.numEnvs) throw new RangeError(`AsyncVectorEnv.stepAsync: got ${actions.length} actions for ${this.numEnvs} envs`);
    this.checkIdle("stepAsync");
    const seedOf = this.autoresetSeed;
    for (let i = 0; i < this.numEnvs; i++) {
      this.actions[i] = actions[i]!;
      this.seeds[i] = seedOf === undefined ? Number.NaN : (seedOf(i) ?? Number.NaN);
    }
    this.send(Command.Step);
    this.pending = true;
  }

  /** Waits for the step `stepAsync` started; the result is `VectorEnv.step`'s (see the file comment for infos). */
  stepWait(): VectorStepResult {
    if (!this.pending) throw new Error("AsyncVectorEnv.stepWait: no step in flight; call stepAsync first");
    this.pending = false;
    this.wait();
    const n = this.numEnvs;
    const { finalObs, finalInfo } = this.result.infos;
    for (let i = 0; i < n; i++) {
      if (this.flags[2 * n + i]) {
        finalObs[i] = this.finalRows[i]!;
        finalInfo[i] = { episode: { r: this.stats[i]!, l: this.stats[n + i]!, t: this.stats[2 * n + i]! } };
      } else {
        finalObs[i] = null;
        finalInfo[i] = null;
      }
    }
    return this.result;
  }

  /**
   * Steps copy `env` through `actions` without autoreset (a resumed run replays the actions of
   * its unfinished episodes) and returns its last observation (a view, valid until the next
   * call). Throws if the episode ends on the way.
   */
  replay(env: number, actions: ArrayLike<number>): BoxArray {
    if (!Number.isInteger(env) || env < 0 || env >= this.numEnvs)
      throw new RangeError(`AsyncVectorEnv.replay: env must be an integer in [0, ${this.numEnvs}), got ${env}`);
    this.checkIdle("replay");
    if (actions.length > this.replayActions.length) {
      this.shared.replayActions = new SharedArrayBuffer(4 * actions.length);
      this.replayActions = new Int32Array(this.shared.replayActions);
      this.port.postMessage({ replayActions: this.shared.replayActions });
    }
    this.replayActions.set(Array.from(actions));
    this.ctrl[Ctrl.Env] = env;
    this.ctrl[Ctrl.Count] = actions.length;
    this.call(Command.ReplayActions);
    const size = this.singleObservationSpace.size;
    return this.obs.subarray(env * size, (env + 1) * size);
  }

  /** Stops the worker (its envs are closed there); a step still in flight is waited for first. */
  close(): void {
    if (this.closed) return;
    if (this.pending) {
      this.pending = false;
      try {
        this.wait();
      } catch {
        // Closing after a failure elsewhere: that failure is the one to report.
      }
    }
    this.send(Command.Close);
    this.closed = true;
    this.port.close();
  }

  private checkIdle(what: string): void {
    if (this.closed) throw new Error(`AsyncVectorEnv.${what}: the env worker is closed`);
    if (this.pending) throw new Error(`AsyncVectorEnv.${what}: a step is in flight; call stepWait first`);
  }

  private call(command: Command): void {
    this.send(command);
    this.wait();
  }

  private send(command: Command): void {
    const ctrl = this.ctrl;
    ctrl[Ctrl.Command] = command;
    this.request++;
    Atomics.store(ctrl, Ctrl.Request, this.request);
    Atomics.notify(ctrl, Ctrl.Request);
  }

  private wait(): void {
    const ctrl = this.ctrl;
    for (;;) {
      const done = Atomics.load(ctrl, Ctrl.Done);
      if (done === this.request) break;
      // A worker that died can never answer: check between bounded waits.
      if (Atomics.wait(ctrl, Ctrl.Done, done, 1000) === "timed-out" && this.workerGone()) {
        throw new Error("AsyncVectorEnv: the env worker stopped without answering");
      }
    }
    if (ctrl[Ctrl.Failed] !== 0) {
      const m = receiveMessageOnPort(this.port)?.message as { error?: string } | undefined;
      throw new Error(m?.error ?? "AsyncVectorEnv: the env worker failed");
    }
  }

  private workerGone(): boolean {
    return this.worker.threadId < 0;
  }
}
