/** `deepq watch` and `deepq play`: the local web pages (servers in src/viz/web). */
import { existsSync, statSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { NetworkSpec } from "../agents/config.js";
import type { Observation } from "../envs/core.js";
import { make } from "../envs/registry.js";
import { makeTrainEnv } from "../train/env.js";
import { ensureDir } from "../util/atomic-file.js";
import { startDashboard } from "../viz/web/dashboard-server.js";
import { DEFAULT_HOST, type WebServer } from "../viz/web/http.js";
import { startPlay } from "../viz/web/play-server.js";
import { checkEnvId, Interrupted, int, NETWORK_FORMS, network, port } from "./args.js";
import { loadModelForEnv } from "./model-args.js";

function positive(name: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got "${raw}"`);
    return v;
  };
}

/** Keeps the command alive until Ctrl-C / SIGTERM, then closes the server; resolves with the signal. */
function serveUntilSignal(web: WebServer): Promise<"SIGINT" | "SIGTERM"> {
  return new Promise((resolve) => {
    const stop = (sig: "SIGINT" | "SIGTERM") => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.stderr.write(`\n${sig}: stopping\n`);
      void web.close().then(() => resolve(sig));
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

interface WatchFlags {
  port: number;
  host: string;
  interval: number;
}

/** The dashboard for a run directory that training is about to fill (`train --watch`). */
export async function startWatch(runDir: string, port: number): Promise<{ serveUntilSignal(): Promise<void>; close(): Promise<void> }> {
  ensureDir(runDir);
  const web = await startDashboard({ runDir, host: DEFAULT_HOST, port, intervalMs: 1000 });
  process.stderr.write(`dashboard: ${web.url}\n`);
  return {
    // The run finished; closing the page afterwards does not make it a stopped run.
    serveUntilSignal: async () => {
      process.stderr.write(`training is over; the dashboard stays at ${web.url} (Ctrl-C to stop)\n`);
      await serveUntilSignal(web);
    },
    close: () => web.close(),
  };
}

export async function watchCommand(runDir: string, flags: WatchFlags): Promise<void> {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new Error(`watch: ${runDir} is not a directory`);
  const web = await startDashboard({ runDir, host: flags.host, port: flags.port, intervalMs: flags.interval });
  process.stdout.write(`deepq watch: ${runDir} at ${web.url} (Ctrl-C to stop)\n`);
  throw new Interrupted(await serveUntilSignal(web));
}

interface PlayFlags {
  env?: string;
  network?: NetworkSpec;
  human?: boolean;
  port: number;
  host: string;
  fps?: number;
  seed?: number;
}

export async function playCommand(target: string, flags: PlayFlags): Promise<void> {
  let web: WebServer;
  if (flags.human) {
    const id = checkEnvId(flags.env ?? target);
    web = await startPlay({ title: id, human: true, makeEnv: () => make(id), fps: flags.fps, seed: flags.seed, host: flags.host, port: flags.port });
  } else {
    // Checked before the server starts: a model that does not fit the env fails here, not in the page.
    const { agent, env: cfg } = loadModelForEnv(target, flags);
    const env = cfg.env;
    web = await startPlay({
      title: env,
      makeEnv: () => makeTrainEnv(cfg),
      fps: flags.fps,
      seed: flags.seed,
      host: flags.host,
      port: flags.port,
      policy: (o: Observation) => agent.act(o as Float32Array | Uint8Array, { epsilon: 0 }),
      onEpisode: (ret, len) => process.stderr.write(`episode: return ${ret.toFixed(1)} in ${len} steps\n`),
    });
  }
  process.stdout.write(`deepq play: ${flags.human ? "you drive" : target} at ${web.url} (Ctrl-C to stop)\n`);
  throw new Interrupted(await serveUntilSignal(web));
}

/** Adds `watch` and `play` to the program. */
export function addWebCommands(program: Command): void {
  program
    .command("watch")
    .description("local web page with the live training curves and config of a run directory")
    .argument("<runDir>", "run directory (training may still be running)")
    .option("--port <n>", "port (0: any free port)", port, 8080)
    .option("--host <addr>", "address to listen on (default: this machine only)", DEFAULT_HOST)
    .option("--interval <ms>", "how often the CSV files are checked", positive("--interval"), 1000)
    .action(watchCommand);

  program
    .command("play")
    .description("watch a saved model play in a local web page, or drive yourself with --human <env>")
    .argument("<target>", "model file (.safetensors), or an env id with --human")
    .option("--env <id>", "env id (default: the model's)")
    .option("--network <net>", `network of a plain safetensors file: ${NETWORK_FORMS}`, network)
    .option("--human", "drive with the arrow keys (target is an env id)")
    .option("--port <n>", "port (0: any free port)", port, 8081)
    .option("--host <addr>", "address to listen on (default: this machine only)", DEFAULT_HOST)
    .option("--fps <n>", "steps per second (default: the env's render fps)", positive("--fps"))
    .option("--seed <n>", "episode i uses seed + i (default: random)", int("--seed", 0))
    .action(playCommand);
}
