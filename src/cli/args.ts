/** Argument parsers and checks shared by the commands. */
import { InvalidArgumentError } from "commander";
import { registeredIds, registration } from "../envs/registry.js";

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
  if (registration(id) === undefined) throw new Error(`unknown env "${id}"; available: ${registeredIds().join(", ")}`);
  return id;
}

