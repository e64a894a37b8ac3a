// node scripts/check-pack.mjs [--keep] — the package as a user gets it: `npm pack` (which
// builds dist/), a scratch project outside the repository that installs the tarball, then
// `tsc --strict` type-checks the README's snippet (a custom env class, DQN, every subpath)
// against the shipped .d.ts files, and the compiled snippet runs.
//
// Offline by design: the tarball is unpacked into the scratch project's node_modules/deepq
// and deepq's own dependencies (and TypeScript, @types/node) are linked from this
// repository's node_modules, so nothing is fetched. The package's install script (the
// native kernels' build) is not run: the scratch project computes with WebAssembly.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The snippet, with a custom env class; the subpath imports check the exports map and its types. */
const SNIPPET = `
import { DQN, make, Box, Discrete, type Env, type ResetArgs, type StepResult, type NetworkContext } from "deepq";
import * as nn from "deepq/nn";
import { registeredIds } from "deepq/envs";
import { RecordEpisodeStatistics } from "deepq/wrappers";
import { DQNAgent } from "deepq/agents";
import { ReplayBuffer } from "deepq/replay";
import { evaluate, type TrainEvent } from "deepq/train";

/** A corridor: reward 1 only at the right end. */
class Corridor implements Env<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>(0, 1, [10], "float32");
  readonly actionSpace = new Discrete(2);
  readonly metadata = { renderFps: 4 };
  private at = 0;
  private t = 0;
  reset(_args: ResetArgs = {}) {
    this.at = 0;
    this.t = 0;
    return { obs: this.obs(), info: {} };
  }
  step(action: number): StepResult<Float32Array> {
    this.at = Math.max(0, Math.min(9, this.at + (action === 1 ? 1 : -1)));
    this.t++;
    const terminated = this.at === 9;
    return { obs: this.obs(), reward: terminated ? 1 : 0, terminated, truncated: !terminated && this.t >= 30, info: {} };
  }
  render() {
    return { width: 10, height: 1, data: new Uint8Array(30) };
  }
  close() {}
  private obs() {
    const o = new Float32Array(10);
    o[this.at] = 1;
    return o;
  }
}

const env = new Corridor();
const model = new DQN(env, { network: { kind: "mlp", hidden: [64, 64] }, lr: 1e-3, double: true, seed: 0, learningStarts: 200, gamma: 0.95 });
const events: TrainEvent["kind"][] = [];
const result = await model.learn({
  totalSteps: 3_000, evalEvery: 500, reportEpisodes: 5,
  callbacks: { onEpisode(e) { events.push(e.kind); }, onEval(e) { if (e.mean >= 1) return false; } },
  runDir: "runs/x",
});
const action: number = model.predict(env.reset().obs, { deterministic: true });
const actions: Int32Array = model.predict([env.reset().obs, env.reset().obs]);
const { mean, std } = await model.evaluate(env, { episodes: 10, seed: 0 });
await model.save("corridor.safetensors");
const again = await DQN.load("corridor.safetensors", { env });

// A registered env and a network factory.
const cartpole = new DQN(() => make("CartPole-v1"), {
  network: ({ observationShape, outputs, seed, arena }: NetworkContext) => {
    const rng = new nn.Rng(seed);
    return new nn.Sequential([new nn.Linear(observationShape[0]!, 32, { rng, arena }), new nn.ReLU(arena), new nn.Linear(32, outputs, { rng, arena })], arena);
  },
  seed: 1,
});
await cartpole.learn({ totalSteps: 300, evalEvery: 300, evalEpisodes: 1, reportEpisodes: 1 });
await cartpole.save("cartpole.safetensors");
const greedy = evaluate(new RecordEpisodeStatistics(make("CartPole-v1")), (o) => cartpole.predict(o), { episodes: 1, seed: 0 });

console.log(JSON.stringify({
  reason: result.reason, step: result.step, report: result.report?.report.mean, action, actions: [...actions], mean, std,
  reloaded: again.predict(env.reset().obs), cartpole: greedy.returns, ids: registeredIds().length,
  lowLevel: [typeof DQNAgent, typeof ReplayBuffer],
}));
console.log("check-pack snippet: ok");
`;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const scratch = mkdtempSync(join(tmpdir(), "deepq-pack-"));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
const step = (what) => console.log(`check-pack: ${what}`);

try {
  step(`npm pack (builds dist/) into ${scratch}`);
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], root));
  const tarball = join(scratch, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const sub of ["", "nn/", "envs/", "wrappers/", "agents/", "replay/", "train/"]) {
    for (const ext of ["js", "d.ts"]) {
      if (!files.includes(`dist/${sub}index.${ext}`)) throw new Error(`the tarball lacks dist/${sub}index.${ext}`);
    }
  }

  step("install the tarball into a scratch project (offline: dependencies linked from this repository)");
  const project = join(scratch, "project");
  const modules = join(project, "node_modules");
  mkdirSync(join(modules, "deepq"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", join(modules, "deepq"), "--strip-components=1"], scratch);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const linked = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), "typescript", "@types/node"];
  for (const name of linked) {
    const from = join(root, "node_modules", name);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(from, join(modules, name), "dir");
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }, null, 2));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          outDir: "out",
          types: ["node"],
          skipLibCheck: false,
        },
        include: ["main.ts"],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(project, "main.ts"), SNIPPET);

  step("tsc --strict against the shipped .d.ts");
  run(process.execPath, [join(modules, "typescript/bin/tsc"), "-p", "."], project);

  step("run the compiled snippet");
  const out = run(process.execPath, ["out/main.js"], project);
  process.stdout.write(out.replace(/^/gm, "  | "));
  if (!out.includes("check-pack snippet: ok")) throw new Error("the snippet did not finish");
  const written = readdirSync(project).filter((f) => f.endsWith(".safetensors"));
  if (written.length !== 2) throw new Error(`expected two saved models, found ${written.join(", ") || "none"}`);
  step("ok");
} finally {
  if (keep) console.log(`check-pack: kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
