/**
 * Replay memory for the DQN family: a uniform ring buffer for vector observations, a
 * frame-deduplicating one for stacked uint8 images, and proportional prioritized replay
 * over either. All store `terminated` apart from `truncated`, compute n-step returns at
 * sample time, fill a caller-owned batch (no allocation per sample) and checkpoint as
 * typed arrays plus a JSON header.
 */

export { ImageReplayBuffer, type ImageReplayBufferOptions, MAX_CHUNK_BYTES } from "./image-replay-buffer.js";
export { linearBeta, PrioritizedReplay, type PrioritizedReplayOptions } from "./prioritized.js";
export { ReplayBuffer, type ReplayBufferOptions } from "./replay-buffer.js";
export { Xoshiro128 } from "./rng.js";
export { MinTree, SumTree } from "./sum-tree.js";
export type { ImageBatch, Json, ReplayArray, ReplayBatch, ReplayState, StoreListener, TransitionStore, VectorBatch } from "./types.js";
