/**
 * The thread behind `AsyncVectorEnv`: builds the env copies from the recipe, reports their
 * spaces, then serves requests on shared memory until told to close (see async-vector.ts
 * for the protocol). It blocks in Atomics.wait between requests, so an idle worker costs
 * no CPU.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { Env, Observation } from "../envs/core.js";
import { Discrete } from "../envs/spaces.js";
import { Command, Ctrl, type EnvRecipe, type SharedVectorBuffers, type WorkerReady } from "./async-vector.js";
import { type BoxArray, observationBox } from "./util.js";
import { VectorEnv } from "./vector.js";

interface Start {
  numEnvs: number;
  recipe: EnvRecipe;
  port: MessagePort;
}

const { numEnvs, recipe, port } = workerData as Start;

function view(buf: SharedArrayBuffer, like: BoxArray): BoxArray {
  return like instanceof Uint8Array ? new Uint8Array(buf) : like instanceof Float32Array ? new Float32Array(buf) : new Float64Array(buf);
}

async function build(): Promise<VectorEnv> {
  const mod = (await import(recipe.module)) as Record<string, unknown>;
  const factory = mod[recipe.exportName];
  if (typeof factory !== "function") throw new Error(`AsyncVectorEnv: ${recipe.module} exports no function ${JSON.stringify(recipe.exportName)}`);
  return new VectorEnv(numEnvs, (i) => (factory as (args: unknown, index: number) => Env<Observation, number>)(recipe.args, i), {
    autoresetSeed: (i) => (Number.isNaN(seeds[i]!) ? undefined : seeds[i]),
  });
}

let seeds: Float64Array<ArrayBufferLike> = new Float64Array(numEnvs);

function serve(venv: VectorEnv, shared: SharedVectorBuffers): void {
  const ctrl = new Int32Array(shared.ctrl);
  const single = venv.singleObservationSpace;
  const size = single.size;
  const obs = view(shared.obs, single.low);
  const finalObs = view(shared.finalObs, single.low);
  const rewards = new Float64Array(shared.rewards);
  const flags = new Uint8Array(shared.flags);
  const actions = new Int32Array(shared.actions);
  const stats = new Float64Array(shared.stats);
  let replayActions = new Int32Array(shared.replayActions);
  seeds = new Float64Array(shared.seeds);
  const n = numEnvs;
  let served = 0;
  for (;;) {
    Atomics.wait(ctrl, Ctrl.Request, served);
    served = Atomics.load(ctrl, Ctrl.Request);
    const command = ctrl[Ctrl.Command] as Command;
    if (command === Command.Close) break;
    try {
      if (command === Command.Reset) {
        const r = venv.reset({ seeds: Array.from(seeds) });
        obs.set(r.obs);
      } else if (command === Command.Step) {
        const r = venv.step(actions);
        obs.set(r.obs);
        rewards.set(r.rewards);
        flags.set(r.terminated, 0);
        flags.set(r.truncated, n);
        for (let i = 0; i < n; i++) {
          const final = r.infos.finalObs[i];
          flags[2 * n + i] = final ? 1 : 0;
          if (!final) continue;
          finalObs.set(final, i * size);
          const ep = r.infos.finalInfo[i]?.["episode"] as { r?: number; l?: number; t?: number } | undefined;
          stats[i] = ep?.r ?? Number.NaN;
          stats[n + i] = ep?.l ?? Number.NaN;
          stats[2 * n + i] = ep?.t ?? Number.NaN;
        }
      } else if (command === Command.ReplayActions) {
        const grown = receiveMessageOnPort(port)?.message as { replayActions?: SharedArrayBuffer } | undefined;
        if (grown?.replayActions) replayActions = new Int32Array(grown.replayActions);
        const env = ctrl[Ctrl.Env]!;
        obs.set(venv.replay(env, replayActions.subarray(0, ctrl[Ctrl.Count]!)), env * size);
      }
      ctrl[Ctrl.Failed] = 0;
    } catch (e) {
      ctrl[Ctrl.Failed] = 1;
      port.postMessage({ error: (e as Error).message ?? String(e) });
    }
    Atomics.store(ctrl, Ctrl.Done, served);
    Atomics.notify(ctrl, Ctrl.Done);
  }
  venv.close();
  port.close();
}

try {
  const venv = await build();
  const single = observationBox(venv.envs[0]!, "AsyncVectorEnv");
  const a = venv.singleActionSpace;
  const ready: WorkerReady = {
    shape: [...single.shape],
    dtype: single.dtype,
    low: Array.from(single.low),
    high: Array.from(single.high),
    nActions: a instanceof Discrete ? a.n : null,
  };
  port.once("message", (m: { shared: SharedVectorBuffers }) => serve(venv, m.shared));
  port.postMessage({ ready });
} catch (e) {
  port.postMessage({ error: `AsyncVectorEnv: building the envs failed: ${(e as Error).message ?? String(e)}` });
}
