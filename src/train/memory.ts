/**
 * The trainer's replay memory: one interface over the vector buffer (float observations),
 * the frame-deduplicating image buffer (uint8 frame stacks) and prioritized sampling on
 * either, so the loop does not branch on observation type.
 */
import type { DQNConfig } from "../agents/config.js";
import type { DQNSpec } from "../agents/dqn.js";
import {
  type ImageBatch,
  ImageReplayBuffer,
  linearBeta,
  PrioritizedReplay,
  ReplayBuffer,
  type ReplayState,
  type TransitionStore,
  type VectorBatch,
} from "../replay/index.js";

type Batch = VectorBatch | ImageBatch;
type Obs = Float32Array | Uint8Array;

export interface TrainMemory {
  readonly memoryBytes: number;
  readonly size: number;
  readonly batch: Batch;
  /** The first observations of every env copy (after `VectorEnv.reset`). */
  start(obs: Obs): void;
  /**
   * One vector step: `prevObs` the observations acted on, `nextObs` the step's
   * observations with each ended copy's final observation in its row, `resetObs` the
   * returned (already reset) observations.
   */
  add(prevObs: Obs, actions: Int32Array, rewards: Float64Array, nextObs: Obs, terminated: Uint8Array, truncated: Uint8Array, resetObs: Obs): void;
  /** Fills `batch` (β annealed by `step` for prioritized replay). */
  sample(step: number): Batch;
  /** Prioritized replay: new priorities from the last step's TD errors. */
  learned(tdErrors: Float32Array): void;
  state(): ReplayState;
  load(state: ReplayState): void;
}

function storeOptions(spec: DQNSpec, cfg: DQNConfig) {
  const common = { capacity: cfg.bufferSize, numEnvs: cfg.numEnvs, nStep: cfg.nStep, gamma: cfg.gamma, seed: cfg.seed };
  const [stack, ...frameShape] = spec.observationShape;
  return {
    image: { ...common, frameShape, stack: stack! },
    vector: { ...common, obsSize: spec.observationShape.reduce((a, b) => a * b, 1) },
  };
}

/**
 * Bytes the replay memory takes at full capacity, computed without allocating anything
 * (the buffers' own `bytesFor`, plus prioritized replay's two trees of 2·leaves float64
 * nodes, as `PrioritizedReplay.memoryBytes` counts them).
 */
export function memoryBytesFor(spec: DQNSpec, cfg: DQNConfig): number {
  const o = storeOptions(spec, cfg);
  const store = spec.observationType === "uint8" ? ImageReplayBuffer.bytesFor(o.image) : ReplayBuffer.bytesFor(o.vector);
  if (!cfg.prioritized) return store;
  let leaves = 1;
  while (leaves < cfg.bufferSize) leaves *= 2;
  return store + 2 * 2 * leaves * 8;
}

export interface SystemMemory {
  /** Bytes this process may use at most: the machine's memory, or the container's limit when lower. */
  total: number;
  /** Bytes available now. */
  available: number;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Checks the replay memory against the machine before it is allocated: more than the
 * total is refused; more than what is available now returns a warning (as SB3 warns).
 */
export function checkReplayMemory(bytes: number, bufferSize: number, mem: SystemMemory): string | null {
  if (bytes > mem.total) {
    throw new Error(
      `bufferSize ${bufferSize} needs ${gib(bytes)} (${bytes} bytes) of replay memory, more than this machine's ${gib(mem.total)} (${gib(mem.available)} available); lower bufferSize`,
    );
  }
  if (bytes > mem.available) {
    return `bufferSize ${bufferSize} needs ${gib(bytes)} of replay memory, more than the ${gib(mem.available)} available now (of ${gib(mem.total)}); the system may swap, or stop the run when the buffer fills`;
  }
  return null;
}

export function createMemory(spec: DQNSpec, cfg: DQNConfig, totalSteps: number): TrainMemory {
  try {
    return buildMemory(spec, cfg, totalSteps);
  } catch (e) {
    // Typed-array and ArrayBuffer limits of the JS engine ("Invalid typed array length", "Array buffer allocation failed").
    if (e instanceof RangeError) throw new Error(`bufferSize ${cfg.bufferSize}: the replay buffer cannot be allocated (${e.message}); lower bufferSize`);
    throw e;
  }
}

function buildMemory(spec: DQNSpec, cfg: DQNConfig, totalSteps: number): TrainMemory {
  const o = storeOptions(spec, cfg);
  if (spec.observationType === "uint8") {
    const store = new ImageReplayBuffer(o.image);
    return wrap(store, cfg, totalSteps, {
      start: (obs) => store.addFirstBatch(obs as Uint8Array),
      add: (_prev, actions, rewards, nextObs, terminated, truncated, resetObs) =>
        store.addBatch(actions, rewards, nextObs as Uint8Array, terminated, truncated, resetObs as Uint8Array),
    });
  }
  const store = new ReplayBuffer(o.vector);
  return wrap(store, cfg, totalSteps, {
    start: () => {},
    add: (prev, actions, rewards, nextObs, terminated, truncated) =>
      store.addBatch(prev as Float32Array, actions, rewards, nextObs as Float32Array, terminated, truncated),
  });
}

function wrap<B extends Batch>(
  store: TransitionStore<B> & { sample(batchSize: number, out: B): void },
  cfg: DQNConfig,
  totalSteps: number,
  feed: Pick<TrainMemory, "start" | "add">,
): TrainMemory {
  const per = cfg.prioritized ? new PrioritizedReplay(store, { alpha: cfg.priorityAlpha, beta: cfg.priorityBeta, eps: cfg.priorityEps }) : null;
  const beta = linearBeta(cfg.priorityBeta, totalSteps);
  const batch = (per ?? store).createBatch(cfg.batchSize);
  return {
    get memoryBytes() {
      return per?.memoryBytes ?? store.memoryBytes;
    },
    get size() {
      return store.size;
    },
    batch,
    ...feed,
    sample(step) {
      if (per) per.sample(cfg.batchSize, batch, beta(step));
      else store.sample(cfg.batchSize, batch);
      return batch;
    },
    learned(tdErrors) {
      per?.updatePriorities(batch.indices, tdErrors, batch.size);
    },
    state: () => (per ?? store).state(),
    load: (s) => (per ?? store).load(s),
  };
}
