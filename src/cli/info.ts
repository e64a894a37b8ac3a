/** `deepq info`: which compute kernels run here and why — backend, threads, CPU features, the native build. */
import type { Command } from "commander";
import { kernelBackendInfo, nativeInfo } from "../nn/kernels/index.js";

/** The lines `deepq info` prints. */
export function infoLines(): string[] {
  const k = kernelBackendInfo();
  const native = nativeInfo();
  const env = (name: string) => (process.env[name] ? `${name}=${process.env[name]}` : null);
  const overrides = ["DEEPQ_KERNELS", "DEEPQ_THREADS", "DEEPQ_CPU"].map(env).filter((v) => v !== null);
  return [
    `kernels:      ${k.backend}`,
    `threads:      ${k.threads}`,
    `cpu features: ${k.cpuFeatures.length > 0 ? k.cpuFeatures.join(" ") : "unknown (reported by the native library)"}`,
    `native build: ${native.available ? `${native.file} (CPU paths: ${native.cpuPaths.join(", ")}; ${native.cpus} CPUs)` : `none — ${native.error}`}`,
    ...(k.nativeError && native.available ? [`native:       ${k.nativeError}`] : []),
    `node:         ${process.version} (${process.platform}-${process.arch})`,
    ...(overrides.length > 0 ? [`overrides:    ${overrides.join(" ")}`] : []),
  ];
}

/** A one-line summary for the start of training: "kernels native-avx512, 2 threads". */
export function kernelsSummary(): string {
  const k = kernelBackendInfo();
  return `kernels ${k.backend}, ${k.threads} thread${k.threads === 1 ? "" : "s"}`;
}

export function addInfoCommand(program: Command): void {
  program
    .command("info")
    .description("show the compute kernels in use (native, WebAssembly or TypeScript), threads, CPU features, Node version")
    .action(() => {
      process.stdout.write(`${infoLines().join("\n")}\n`);
    });
}
