/**
 * Replay for frame-stacked uint8 images (the DQN pipeline: k = 4 stacked 84×84 frames),
 * storing every frame once and rebuilding stacks at sample time.
 *
 * Streams. With `numEnvs` N the buffer is N independent streams, one per env copy of a
 * `VectorEnv`, each owning capacity/N transition slots and its own frame ring (as SB3
 * lays out [position, env]). Transition slot = env·(capacity/N) + t mod (capacity/N)
 * for the stream's t-th transition; everything below is per stream.
 *
 * Layout. Frames live in a ring (`capacity/N + extraFrames` slots per stream, stored in
 * chunks of ≤ 64 MiB by default, never more than 1 GiB, since one ArrayBuffer is
 * capped); a transition holds the stream-absolute number of its observation's newest
 * frame, how far back its episode started (clamped to k−1), the action, reward and the
 * `terminated`/`truncated` flags. An episode of T steps writes T + 1 frames: its reset
 * frame, then each step's next frame — including the true final frame, so `nextObs` of an
 * episode's last transition is that final frame (the VectorEnv's `infos.finalObs`),
 * never the next episode's reset frame. Within an episode transition t+1's frame is
 * transition t's next frame, which is how n-step windows find their bootstrap frame.
 *
 * Episode starts. Stack positions before the episode's first frame repeat that frame:
 * exactly what the FrameStack wrapper returns at reset (the first frame k times), so
 * replayed stacks equal the observations the agent acted on.
 *
 * Validity. A transition can be sampled while its slot has not been reused and its
 * oldest stack frame is still in the frame ring. Since a stream's transitions are
 * ordered by frame, its valid ones are one contiguous run [oldestValid, added) of
 * absolute numbers; uniform sampling draws inside these runs, so there is no rejection
 * loop and nothing near the write cursor (an overwritten slot or frame) is ever drawn.
 * Frames are written before the transition that needs them, so nothing half-written is
 * visible. The extra frames cover the one extra frame per episode (default
 * ceil(slots/500) + k per stream: episodes averaging ≥ 500 steps lose nothing; shorter
 * ones retire the oldest transitions a little early, e.g. 1% at 100-step episodes).
 *
 * Feeding. `addFirst`/`add` (one env) and `addFirstBatch`/`addBatch` (N envs) accept
 * either single frames or [k, ...frameShape] stacks, keeping the newest (last) frame of
 * a stack, so a loop holding FrameStack observations passes them whole.
 */
import { checkGamma, checkHeader, checkInt, checkLength, checkSample, headerRng, loadArray } from "./check.js";
import { NStepReturn } from "./n-step.js";
import { Xoshiro128 } from "./rng.js";
import { createReplayBatch, type ImageBatch, type Json, type ReplayArray, type ReplayState, type StoreListener, type TransitionStore } from "./types.js";

/** 64 MiB chunks keep lazy growth fine-grained; one ArrayBuffer is capped in Node 20. */
const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
/** Largest chunk accepted: 1 GiB. */
export const MAX_CHUNK_BYTES = 1024 * 1024 * 1024;

export interface ImageReplayBufferOptions {
  /** Transitions kept (rounded down to a multiple of `numEnvs`). */
  capacity: number;
  /** Shape of one frame, e.g. [84, 84] (or [H, W, C]). */
  frameShape: readonly number[];
  /** Frames per stacked observation, k; default 4. */
  stack?: number;
  /** Env copies feeding the buffer (one stream each); default 1. */
  numEnvs?: number;
  /** n of the n-step return; default 1. */
  nStep?: number;
  /** Discount for the n-step return and the `discounts` column; default 0.99. */
  gamma?: number;
  /** Seed of the sampling generator; default 0. */
  seed?: number;
  /** Reward storage; default "float32". */
  rewardDtype?: "float32" | "float64";
  /** Frame slots per stream beyond its transition slots (one extra frame per episode); default ceil(slots/500) + stack. */
  extraFrames?: number;
  /** Bytes per frame chunk (≤ 1 GiB); default 64 MiB. */
  chunkBytes?: number;
  /** "lazy" (default) allocates a chunk when first written; "eager" allocates all now, failing early if memory is short. */
  allocate?: "lazy" | "eager";
}

/** The validated layout an options object implies (shared by the constructor and `bytesFor`). */
interface Layout {
  numEnvs: number;
  slotsPerEnv: number;
  capacity: number;
  frameShape: number[];
  frameSize: number;
  stack: number;
  framesPerEnv: number;
  frameCapacity: number;
  framesPerChunk: number;
  rewardDtype: "float32" | "float64";
  /** Total bytes at full capacity. */
  bytes: number;
}

function layout(who: string, opts: ImageReplayBufferOptions): Layout {
  const numEnvs = checkInt(`${who}: numEnvs`, opts.numEnvs ?? 1, 1);
  checkInt(`${who}: capacity`, opts.capacity, numEnvs, 2 ** 31 - 1);
  const slotsPerEnv = Math.floor(opts.capacity / numEnvs);
  const capacity = slotsPerEnv * numEnvs;
  if (!Array.isArray(opts.frameShape) || opts.frameShape.length === 0) {
    throw new RangeError(`${who}: frameShape must be a non-empty array of positive integers, got ${JSON.stringify(opts.frameShape)}`);
  }
  opts.frameShape.forEach((d, i) => checkInt(`${who}: frameShape[${i}]`, d, 1));
  const frameShape = [...opts.frameShape];
  const frameSize = frameShape.reduce((a, b) => a * b, 1);
  const stack = checkInt(`${who}: stack`, opts.stack ?? 4, 1, 255);
  const rewardDtype = opts.rewardDtype ?? "float32";
  if (rewardDtype !== "float32" && rewardDtype !== "float64") {
    throw new RangeError(`${who}: rewardDtype must be "float32" or "float64", got ${JSON.stringify(rewardDtype)}`);
  }
  const extra = checkInt(`${who}: extraFrames`, opts.extraFrames ?? Math.ceil(slotsPerEnv / 500) + stack, 0);
  const framesPerEnv = slotsPerEnv + extra;
  if (framesPerEnv < stack + 1) {
    throw new RangeError(`${who}: capacity/numEnvs + extraFrames must be ≥ stack + 1 = ${stack + 1} (one stack and its next frame), got ${framesPerEnv}`);
  }
  const frameCapacity = framesPerEnv * numEnvs;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < frameSize || chunkBytes > MAX_CHUNK_BYTES) {
    throw new RangeError(`${who}: chunkBytes must be an integer in [${frameSize} (one frame), ${MAX_CHUNK_BYTES} (1 GiB)], got ${chunkBytes}`);
  }
  const framesPerChunk = Math.floor(chunkBytes / frameSize);
  const perTransition = 8 + 1 + 4 + (rewardDtype === "float64" ? 8 : 4) + 1 + 1;
  return {
    numEnvs,
    slotsPerEnv,
    capacity,
    frameShape,
    frameSize,
    stack,
    framesPerEnv,
    frameCapacity,
    framesPerChunk,
    rewardDtype,
    bytes: frameCapacity * frameSize + capacity * perTransition,
  };
}

export class ImageReplayBuffer implements TransitionStore<ImageBatch> {
  readonly capacity: number;
  readonly numEnvs: number;
  /** Transition slots per env stream. */
  readonly slotsPerEnv: number;
  readonly frameShape: readonly number[];
  readonly frameSize: number;
  readonly stack: number;
  readonly nStep: number;
  readonly gamma: number;
  /** Frame slots per env stream. */
  readonly framesPerEnv: number;
  /** Frame slots in all. */
  readonly frameCapacity: number;
  readonly framesPerChunk: number;
  readonly rng: Xoshiro128;
  /** Bytes at full capacity: all frame chunks plus per-transition arrays, counted whether or not allocated yet. */
  readonly memoryBytes: number;

  private readonly rewardDtype: "float32" | "float64";
  private readonly chunks: (Uint8Array | null)[];
  /** Int32 views of the chunks, for word-wise frame copies (frameSize % 4 === 0). */
  private readonly chunkWords: (Int32Array | null)[];
  private readonly wordCopy: boolean;
  /** Per transition slot: stream-absolute number of the observation's newest frame. */
  private readonly frameAbs: Float64Array;
  /** Per slot: frames between the episode's first frame and the newest, clamped to k−1. */
  private readonly back: Uint8Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array | Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly nStepReturn: NStepReturn;

  // Per-stream cursors (stream-absolute counts; float64 holds them exactly past 2^53 / rate).
  /** Transitions ever added; transition t sits in local slot t % slotsPerEnv. */
  private readonly added: Float64Array;
  private readonly framesWritten: Float64Array;
  /** First absolute transition that can be sampled. */
  private readonly oldestValid: Float64Array;
  /** Absolute number of the current observation's newest frame. */
  private readonly curFrame: Float64Array;
  /** Frames since the current episode's first frame. */
  private readonly epStep: Float64Array;
  private readonly inEpisode: Uint8Array;

  private listener: StoreListener | null = null;
  /** `sample`'s drawn positions, reused (drawn as a batch: see `Xoshiro128.fillUniform`). */
  private picks = new Int32Array(0);
  /** `add`'s reward, passed on as an array (see `step`). */
  private readonly oneReward = new Float64Array(1);
  /** Int32 views of the last batch object's obs/nextObs, rebuilt only when a different batch comes in. */
  private boundObs: Uint8Array | null = null;
  private obsWords: Int32Array | null = null;
  private nextObsWords: Int32Array | null = null;

  constructor(opts: ImageReplayBufferOptions) {
    const who = "ImageReplayBuffer";
    const l = layout(who, opts);
    this.capacity = l.capacity;
    this.numEnvs = l.numEnvs;
    this.slotsPerEnv = l.slotsPerEnv;
    this.frameShape = l.frameShape;
    this.frameSize = l.frameSize;
    this.stack = l.stack;
    this.framesPerEnv = l.framesPerEnv;
    this.frameCapacity = l.frameCapacity;
    this.framesPerChunk = l.framesPerChunk;
    this.rewardDtype = l.rewardDtype;
    this.memoryBytes = l.bytes;
    this.nStep = checkInt(`${who}: nStep`, opts.nStep ?? 1, 1);
    this.gamma = checkGamma(who, opts.gamma ?? 0.99);
    const allocate = opts.allocate ?? "lazy";
    if (allocate !== "lazy" && allocate !== "eager") throw new RangeError(`${who}: allocate must be "lazy" or "eager", got ${JSON.stringify(allocate)}`);
    this.rng = new Xoshiro128(opts.seed ?? 0);
    this.wordCopy = this.frameSize % 4 === 0;

    const numChunks = Math.ceil(this.frameCapacity / this.framesPerChunk);
    this.chunks = new Array<Uint8Array | null>(numChunks).fill(null);
    this.chunkWords = new Array<Int32Array | null>(numChunks).fill(null);
    const n = this.capacity;
    this.frameAbs = new Float64Array(n);
    this.back = new Uint8Array(n);
    this.actions = new Int32Array(n);
    this.rewards = this.rewardDtype === "float64" ? new Float64Array(n) : new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.nStepReturn = new NStepReturn(this.nStep, this.gamma, this.rewards, this.terminated, this.truncated);
    const e = this.numEnvs;
    this.added = new Float64Array(e);
    this.framesWritten = new Float64Array(e);
    this.oldestValid = new Float64Array(e);
    this.curFrame = new Float64Array(e).fill(-1);
    this.epStep = new Float64Array(e);
    this.inEpisode = new Uint8Array(e);
    if (allocate === "eager") for (let c = 0; c < numChunks; c++) this.allocChunk(c);
  }

  /**
   * Bytes a buffer with these options takes at full capacity, computed without
   * allocating (the options are validated as the constructor does). For 1e6 84×84
   * frames, stack 4: ≈ 7.09e9.
   */
  static bytesFor(opts: ImageReplayBufferOptions): number {
    return layout("ImageReplayBuffer.bytesFor", opts).bytes;
  }

  /** Bytes per transition at full capacity (frames amortised, metadata included). */
  get bytesPerTransition(): number {
    return this.memoryBytes / this.capacity;
  }

  /** Bytes allocated so far (frame chunks grow lazily). */
  get allocatedBytes(): number {
    let frames = 0;
    for (const c of this.chunks) if (c !== null) frames += c.byteLength;
    return this.memoryBytes - this.frameCapacity * this.frameSize + frames;
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    let s = 0;
    for (let e = 0; e < this.numEnvs; e++) s += this.added[e]! - this.oldestValid[e]!;
    return s;
  }

  /**
   * Starts an episode of env `env` with its reset observation (a frame or a stack; the
   * newest frame is kept). If the env's previous episode was neither terminated nor
   * truncated, its last transition is marked truncated: the caller cut it short, which
   * is what truncation means.
   */
  addFirst(frame: Uint8Array, env = 0): void {
    this.checkEnv("addFirst", env);
    const offset = this.frameOffset("addFirst", frame, frame.length);
    this.startEpisode(env, frame, offset);
  }

  /**
   * Records env `env`'s step from its current observation: `nextFrame` is what the step
   * returned (a frame or a stack; the newest frame is kept) — the final observation if
   * the episode ended (`infos.finalObs` of a VectorEnv). After terminated or truncated,
   * the env's next call must be `addFirst`.
   */
  add(action: number, reward: number, nextFrame: Uint8Array, terminated: boolean, truncated: boolean, env = 0): void {
    this.checkEnv("add", env);
    if (typeof reward !== "number") throw new RangeError(`ImageReplayBuffer.add: reward must be a number, got ${String(reward)}`);
    this.oneReward[0] = reward;
    this.checkStep("add", env, action, this.oneReward, 0);
    const offset = this.frameOffset("add", nextFrame, nextFrame.length);
    this.step(env, action, this.oneReward, 0, nextFrame, offset, terminated, truncated);
  }

  /** Starts an episode in every env: `obs` is [numEnvs × frame] or [numEnvs × stack] (a VectorEnv's reset obs). */
  addFirstBatch(obs: Uint8Array): void {
    const row = this.rowSize("addFirstBatch: obs", obs);
    const offset = this.frameOffset("addFirstBatch", obs, row);
    for (let e = 0; e < this.numEnvs; e++) this.startEpisode(e, obs, e * row + offset);
  }

  /**
   * Records one step of all envs. `nextObs` is [numEnvs × frame or stack] holding, for an
   * env whose episode ended, its final observation (`infos.finalObs[i]`), else the step's
   * observation. For ended envs, the new episode's first observation is taken from row i
   * of `resetObs` (the VectorEnv's returned `obs`, already reset); without `resetObs`, call
   * `addFirst(frame, i)` for them before their next step.
   */
  addBatch(
    actions: ArrayLike<number>,
    rewards: ArrayLike<number>,
    nextObs: Uint8Array,
    terminated: ArrayLike<boolean | number>,
    truncated: ArrayLike<boolean | number>,
    resetObs?: Uint8Array,
  ): void {
    const n = this.numEnvs;
    checkLength("ImageReplayBuffer.addBatch: actions", actions, n);
    checkLength("ImageReplayBuffer.addBatch: rewards", rewards, n);
    checkLength("ImageReplayBuffer.addBatch: terminated", terminated, n);
    checkLength("ImageReplayBuffer.addBatch: truncated", truncated, n);
    const row = this.rowSize("addBatch: nextObs", nextObs);
    const offset = this.frameOffset("addBatch", nextObs, row);
    let resetRow = 0;
    let resetOffset = 0;
    if (resetObs !== undefined) {
      resetRow = this.rowSize("addBatch: resetObs", resetObs);
      resetOffset = this.frameOffset("addBatch", resetObs, resetRow);
    }
    // Check every env first, so a bad call changes nothing.
    for (let e = 0; e < n; e++) this.checkStep("addBatch", e, actions[e]!, rewards, e);
    for (let e = 0; e < n; e++) {
      const term = !!terminated[e];
      const trunc = !!truncated[e];
      this.step(e, actions[e]!, rewards, e, nextObs, e * row + offset, term, trunc);
      if ((term || trunc) && resetObs !== undefined) this.startEpisode(e, resetObs, e * resetRow + resetOffset);
    }
  }

  /** Samples `batchSize` valid transitions uniformly, with replacement, into `out`. */
  sample(batchSize: number, out: ImageBatch): void {
    const count = this.size;
    checkSample("ImageReplayBuffer", batchSize, out, count);
    if (this.picks.length < batchSize) this.picks = new Int32Array(batchSize);
    this.rng.fillBelow(this.picks, batchSize, count);
    for (let row = 0; row < batchSize; row++) {
      let u = this.picks[row]!;
      let e = 0;
      for (; e < this.numEnvs - 1; e++) {
        const s = this.added[e]! - this.oldestValid[e]!;
        if (u < s) break;
        u -= s;
      }
      this.fill(e * this.slotsPerEnv + ((this.oldestValid[e]! + u) % this.slotsPerEnv), row, out);
      out.weights[row] = 1;
    }
    out.size = batchSize;
  }

  isValid(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) return false;
    const e = Math.floor(index / this.slotsPerEnv);
    const local = index - e * this.slotsPerEnv;
    const added = this.added[e]!;
    if (local >= added) return false;
    return this.absolute(added, local) >= this.oldestValid[e]!;
  }

  /** Writes transition `index` (stacks rebuilt, n-step return from `NStepReturn`) into row `row`. */
  fill(index: number, row: number, out: ImageBatch): void {
    const m = this.slotsPerEnv;
    const e = Math.floor(index / m);
    const local = index - e * m;
    const newer = this.added[e]! - 1 - this.absolute(this.added[e]!, local);
    this.nStepReturn.write(e * m, local, m, 1, newer + 1, out, row);
    const steps = out.nSteps[row]!;
    this.bind(out);
    const k = this.stack;
    const f = this.frameAbs[index]!;
    const first = f - this.back[index]!;
    const stackBytes = k * this.frameSize;
    const ring = e * this.framesPerEnv;
    for (let j = 0; j < k; j++) {
      const dst = row * stackBytes + j * this.frameSize;
      const a = f - (k - 1 - j);
      this.copyFrame(ring + ((a < first ? first : a) % this.framesPerEnv), out.obs, this.obsWords, dst);
      const b = f + steps - (k - 1 - j);
      this.copyFrame(ring + ((b < first ? first : b) % this.framesPerEnv), out.nextObs, this.nextObsWords, dst);
    }
    out.actions[row] = this.actions[index]!;
    out.indices[row] = index;
  }

  /** Allocates a batch object for up to `capacity` rows (obs/nextObs [capacity, stack, ...frameShape]); do this once. */
  createBatch(capacity: number): ImageBatch {
    checkInt("ImageReplayBuffer.createBatch: capacity", capacity, 1);
    const stackBytes = this.stack * this.frameSize;
    return createReplayBatch(capacity, new Uint8Array(capacity * stackBytes), new Uint8Array(capacity * stackBytes));
  }

  setListener(listener: StoreListener | null): void {
    this.listener = listener;
  }

  /**
   * Contents, cursors and RNG state. Frame chunks appear as `frames.<i>` for the chunks
   * allocated so far; all arrays are the live storage, not copies (see `ReplayState`).
   */
  state(): ReplayState {
    const arrays: Record<string, ReplayArray> = {
      frameAbs: this.frameAbs,
      back: this.back,
      actions: this.actions,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
    };
    const chunkIds: number[] = [];
    this.chunks.forEach((c, i) => {
      if (c !== null) {
        arrays[`frames.${i}`] = c;
        chunkIds.push(i);
      }
    });
    const list = (a: ArrayLike<number>): Json[] => Array.from(a);
    return {
      header: {
        kind: "image",
        version: 2,
        capacity: this.capacity,
        numEnvs: this.numEnvs,
        frameShape: [...this.frameShape],
        stack: this.stack,
        frameCapacity: this.frameCapacity,
        framesPerChunk: this.framesPerChunk,
        rewardDtype: this.rewardDtype,
        added: list(this.added),
        framesWritten: list(this.framesWritten),
        oldestValid: list(this.oldestValid),
        curFrame: list(this.curFrame),
        epStep: list(this.epStep),
        inEpisode: list(this.inEpisode),
        chunks: chunkIds,
        rng: this.rng.getState(),
      },
      arrays,
    };
  }

  /** Restores `state()` output into a buffer with the same layout (capacity, numEnvs, frames, stack, chunking, rewardDtype); nStep and gamma are this buffer's. */
  load(state: ReplayState): void {
    const who = "ImageReplayBuffer";
    const own = this.state();
    for (const f of ["kind", "version", "capacity", "numEnvs", "frameShape", "stack", "frameCapacity", "framesPerChunk", "rewardDtype"]) {
      checkHeader(who, state, f, own.header[f]);
    }
    const cursor = (field: string): number[] => {
      const v = state.header[field];
      if (!Array.isArray(v) || v.length !== this.numEnvs || !v.every((x) => typeof x === "number" && Number.isInteger(x))) {
        throw new Error(`${who}.load: header field "${field}" must be ${this.numEnvs} integers, got ${JSON.stringify(v)}`);
      }
      return v as number[];
    };
    const added = cursor("added");
    const framesWritten = cursor("framesWritten");
    const oldestValid = cursor("oldestValid");
    const curFrame = cursor("curFrame");
    const epStep = cursor("epStep");
    const inEpisode = cursor("inEpisode");
    for (let e = 0; e < this.numEnvs; e++) {
      if (
        !(
          oldestValid[e]! >= 0 &&
          oldestValid[e]! <= added[e]! &&
          added[e]! - oldestValid[e]! <= this.slotsPerEnv &&
          curFrame[e]! < framesWritten[e]! &&
          epStep[e]! >= 0
        )
      ) {
        throw new Error(
          `${who}.load: inconsistent cursors for env ${e} (added ${added[e]}, oldestValid ${oldestValid[e]}, framesWritten ${framesWritten[e]}, curFrame ${curFrame[e]})`,
        );
      }
    }
    const chunkIds = state.header["chunks"];
    if (!Array.isArray(chunkIds) || !chunkIds.every((c) => typeof c === "number" && Number.isInteger(c) && c >= 0 && c < this.chunks.length)) {
      throw new Error(`${who}.load: header field "chunks" must list chunk numbers in [0, ${this.chunks.length}), got ${JSON.stringify(chunkIds)}`);
    }
    const rng = headerRng(who, state);
    for (const name of ["frameAbs", "back", "actions", "rewards", "terminated", "truncated"]) loadArray(who, state, name, own.arrays[name]!);
    for (const c of chunkIds as number[]) loadArray(who, state, `frames.${c}`, this.allocChunk(c));
    this.rng.setState(rng);
    this.added.set(added);
    this.framesWritten.set(framesWritten);
    this.oldestValid.set(oldestValid);
    this.curFrame.set(curFrame);
    this.epStep.set(epStep);
    this.inEpisode.set(inEpisode.map((x) => (x ? 1 : 0)));
  }

  /** Absolute number of the newest transition stored in local slot `local` of a stream with `added` transitions. */
  private absolute(added: number, local: number): number {
    return added - 1 - ((added - 1 - local) % this.slotsPerEnv);
  }

  private checkEnv(method: string, env: number): void {
    if (!Number.isInteger(env) || env < 0 || env >= this.numEnvs) {
      throw new RangeError(`ImageReplayBuffer.${method}: env must be an integer in [0, ${this.numEnvs}), got ${env}`);
    }
  }

  /** Checks env `env`'s step; the reward is `rewards[at]` (rewards cross calls in arrays, see `step`). */
  private checkStep(method: string, env: number, action: number, rewards: ArrayLike<number>, at: number): void {
    const reward = rewards[at];
    if (!this.inEpisode[env]) {
      throw new Error(
        `ImageReplayBuffer.${method}: env ${env} has no episode in progress; call addFirst(resetFrame${this.numEnvs > 1 ? `, ${env}` : ""}) at the start of each episode`,
      );
    }
    if (!Number.isInteger(action)) throw new RangeError(`ImageReplayBuffer.${method}: action must be an integer, got ${action}`);
    if (typeof reward !== "number" || Number.isNaN(reward)) throw new RangeError(`ImageReplayBuffer.${method}: reward must be a number, got ${reward}`);
  }

  /** Bytes per env row of a batched [numEnvs × frame-or-stack] argument. */
  private rowSize(what: string, arr: Uint8Array): number {
    if (!(arr instanceof Uint8Array)) throw new TypeError(`ImageReplayBuffer.${what} must be a Uint8Array`);
    const n = this.numEnvs;
    if (arr.length === n * this.frameSize) return this.frameSize;
    if (arr.length === n * this.stack * this.frameSize) return this.stack * this.frameSize;
    throw new RangeError(
      `ImageReplayBuffer.${what} must have ${n}×${this.frameSize} bytes (${n} frames of ${this.frameShape.join("×")}) or ` +
        `${n}×${this.stack * this.frameSize} (${n} stacks of ${this.stack}), got ${arr.length}`,
    );
  }

  /** Offset of the newest frame within one frame-or-stack of `length` bytes. */
  private frameOffset(method: string, frame: Uint8Array, length: number): number {
    if (!(frame instanceof Uint8Array)) throw new TypeError(`ImageReplayBuffer.${method}: frame must be a Uint8Array`);
    if (length === this.frameSize) return 0;
    if (length === this.stack * this.frameSize) return (this.stack - 1) * this.frameSize;
    throw new RangeError(
      `ImageReplayBuffer.${method}: frame must have ${this.frameSize} bytes (${this.frameShape.join("×")}) or ` +
        `${this.stack * this.frameSize} (a stack of ${this.stack}), got ${length}`,
    );
  }

  private startEpisode(env: number, src: Uint8Array, offset: number): void {
    if (this.inEpisode[env] && this.epStep[env]! > 0) {
      this.truncated[env * this.slotsPerEnv + ((this.added[env]! - 1) % this.slotsPerEnv)] = 1;
    }
    this.writeFrame(env, src, offset);
    this.curFrame[env] = this.framesWritten[env]! - 1;
    this.epStep[env] = 0;
    this.inEpisode[env] = 1;
  }

  /**
   * Records env `env`'s step with reward `rewards[at]`. The reward comes in an array: a double
   * argument is boxed in a fresh heap number whenever the optimizer does not inline the call.
   */
  private step(
    env: number,
    action: number,
    rewards: ArrayLike<number>,
    at: number,
    src: Uint8Array,
    offset: number,
    terminated: boolean,
    truncated: boolean,
  ): void {
    this.writeFrame(env, src, offset);
    const t = this.added[env]!;
    const m = this.slotsPerEnv;
    const slot = env * m + (t % m);
    // Slot reuse retires transition t − m; the `written` notice below covers it.
    if (t >= m && this.oldestValid[env]! < t - m + 1) this.oldestValid[env] = t - m + 1;
    const ep = this.epStep[env]!;
    this.frameAbs[slot] = this.curFrame[env]!;
    this.back[slot] = ep < this.stack - 1 ? ep : this.stack - 1;
    this.actions[slot] = action;
    this.rewards[slot] = rewards[at]!;
    this.terminated[slot] = terminated ? 1 : 0;
    this.truncated[slot] = truncated ? 1 : 0;
    this.added[env] = t + 1;
    this.curFrame[env] = this.framesWritten[env]! - 1;
    this.epStep[env] = ep + 1;
    if (terminated || truncated) this.inEpisode[env] = 0;
    if (this.listener !== null) this.listener.written(slot);
  }

  private allocChunk(c: number): Uint8Array {
    let chunk = this.chunks[c] ?? null;
    if (chunk === null) {
      const frames = Math.min(this.framesPerChunk, this.frameCapacity - c * this.framesPerChunk);
      chunk = new Uint8Array(frames * this.frameSize);
      this.chunks[c] = chunk;
      if (this.wordCopy) this.chunkWords[c] = new Int32Array(chunk.buffer);
    }
    return chunk;
  }

  /** Appends a frame to env `env`'s ring, then retires its transitions whose oldest stack frame it overwrote. */
  private writeFrame(env: number, src: Uint8Array, srcOffset: number): void {
    const written = this.framesWritten[env]!;
    const pos = env * this.framesPerEnv + (written % this.framesPerEnv);
    const c = Math.floor(pos / this.framesPerChunk);
    const chunk = this.allocChunk(c);
    const dstOff = (pos - c * this.framesPerChunk) * this.frameSize;
    if (srcOffset === 0 && src.length === this.frameSize) {
      chunk.set(src, dstOff);
    } else {
      // One frame out of a larger array: a byte loop, since `subarray` would allocate a view per step.
      for (let i = 0; i < this.frameSize; i++) chunk[dstOff + i] = src[srcOffset + i]!;
    }
    this.framesWritten[env] = written + 1;
    const oldestFrame = written + 1 - this.framesPerEnv;
    const m = this.slotsPerEnv;
    const base = env * m;
    let oldest = this.oldestValid[env]!;
    const added = this.added[env]!;
    while (oldest < added) {
      const slot = base + (oldest % m);
      if (this.frameAbs[slot]! - this.back[slot]! >= oldestFrame) break;
      oldest++;
      this.oldestValid[env] = oldest;
      if (this.listener !== null) this.listener.invalidated(slot);
    }
  }

  private bind(out: ImageBatch): void {
    if (out.obs === this.boundObs) return;
    const aligned = this.wordCopy && out.obs.byteOffset % 4 === 0 && out.nextObs.byteOffset % 4 === 0;
    this.obsWords = aligned ? new Int32Array(out.obs.buffer, out.obs.byteOffset, out.obs.length >>> 2) : null;
    this.nextObsWords = aligned ? new Int32Array(out.nextObs.buffer, out.nextObs.byteOffset, out.nextObs.length >>> 2) : null;
    this.boundObs = out.obs;
  }

  /**
   * Copies the frame in global frame slot `pos` to `dst` at byte `dstOff`. Int32 words,
   * unrolled by four, when aligned: a ranged `set(subarray)` would allocate a view per
   * frame (8 per row), which the no-allocation rule forbids.
   */
  private copyFrame(pos: number, dst: Uint8Array, dstWords: Int32Array | null, dstOff: number): void {
    const c = Math.floor(pos / this.framesPerChunk);
    const srcOff = (pos - c * this.framesPerChunk) * this.frameSize;
    const words = this.chunkWords[c] ?? null;
    if (dstWords !== null && words !== null) {
      const w = this.frameSize >>> 2;
      const s = srcOff >>> 2;
      const d = dstOff >>> 2;
      const w4 = w - (w & 3);
      let i = 0;
      for (; i < w4; i += 4) {
        dstWords[d + i] = words[s + i]!;
        dstWords[d + i + 1] = words[s + i + 1]!;
        dstWords[d + i + 2] = words[s + i + 2]!;
        dstWords[d + i + 3] = words[s + i + 3]!;
      }
      for (; i < w; i++) dstWords[d + i] = words[s + i]!;
      return;
    }
    const src = this.chunks[c]!;
    for (let i = 0; i < this.frameSize; i++) dst[dstOff + i] = src[srcOff + i]!;
  }
}
