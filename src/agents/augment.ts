/**
 * DrQ's random shift (Kostrikov et al. 2020, denisyarats/drq `replay_buffer.py`): every image
 * stack of a sampled batch is replicate-padded by `pad` pixels and cropped back to its size at
 * a random offset, one offset per stack (all its frames alike). The shift is fused into the
 * batch's uint8 → float conversion (the `u8ToF32Shift` kernel), so it costs no pass of its own.
 * Offsets come from one seeded stream, checkpointed with the agent, so runs repeat and resume.
 */
import type { Arena, RngState } from "../nn/index.js";
import { Rng } from "../nn/index.js";
import type { DQNSpec } from "./types.js";

/** The augmentation stream's seed: apart from the init (seed), exploration (2s+1), noise (4s+2) and IQN τ (4s+3) streams. */
const shiftSeed = (seed: number): number => seed * 8 + 4;

export class RandomShift {
  private readonly rng: Rng;
  private readonly channels: number;
  private readonly height: number;
  private readonly width: number;
  /** (dy, dx) int32 pairs in the arena, room for `capacity` images. */
  private shifts = 0;
  private capacity = 0;
  private view = new Int32Array(0);
  private viewBuffer: ArrayBufferLike | null = null;

  constructor(
    private readonly arena: Arena,
    spec: DQNSpec,
    readonly pad: number,
    seed: number,
  ) {
    const shape = spec.observationShape;
    if (spec.observationType !== "uint8" || shape.length !== 3) {
      throw new Error(
        `DQN config: augment = "shift" needs image observations (uint8 [channels, height, width]), got ${spec.observationType} [${shape.join(", ")}]`,
      );
    }
    [this.channels, this.height, this.width] = shape as [number, number, number];
    if (pad >= this.height || pad >= this.width) {
      throw new Error(`DQN config: augmentPad = ${pad} must be smaller than the image (${this.height}×${this.width})`);
    }
    this.rng = new Rng(shiftSeed(seed));
  }

  /**
   * Converts `n` uint8 stacks at byte offset `src` into the float tensor at `dst` (scaled by
   * 1/255), each shifted by a fresh offset (dy, dx) ∈ [0, 2·pad]², drawn in order dy, dx per stack.
   */
  convert(src: number, dst: number, n: number): void {
    if (n > this.capacity) {
      if (this.capacity > 0) this.arena.free(this.shifts, 8 * this.capacity);
      this.shifts = this.arena.alloc(8 * n);
      this.capacity = n;
      this.viewBuffer = null;
    }
    const buffer = this.arena.memory.buffer;
    if (this.viewBuffer !== buffer) {
      this.view = new Int32Array(buffer, this.shifts, 2 * this.capacity);
      this.viewBuffer = buffer;
    }
    const span = 2 * this.pad + 1;
    for (let i = 0; i < 2 * n; i++) this.view[i] = Math.floor(this.rng.random() * span);
    this.arena.kernels.u8ToF32Shift(src, dst, n, this.channels, this.height, this.width, this.pad, this.shifts, 1 / 255);
  }

  /** The offset stream's state, for checkpoints. */
  state(): RngState {
    return this.rng.state();
  }

  restore(state: RngState): void {
    this.rng.setState(state);
  }
}
