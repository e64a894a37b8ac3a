/**
 * A custom environment, written from scratch against deepq's `Env` interface, trained with
 * `DQN`, evaluated, saved and reloaded. Run: npx tsx examples/custom-env.ts
 *
 * The env is a corridor: the agent starts at the left end, may step left or right, and is
 * paid 1 only on reaching the right end. Observations are the position, one-hot.
 *
 * DEEPQ_EXAMPLE_STEPS sets the step budget (the example test runs it with a tiny one) and
 * DEEPQ_EXAMPLE_OUT the output directory.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
// In your project: from "deepq".
import { Box, Discrete, DQN, type Env, type ResetArgs, type StepResult } from "../src/index.js";

class Corridor implements Env<Float32Array, number> {
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

  reset(_args: ResetArgs = {}): { obs: Float32Array; info: Record<string, unknown> } {
    this.position = 0;
    this.steps = 0;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    this.position = Math.max(0, Math.min(this.length - 1, this.position + (action === 1 ? 1 : -1)));
    this.steps++;
    const terminated = this.position === this.length - 1;
    const truncated = !terminated && this.steps >= this.maxSteps;
    return { obs: this.observe(), reward: terminated ? 1 : 0, terminated, truncated, info: {} };
  }

  /** One white pixel per cell, the agent's cell red. */
  render() {
    const data = new Uint8Array(this.length * 3).fill(255);
    data.set([255, 0, 0], this.position * 3);
    return { width: this.length, height: 1, data };
  }

  close(): void {}

  private observe(): Float32Array {
    const obs = new Float32Array(this.length);
    obs[this.position] = 1;
    return obs;
  }
}

const totalSteps = Number(process.env.DEEPQ_EXAMPLE_STEPS ?? 20_000);
const outDir = process.env.DEEPQ_EXAMPLE_OUT ?? "examples-out";
mkdirSync(outDir, { recursive: true });

// A factory gives evaluation its own copy of the env (an instance works too).
const model = new DQN(() => new Corridor(), {
  network: { kind: "mlp", hidden: [32] },
  lr: 1e-3,
  gamma: 0.95,
  batchSize: 64,
  bufferSize: 20_000,
  learningStarts: Math.min(500, Math.floor(totalSteps / 2)),
  targetUpdateInterval: 500,
  exploration: { kind: "linear", start: 1, end: 0.05, fraction: 0.5 },
  seed: 0,
});

const result = await model.learn({
  totalSteps,
  evalEvery: Math.min(1000, totalSteps),
  evalEpisodes: 1,
  reportEpisodes: 10,
  callbacks: {
    onEval(e) {
      console.log(`step ${e.step}: greedy return ${e.mean}`);
      if (e.mean >= 1) return false; // solved: stop early
    },
  },
});
console.log(`stopped (${result.reason}) at step ${result.step}`);

const { mean, std } = await model.evaluate(new Corridor(), { episodes: 10, seed: 0 });
console.log(`evaluation: ${mean} ± ${std}`);

const path = join(outDir, "corridor.safetensors");
await model.save(path);
// The file records the env as "custom:Corridor": loading it needs the env again.
const again = await DQN.load(path, { env: () => new Corridor() });
const start = new Corridor().reset().obs;
console.log(`reloaded from ${path}: first action ${again.predict(start)} (1 = right), same as before: ${again.predict(start) === model.predict(start)}`);
