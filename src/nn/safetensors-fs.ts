/**
 * Node file helpers for safetensors: load a file, save atomically (write a temp file in
 * the same directory, then rename over the target, so a crash never leaves a
 * half-written checkpoint), and save/load a module's state dict.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LoadOptions, Module } from "./module.js";
import { parseSafeTensors, serializeSafeTensors, type SafeTensorsFile, type TensorInput } from "./safetensors.js";

export function readSafeTensorsFile(path: string): SafeTensorsFile {
  return parseSafeTensors(new Uint8Array(readFileSync(path)), path);
}

/** Writes `bytes` to `path` via a temporary sibling file and a rename. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeSafeTensorsFile(
  path: string, tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafeTensors(tensors, metadata));
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
