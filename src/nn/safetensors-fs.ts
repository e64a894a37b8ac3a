/**
 * Node file helpers for safetensors: load a file, save atomically (write a temp file in
 * the same directory, then rename over the target, so a crash never leaves a
 * half-written checkpoint), and save/load a module's state dict.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LoadOptions, Module } from "./module.js";
import { parseSafeTensors, safeTensorsParts, type SafeTensorsFile, type TensorInput } from "./safetensors.js";

/** Reads and parses `path`; a missing or unreadable file is an error naming it. */
export function readSafeTensorsFile(path: string): SafeTensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSafeTensors(bytes, path);
}

/**
 * Writes `data` (bytes, text, or byte parts written one after another, so a large
 * file is never assembled in memory) to `path` via a temporary sibling file, fsync and
 * a rename: a crash leaves the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const parts = typeof data === "string" ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  try {
    const fd = openSync(tmp, "w");
    try {
      for (const bytes of parts) {
        let off = 0;
        while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeSafeTensorsFile(
  path: string, tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, safeTensorsParts(tensors, metadata));
}

/** Saves a module's state dict (PyTorch names) with optional string metadata. */
export function saveModule(path: string, module: Module, metadata?: Record<string, string>): void {
  writeSafeTensorsFile(path, module.stateDict(), metadata);
}

/** Loads a state dict saved by `saveModule` or `torch`/`safetensors.torch.save_file`; returns the file's metadata. */
export function loadModule(path: string, module: Module, opts?: LoadOptions): Record<string, string> {
  const f = readSafeTensorsFile(path);
  module.loadStateDict(f.tensors, opts);
  return f.metadata;
}
