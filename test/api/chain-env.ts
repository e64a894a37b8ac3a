/**
 * A 1-D chain written from scratch against the `Env` interface, as a user would: states
 * 0…length−1 seen one-hot, start at 0, action 0 steps left and 1 right, reward 1 only on
 * reaching the right end (which terminates); truncated after `maxSteps`.
 */
import { Box, Discrete, type Env, type ResetArgs } from "../../src/index.js";

export class ChainEnv implements Env<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace = new Discrete(2);
  readonly metadata = { renderFps: 4 };
  private position = 0;
  private steps = 0;

  constructor(
    readonly length = 10,
    readonly maxSteps = 30,
  ) {
    this.observationSpace = new Box<Float32Array>(0, 1, [length], "float32");
  }

  private observe(): Float32Array {
    const obs = new Float32Array(this.length);
    obs[this.position] = 1;
    return obs;
  }

  reset(_args: ResetArgs = {}) {
    this.position = 0;
    this.steps = 0;
    return { obs: this.observe(), info: {} };
  }

  step(action: number) {
    if (action !== 0 && action !== 1) throw new Error(`ChainEnv: action must be 0 or 1, got ${action}`);
    this.position = Math.max(0, Math.min(this.length - 1, this.position + (action === 1 ? 1 : -1)));
    this.steps++;
    const terminated = this.position === this.length - 1;
    return { obs: this.observe(), reward: terminated ? 1 : 0, terminated, truncated: !terminated && this.steps >= this.maxSteps, info: {} };
  }

  render() {
    const data = new Uint8Array(this.length * 3);
    data.fill(255, this.position * 3, this.position * 3 + 3);
    return { width: this.length, height: 1, data };
  }

  close(): void {}
}
