/**
 * A synchronous vector of N env copies stepped as a batch, with Gymnasium 1.x
 * `autoreset_mode=SAME_STEP`: when copy i terminates or is truncated, its last observation
 * goes to `infos.finalObs[i]` (and its info to `infos.finalInfo[i]`) and it is reset in
 * the same `step`, so the returned `obs` row is already the next episode's first
 * observation. Replay therefore stores `finalObs[i]` as the next state, never a reset frame.
 *
 * Buffer ownership, as for single envs: the returned result and every array in it are
 * reused and valid until the next `step`/`reset`. Stepping allocates nothing beyond what
 * the sub-envs allocate.
 */
import type { Action, Env, Info, Observation, ResetArgs } from "../envs/core.js";
import { Box, type Space } from "../envs/spaces.js";
import { allocate, type BoxArray, observationBox } from "./util.js";

export interface VectorInfos {
  /** Each copy's info from this step, or from its reset when it was autoreset. */
  envInfo: Info[];
  /** The final observation of copies whose episode ended this step (a copy), else null. */
  finalObs: (BoxArray | null)[];
  /** The final step's info of copies whose episode ended this step, else null. */
  finalInfo: (Info | null)[];
}

export interface VectorStepResult {
  /** `[numEnvs, ...single observation shape]`. */
  obs: BoxArray;
  rewards: Float64Array;
  /** 1 where the copy's episode terminated this step. */
  terminated: Uint8Array;
  /** 1 where the copy's episode was truncated this step. */
  truncated: Uint8Array;
  infos: VectorInfos;
}

export interface VectorResetResult {
  obs: BoxArray;
  infos: Info[];
}

export interface VectorEnvOptions {
  /**
   * Seed for copy i's autoreset, or undefined to continue its stream. Lets a trainer give
   * every episode its own seed, so a resumed run restarts episodes exactly.
   */
  autoresetSeed?: (envIndex: number) => number | undefined;
}

export interface VectorResetArgs extends ResetArgs {
  /** One seed per copy (instead of `seed + i`). */
  seeds?: readonly number[];
}

export class VectorEnv<A extends Action = Action> {
  readonly envs: readonly Env<Observation, A>[];
  readonly singleObservationSpace: Box<BoxArray>;
  /** The batched observation space, `[numEnvs, ...single shape]`. */
  readonly observationSpace: Box<BoxArray>;
  readonly singleActionSpace: Space<A>;
  private readonly obsSize: number;
  private readonly result: VectorStepResult;
  private readonly finalObsBuffers: BoxArray[];
  private readonly resetInfos: Info[];
  /** The actions of `stepAsync`, until `stepWait`. */
  private pendingActions: ArrayLike<A> | null = null;

  /** Seed for copy i's autoreset (undefined: continue its stream); settable before stepping. */
  autoresetSeed: ((envIndex: number) => number | undefined) | undefined;

  /** Builds `numEnvs` copies with `factory(i)`; they must share an observation shape and dtype. */
  constructor(
    readonly numEnvs: number,
    factory: (index: number) => Env<Observation, A>,
    opts: VectorEnvOptions = {},
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`VectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    this.envs = Array.from({ length: numEnvs }, (_, i) => factory(i));
    const single = observationBox(this.envs[0]!, "VectorEnv");
    this.envs.forEach((e, i) => {
      const b = observationBox(e, "VectorEnv");
      if (b.dtype !== single.dtype || b.shape.join() !== single.shape.join()) {
        throw new TypeError(`VectorEnv: env ${i} observes ${b.toString()}, env 0 observes ${single.toString()}`);
      }
    });
    this.autoresetSeed = opts.autoresetSeed;
    this.singleObservationSpace = single;
    this.singleActionSpace = this.envs[0]!.actionSpace;
    this.obsSize = single.size;
    const n = numEnvs * single.size;
    const low = allocate(single.dtype, n);
    const high = allocate(single.dtype, n);
    for (let i = 0; i < numEnvs; i++) {
      low.set(single.low, i * single.size);
      high.set(single.high, i * single.size);
    }
    this.observationSpace = new Box<BoxArray>(low, high, [numEnvs, ...single.shape], single.dtype);
    this.finalObsBuffers = this.envs.map(() => allocate(single.dtype, single.size));
    this.resetInfos = this.envs.map(() => ({}));
    this.result = {
      obs: allocate(single.dtype, n),
      rewards: new Float64Array(numEnvs),
      terminated: new Uint8Array(numEnvs),
      truncated: new Uint8Array(numEnvs),
      infos: {
        envInfo: this.envs.map(() => ({})),
        finalObs: this.envs.map(() => null),
        finalInfo: this.envs.map(() => null),
      },
    };
  }

  /** Resets every copy; with a seed, copy i gets `seed + i` (Gymnasium's vector seeding), or `seeds[i]`. */
  reset(args: VectorResetArgs = {}): VectorResetResult {
    const { obs } = this.result;
    const { seeds, ...rest } = args;
    if (seeds !== undefined && seeds.length !== this.numEnvs) {
      throw new RangeError(`VectorEnv.reset: got ${seeds.length} seeds for ${this.numEnvs} envs`);
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const seed = seeds !== undefined ? seeds[i] : args.seed === undefined ? undefined : args.seed + i;
      const r = this.envs[i]!.reset({ ...rest, seed });
      obs.set(r.obs, i * this.obsSize);
      this.resetInfos[i] = r.info;
    }
    return { obs, infos: this.resetInfos };
  }

  /** Steps copy i with `actions[i]`, autoresetting copies whose episode ends. */
  step(actions: ArrayLike<A>): VectorStepResult {
    if (actions.length !== this.numEnvs) {
      throw new RangeError(`VectorEnv.step: got ${actions.length} actions for ${this.numEnvs} envs`);
    }
    const { obs, rewards, terminated, truncated, infos } = this.result;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i]!;
      const r = env.step(actions[i]!);
      rewards[i] = r.reward;
      terminated[i] = r.terminated ? 1 : 0;
      truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        const final = this.finalObsBuffers[i]!;
        final.set(r.obs);
        infos.finalObs[i] = final;
        infos.finalInfo[i] = r.info;
        const next = env.reset(this.autoresetSeed === undefined ? {} : { seed: this.autoresetSeed(i) });
        obs.set(next.obs, i * this.obsSize);
        infos.envInfo[i] = next.info;
      } else {
        infos.finalObs[i] = null;
        infos.finalInfo[i] = null;
        obs.set(r.obs, i * this.obsSize);
        infos.envInfo[i] = r.info;
      }
    }
    return this.result;
  }

  /**
   * Gymnasium's `step_async`: remembers the actions for `stepWait`, which steps the copies.
   * Here both halves run in the caller's thread; `AsyncVectorEnv` steps in a worker between
   * them. A loop written as stepAsync, other work, stepWait runs the same on either.
   */
  stepAsync(actions: ArrayLike<A>): void {
    if (this.pendingActions !== null) throw new Error("VectorEnv.stepAsync: a step is in flight; call stepWait first");
    this.pendingActions = actions;
  }

  /** Gymnasium's `step_wait`: `step` with the actions given to `stepAsync`. */
  stepWait(): VectorStepResult {
    const actions = this.pendingActions;
    if (actions === null) throw new Error("VectorEnv.stepWait: no step in flight; call stepAsync first");
    this.pendingActions = null;
    return this.step(actions);
  }

  /**
   * Steps copy `env` through `actions` without autoreset (a resumed run replays the actions of
   * its unfinished episodes) and returns its last observation (a view into the batch, valid
   * until the next call). Throws if the episode ends on the way.
   */
  replay(env: number, actions: ArrayLike<A>): BoxArray {
    if (!Number.isInteger(env) || env < 0 || env >= this.numEnvs)
      throw new RangeError(`VectorEnv.replay: env must be an integer in [0, ${this.numEnvs}), got ${env}`);
    const { obs } = this.result;
    for (let t = 0; t < actions.length; t++) {
      const r = this.envs[env]!.step(actions[t]!);
      if (r.terminated || r.truncated)
        throw new Error(`resume: env ${env} ended while replaying its unfinished episode (step ${t}); the env is not deterministic`);
      obs.set(r.obs as BoxArray, env * this.obsSize);
    }
    return obs.subarray(env * this.obsSize, (env + 1) * this.obsSize);
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}
