/**
 * Replay memory for the DQN family: a uniform ring buffer for vector observations, a
 * frame-deduplicating one for stacked uint8 images, and proportional prioritized replay
 * over either. All store `terminated` apart from `truncated`, compute n-step returns at
 * sample time, fill a caller-owned batch (no allocation per sample) and checkpoint as
 * typed arrays plus a JSON header.
 */
export { ReplayBuffer, type ReplayBufferOptions } from "./replay-buffer.js";
export { ImageReplayBuffer, MAX_CHUNK_BYTES, type ImageReplayBufferOptions } from "./image-replay-buffer.js";
export { PrioritizedReplay, linearBeta, type PrioritizedReplayOptions } from "./prioritized.js";
export { SumTree, MinTree } from "./sum-tree.js";
export { Xoshiro128 } from "./rng.js";
export type { ImageBatch, Json, ReplayArray, ReplayBatch, ReplayState, StoreListener, TransitionStore, VectorBatch } from "./types.js";
