/**
 * The trainer's replay memory: one interface over the vector buffer (float observations),
 * the frame-deduplicating image buffer (uint8 frame stacks) and prioritized sampling on
 * either, so the loop does not branch on observation type.
 */
import type { DQNConfig } from "../agents/config.js";
import type { DQNSpec } from "../agents/dqn.js";
import { ImageReplayBuffer, linearBeta, PrioritizedReplay, ReplayBuffer, type ImageBatch, type ReplayState, type TransitionStore, type VectorBatch } from "../replay/index.js";

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

export function createMemory(spec: DQNSpec, cfg: DQNConfig, totalSteps: number): TrainMemory {
  const common = { capacity: cfg.bufferSize, numEnvs: cfg.numEnvs, nStep: cfg.nStep, gamma: cfg.gamma, seed: cfg.seed };
  if (spec.observationType === "uint8") {
    const [stack, ...frameShape] = spec.observationShape;
    const store = new ImageReplayBuffer({ ...common, frameShape, stack: stack! });
    return wrap(store, cfg, totalSteps, {
      start: (obs) => store.addFirstBatch(obs as Uint8Array),
      add: (_prev, actions, rewards, nextObs, terminated, truncated, resetObs) =>
        store.addBatch(actions, rewards, nextObs as Uint8Array, terminated, truncated, resetObs as Uint8Array),
    });
  }
  const obsSize = spec.observationShape.reduce((a, b) => a * b, 1);
  const store = new ReplayBuffer({ ...common, obsSize });
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
