/** Argument parsers and checks shared by the commands. */
import { InvalidArgumentError } from "commander";
import { type NetworkSpec, resolveDQNConfig } from "../agents/config.js";
import { registeredIds, registration } from "../envs/registry.js";
import { brief, cut } from "../util/text.js";

/** A wrong command line (unknown env, bad --set, conflicting flags): exit code 2, as for Commander's own usage errors. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command stopped by SIGINT or SIGTERM once it has cleaned up: the process exits 128 + the signal's number. */
export class Interrupted extends Error {
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super(`stopped by ${signal}`);
    this.name = "Interrupted";
  }

  get exitCode(): number {
    return this.signal === "SIGINT" ? 130 : 143;
  }
}

export function int(name: string, min: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!/^-?\d+(e\d+)?$/i.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    }
    return v;
  };
}

/** A TCP port, 0 meaning any free one. */
export function port(raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || v > 65535) throw new InvalidArgumentError(`--port must be an integer in 0…65535, got "${raw}"`);
  return v;
}

export const collect = (v: string, prev: string[]) => [...prev, v];

export function checkEnvId(id: string): string {
  if (registration(id) === undefined) throw new UsageError(`unknown env ${brief(id, 60)}; available: ${registeredIds().join(", ")}`);
  return id;
}

export const NETWORK_FORMS =
  "mlp:<sizes> (e.g. mlp:256,256), dueling-mlp:<sizes>, nature-cnn, dueling-nature-cnn, small-cnn, dueling-small-cnn, or a JSON object";

/** `--network`: a short description (`mlp:256,256`, `dueling-small-cnn`) or a JSON `NetworkSpec`. */
export function network(raw: string): NetworkSpec {
  const m = /^(dueling-)?(mlp|nature-cnn|small-cnn)(?::(\d+(?:,\d+)*))?$/.exec(raw.trim());
  let spec: unknown;
  if (m !== null) {
    const [, dueling, kind, sizes] = m;
    if ((kind === "mlp") !== (sizes !== undefined))
      throw new InvalidArgumentError(`--network ${cut(raw, 60)}: ${kind === "mlp" ? "mlp needs hidden sizes, e.g. mlp:256,256" : `${kind} takes no sizes`}`);
    spec = kind === "mlp" ? { kind, hidden: sizes!.split(",").map(Number), dueling: !!dueling } : { kind, dueling: !!dueling };
  } else {
    try {
      spec = JSON.parse(raw) as unknown;
    } catch {
      throw new InvalidArgumentError(`--network ${cut(raw, 60)}: expected ${NETWORK_FORMS}`);
    }
  }
  try {
    return resolveDQNConfig({ network: spec as NetworkSpec }).network;
  } catch (e) {
    throw new InvalidArgumentError(`--network ${cut(raw, 60)}: ${(e as Error).message}`);
  }
}
