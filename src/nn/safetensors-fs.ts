/**
 * Node file helpers for safetensors: load a file, save a tensor map or a module's state
 * dict atomically (through `writeFileAtomic`), with errors that name the file.
 */
import { readFileSync } from "node:fs";
import { fsError, writeFileAtomic } from "../util/atomic-file.js";
import type { LoadOptions, Module } from "./module.js";
import { parseSafeTensors, type SafeTensorsFile, safeTensorsParts, type TensorInput } from "./safetensors.js";

/** Reads and parses `path`; a missing or unreadable file is an error naming it. */
export function readSafeTensorsFile(path: string): SafeTensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw fsError("read", path, e);
  }
  return parseSafeTensors(bytes, path);
}

export function writeSafeTensorsFile(path: string, tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata?: Record<string, string>): void {
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
