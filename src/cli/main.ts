/** The `deepq` command: train, eval, record, list. */
import { Command, CommanderError, Option } from "commander";
import { DQN_CONFIG_KEYS, type NetworkSpec } from "../agents/config.js";
import { registeredIds, registration } from "../envs/registry.js";
import { checkEnvId, collect, Interrupted, int, NETWORK_FORMS, network, port, UsageError } from "./args.js";
import "../envs/index.js";
import { ALGORITHM_NAMES, ALGORITHMS } from "../agents/algorithms/index.js";
import type { Observation } from "../envs/core.js";
import { resolveTrainConfig } from "../train/config.js";
import { makeTrainEnv } from "../train/env.js";
import { evaluate } from "../train/evaluate.js";
import { newRunDir } from "../train/files.js";
import { type TrainEvent, TrainingDivergedError, train } from "../train/trainer.js";
import { addInfoCommand, kernelsSummary } from "./info.js";
import { loadModelForEnv } from "./model-args.js";
import { applySet, defaultPresetFor, listPresets, loadPreset, type PresetConfig } from "./presets.js";
import { ProgressDisplay } from "./progress.js";
import { recordCommand } from "./record.js";
import { addWebCommands, startWatch } from "./web-commands.js";

interface TrainFlags {
  preset?: string;
  set: string[];
  steps?: number;
  seed?: number;
  runDir?: string;
  resume?: string;
  dropReplay?: boolean;
  saveReplay?: boolean;
  quiet?: boolean;
  watch?: boolean;
  port: number;
}

async function trainCommand(envArg: string | undefined, flags: TrainFlags): Promise<void> {
  let config: PresetConfig | null = null;
  if (!flags.resume) {
    if (envArg === undefined) throw new UsageError("train: name an env (e.g. deepq train CartPole-v1) or pass --resume <runDir>");
    if (flags.dropReplay) throw new UsageError("--drop-replay goes with --resume");
    checkEnvId(envArg);
    config = flags.preset ? loadPreset(flags.preset) : (defaultPresetFor(envArg) ?? { env: envArg });
    if (config.env !== envArg) throw new UsageError(`--preset ${flags.preset} is for ${config.env}, not ${envArg}`);
    const raw = config as unknown as Record<string, unknown>;
    for (const s of flags.set) applySet(raw, s);
    if (flags.steps !== undefined) config.totalSteps = flags.steps;
    if (flags.seed !== undefined) config.agent = { ...config.agent, seed: flags.seed };
    if (flags.saveReplay) config.saveReplay = true;
    // The config is what the command line asked for: a bad value is a usage error.
    try {
      resolveTrainConfig(config);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else if (flags.preset || flags.set.length > 0 || flags.seed !== undefined || flags.saveReplay) {
    throw new UsageError("--resume continues a run with its saved config; only --steps may change (to extend it)");
  }
  const runDir = flags.resume ?? flags.runDir ?? newRunDir("runs", envArg!);
  const controller = new AbortController();
  let stoppedBy: "SIGINT" | "SIGTERM" | null = null;
  const onSignal = (sig: "SIGINT" | "SIGTERM") => {
    if (stoppedBy !== null) process.exit(new Interrupted(sig).exitCode);
    stoppedBy = sig;
    process.stderr.write(`\n${sig}: writing a checkpoint, then stopping (again to quit at once)\n`);
    controller.abort();
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const dashboard = flags.watch ? await startWatch(runDir, flags.port) : null;

  let display: ProgressDisplay | null = null;
  let total = 0;
  const say = (line: string) => (display ? display.log(line) : process.stderr.write(`${line}\n`));
  const onEvent = (e: TrainEvent) => {
    switch (e.kind) {
      case "start": {
        total = e.config.totalSteps;
        const from = e.resumedFromStep;
        say(
          `${from === null ? "training" : `resuming at step ${from}:`} ${e.config.env} → ${e.runDir} (replay ${(e.replayBytes / 2 ** 20).toFixed(0)} MiB; ${kernelsSummary()})`,
        );
        if (!flags.quiet) display = new ProgressDisplay({ total, start: from ?? 0 });
        break;
      }
      case "progress":
        display?.update(e.step, { epsilon: e.epsilon, lastReturn: e.lastReturn, lastEval: e.lastEval });
        break;
      case "eval":
        say(
          `step ${e.step}: eval ${e.mean.toFixed(1)} ± ${e.std.toFixed(1)} (min ${e.min.toFixed(1)}, max ${e.max.toFixed(1)})` +
            (e.confirmed ? `; over ${e.confirmed.episodes} episodes ${e.confirmed.mean.toFixed(1)} ± ${e.confirmed.std.toFixed(1)}` : "") +
            (e.isBest ? " best" : ""),
        );
        break;
      case "video":
        say(`episode ${e.episode} (return ${e.ret.toFixed(1)}) saved to ${e.path}`);
        break;
      case "warning":
        say(`warning: ${e.message}`);
        break;
      case "done":
        display?.stop();
        display = null;
        say(`${e.reason} at step ${e.step} after ${(e.seconds / 60).toFixed(1)} min; run directory ${runDir}`);
        if (e.reason === "interrupted") say(`continue with: deepq train --resume ${runDir}`);
        break;
      default:
        break;
    }
  };
  let interrupted = false;
  try {
    const res = await train(config, {
      runDir,
      resume: flags.resume !== undefined,
      totalSteps: flags.steps,
      dropReplay: flags.dropReplay,
      onEvent,
      signal: controller.signal,
    });
    interrupted = res.reason === "interrupted";
    if (res.bestEval)
      say(`best eval ${res.bestEval.mean.toFixed(1)} ± ${res.bestEval.std.toFixed(1)} at step ${res.bestEval.step} → ${runDir}/best.safetensors`);
    const rep = res.report?.report;
    if (rep)
      say(
        `report: best model ${rep.mean.toFixed(1)} ± ${rep.std.toFixed(1)} over ${rep.episodes} unseen seeds ${rep.seed}–${rep.seed + rep.episodes - 1} → ${runDir}/report.json`,
      );
  } catch (e) {
    await dashboard?.close();
    throw e;
  } finally {
    (display as ProgressDisplay | null)?.stop();
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
  // A stopped run is resumable, not finished: its exit code says which signal stopped it.
  if (interrupted) {
    await dashboard?.close();
    throw new Interrupted(stoppedBy ?? "SIGINT");
  }
  if (dashboard) await dashboard.serveUntilSignal();
}

interface ModelCommandFlags {
  env?: string;
  network?: NetworkSpec;
}

async function evalCommand(path: string, flags: ModelCommandFlags & { episodes: number; seed: number; json?: boolean }): Promise<void> {
  const { agent, env: cfg } = loadModelForEnv(path, flags);
  const env = makeTrainEnv(cfg);
  const r = evaluate(env, (o: Observation) => agent.act(o as Float32Array | Uint8Array, { epsilon: 0 }), {
    episodes: flags.episodes,
    seed: flags.seed,
    onEpisode: flags.json ? undefined : (i, ret, len) => process.stderr.write(`episode ${i + 1}: return ${ret.toFixed(1)} in ${len} steps\n`),
  });
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ env: cfg.env, episodes: flags.episodes, seed: flags.seed, mean: r.mean, std: r.std, returns: r.returns, lengths: r.lengths })}\n`,
    );
  else
    process.stdout.write(
      `${cfg.env}: mean return ${r.mean.toFixed(2)} ± ${r.std.toFixed(2)} over ${flags.episodes} episodes (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})\n`,
    );
}

function listCommand(): void {
  const out = ["Environments:"];
  for (const id of registeredIds()) {
    const reg = registration(id)!;
    out.push(`  ${id.padEnd(22)} ${reg.description ?? ""}`);
  }
  out.push("", "Presets (deepq train <env> --preset <name>):");
  for (const p of listPresets()) out.push(`  ${p.name.padEnd(22)} ${p.env.padEnd(16)} ${p.description}`);
  out.push("", "Algorithms (--set algorithm=<name>):");
  for (const name of ALGORITHM_NAMES) out.push(`  ${name.padEnd(22)} ${ALGORITHMS[name].description} (${ALGORITHMS[name].reference})`);
  out.push("", "Agent config keys (--set key=value; documented in docs/algorithms.md and src/agents/config.ts):");
  out.push(`  ${DQN_CONFIG_KEYS.join(", ")}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

export function buildProgram(): Command {
  const program = new Command("deepq")
    .description("Deep Q-learning in TypeScript: train, evaluate and record DQN agents on Gymnasium-compatible envs")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("train")
    .description("train an agent; writes logs, plots, models and checkpoints to a run directory")
    .argument("[env]", "env id, e.g. CartPole-v1 (omit with --resume)")
    .option("--preset <name>", "preset name or .json file (default: the env's tuned preset)")
    .option("--set <key=value>", "override a config field, e.g. --set lr=3e-4 --set totalSteps=2e5 (repeatable)", collect, [])
    .option("--steps <n>", "total environment steps", int("--steps", 1))
    .option("--seed <n>", "seed of the whole run", int("--seed", 0))
    .option("--run-dir <dir>", "run directory (default runs/<env>-<time>)")
    .option("--resume <runDir>", "continue the run in runDir from its last checkpoint")
    .option("--drop-replay", "with --resume: continue without the saved replay buffer when it is missing or damaged (not exact)")
    .option("--save-replay", "save the replay buffer with checkpoints (exact resume; large for images)")
    .option("--quiet", "no progress bar")
    .option("--watch", "serve the live dashboard (deepq watch) while training")
    .option("--port <n>", "dashboard port with --watch", port, 8080)
    .action((env: string | undefined, flags: TrainFlags) => trainCommand(env, flags));

  program
    .command("eval")
    .description("evaluate a saved model greedily on fixed seeds")
    .argument("<model>", "model file (.safetensors written by deepq, or a plain one with --env and --network)")
    .option("--episodes <n>", "episodes", int("--episodes", 1), 10)
    .option("--seed <n>", "episode i uses seed + i", int("--seed", 0), 1_000_000)
    .option("--env <id>", "env id (default: the one the model was trained on)")
    .option("--network <net>", `network of a plain safetensors file: ${NETWORK_FORMS}`, network)
    .option("--json", "print one JSON line { env, episodes, seed, mean, std, returns, lengths } (episode i used seed + i)")
    .action(evalCommand);

  program
    .command("record")
    .description("record greedy episodes of a saved model as a GIF or MP4 (MP4 needs ffmpeg)")
    .argument("<model>", "model file")
    .requiredOption("--out <file>", "output .gif or .mp4")
    .option("--episodes <n>", "episodes", int("--episodes", 1), 1)
    .option("--seed <n>", "episode i uses seed + i", int("--seed", 0), 1_000_000)
    .option("--env <id>", "env id (default: the model's)")
    .option("--network <net>", `network of a plain safetensors file: ${NETWORK_FORMS}`, network)
    .addOption(new Option("--stride <k>", "keep every k-th frame").argParser(int("--stride", 1)).default(1))
    .option("--max-steps <n>", "stop each episode after n steps", int("--max-steps", 1))
    .action(recordCommand);

  program.command("list").description("list environments and presets").action(listCommand);
  addWebCommands(program);
  addInfoCommand(program);
  return program;
}

/** Runs the command line; the exit code is 0 finished, 1 an error, 2 a usage error, 130/143 stopped by SIGINT/SIGTERM. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 2;
    if (e instanceof Interrupted) return e.exitCode;
    const msg = e instanceof TrainingDivergedError ? `training diverged: ${e.message}` : (e as Error).message;
    process.stderr.write(`deepq: ${msg}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
