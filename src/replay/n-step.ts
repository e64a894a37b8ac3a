/**
 * The n-step return, computed at sample time by both buffers. The window walks forward
 * along one env's stream and stops after the first terminated or truncated step, or at
 * the stream's newest transition (a shorter but valid n'-step target bootstrapped from
 * the latest observation: the newest transitions of an unfinished episode are not
 * withheld from sampling).
 *
 * The buffers lay their slots out differently, so a stream is described by where its
 * i-th transition from `start` sits: slot = base + ((start + i) mod period)·stride. The
 * vector buffer's [position, env] layout walks positions (stride numEnvs); the image
 * buffer's per-env streams walk contiguous slots (stride 1).
 */
import type { ReplayBatch } from "./types.js";

export class NStepReturn {
  constructor(
    readonly nStep: number,
    readonly gamma: number,
    private readonly rewards: Float32Array | Float64Array,
    private readonly terminated: Uint8Array,
    private readonly truncated: Uint8Array,
  ) {}

  /**
   * Writes R = Σ_{i<n'} γ^i r, `dones`, γ^n' and n' of the window starting at stream
   * position `start` into row `row` of `out`, with `available` transitions from it to
   * the newest (inclusive). Returns the slot of the window's last transition, whose next
   * observation is the one to bootstrap from.
   */
  write(base: number, start: number, period: number, stride: number, available: number, out: ReplayBatch<Float32Array | Uint8Array>, row: number): number {
    const maxSteps = Math.min(this.nStep, available);
    let ret = 0;
    let discount = 1;
    let last = base;
    let steps = 0;
    for (;;) {
      last = base + ((start + steps) % period) * stride;
      ret += discount * this.rewards[last]!;
      discount *= this.gamma;
      steps++;
      if (this.terminated[last] || this.truncated[last] || steps >= maxSteps) break;
    }
    out.rewards[row] = ret;
    out.dones[row] = this.terminated[last]!;
    out.discounts[row] = discount;
    out.nSteps[row] = steps;
    return last;
  }
}
