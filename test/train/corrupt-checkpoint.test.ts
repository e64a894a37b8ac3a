/**
 * A corpus of damaged and crafted checkpoints: every one is refused on --resume with one
 * short line naming the file and the field at fault, and the run directory is left
 * exactly as it was (a crafted `step: -5` used to restart from 0 and delete every log row).
 */

import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import "../../src/envs/index.js";
import { type SafeTensor, serializeSafeTensors } from "../../src/nn/safetensors.js";
import { readSafeTensorsFile } from "../../src/nn/safetensors-fs.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { train } from "../../src/train/trainer.js";
import { quick, tmp } from "./helpers.js";

/** Parsed metadata, edited freely by the cases. */
// Metadata is rewritten field by field at any depth; a typed shape would have to mirror every format.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

interface Case {
  name: string;
  /** Changes the copy of the run directory at `dir`. */
  damage(dir: string, id: string): void;
  error: RegExp;
}

const CKPT = "checkpoints/last.safetensors";

function rewrite(dir: string, file: string, key: string, edit: (meta: Json, tensors: Map<string, SafeTensor>) => void): void {
  const path = join(dir, file);
  const f = readSafeTensorsFile(path);
  const meta = JSON.parse(f.metadata[key]!) as Json;
  edit(meta, f.tensors);
  writeFileSync(path, serializeSafeTensors(f.tensors, { ...f.metadata, [key]: JSON.stringify(meta) }));
}

const meta = (edit: (m: Json) => void) => (dir: string) => rewrite(dir, CKPT, "deepq", (m) => edit(m));
const tensors = (edit: (t: Map<string, SafeTensor>) => void) => (dir: string) => rewrite(dir, CKPT, "deepq", (_m, t) => edit(t));
const replay = (edit: (m: Json, t: Map<string, SafeTensor>) => void) => (dir: string, id: string) =>
  rewrite(dir, `checkpoints/replay-${id}.safetensors`, "deepq-replay", edit);
const bytes = (file: (id: string) => string, edit: (b: Buffer) => Buffer | string) => (dir: string, id: string) => {
  const path = join(dir, file(id));
  writeFileSync(path, edit(readFileSync(path)));
};
const last = () => CKPT;
const replayFile = (id: string) => `checkpoints/replay-${id}.safetensors`;

const CASES: Case[] = [
  { name: "empty file", damage: bytes(last, () => Buffer.alloc(0)), error: /last\.safetensors: file is 0 bytes, shorter than the 8-byte header length/ },
  { name: "truncated header", damage: bytes(last, (b) => b.subarray(0, 100)), error: /last\.safetensors: header length \d+ exceeds the file size 100/ },
  {
    name: "truncated data",
    damage: bytes(last, (b) => b.subarray(0, b.length - 10)),
    error: /last\.safetensors: tensor ".*" ends at byte \d+ but the data section has \d+ bytes \(truncated file\)/,
  },
  {
    name: "header not JSON",
    damage: bytes(last, (b) => Buffer.concat([b.subarray(0, 8), Buffer.from("{not json".padEnd(b.readUInt32LE(0))), b.subarray(8 + b.readUInt32LE(0))])),
    error: /last\.safetensors: header is not valid UTF-8 JSON/,
  },
  {
    name: "no deepq metadata",
    damage: (dir) => writeFileSync(join(dir, CKPT), serializeSafeTensors(readSafeTensorsFile(join(dir, CKPT)).tensors)),
    error: /last\.safetensors: no "deepq" metadata; is this a deepq checkpoint file\?/,
  },
  {
    name: "metadata not JSON",
    damage: (dir) => {
      const f = readSafeTensorsFile(join(dir, CKPT));
      writeFileSync(join(dir, CKPT), serializeSafeTensors(f.tensors, { deepq: "{" }));
    },
    error: /last\.safetensors: the "deepq" metadata is not valid JSON/,
  },
  {
    name: "older format",
    damage: meta((m) => (m.format = "deepq-checkpoint/1")),
    error: /last\.safetensors: format is "deepq-checkpoint\/1", expected "deepq-checkpoint\/2"/,
  },
  { name: "bad id", damage: meta((m) => (m.id = "../x")), error: /last\.safetensors: id = "\.\.\/x" is invalid; expected <step>-<8 hex digits>/ },
  {
    name: "step -5",
    damage: meta((m) => (m.progress.step = -5)),
    error: /last\.safetensors: progress\.step = -5 is invalid; expected an integer in \[0, 1000\]/,
  },
  { name: "fractional step", damage: meta((m) => (m.progress.step = 2.5)), error: /progress\.step = 2\.5 is invalid/ },
  {
    name: "step beyond the run",
    damage: meta((m) => (m.progress.step = 10 ** 9)),
    error: /progress\.step = 1000000000 is invalid; expected an integer in \[0, 1000\]/,
  },
  {
    name: "episode counts disagree",
    damage: meta((m) => (m.progress.episodes += 1)),
    error: /progress\.envEpisodes = \[\d+\] is invalid; expected counts summing to progress\.episodes/,
  },
  {
    name: "envEpisodes of another numEnvs",
    damage: meta((m) => m.progress.envEpisodes.push(0)),
    error: /progress\.envEpisodes = \[\d+,0\] is invalid; expected an array of 1/,
  },
  {
    name: "in-flight action out of range",
    damage: meta((m) => m.progress.inFlightActions[0].push(7)),
    error: /progress\.inFlightActions\[0\]\[\d+\] = 7 is invalid; expected an integer in \[0, 1\]/,
  },
  {
    name: "negative eval std",
    damage: meta((m) => (m.progress.bestEval = { step: 500, mean: 9, std: -1 })),
    error: /progress\.bestEval\.std = -1 is invalid; expected a finite number ≥ 0/,
  },
  { name: "missing progress field", damage: meta((m) => delete m.progress.maxAbsReward), error: /progress\.maxAbsReward = undefined is invalid/ },
  {
    name: "spec without nActions",
    damage: meta((m) => delete m.agent.spec.nActions),
    error: /last\.safetensors: agent\.spec\.nActions = undefined is invalid; expected an integer in \[1, 65536\]/,
  },
  {
    name: "spec of another env",
    damage: meta((m) => (m.agent.spec.observationShape = [8])),
    error:
      /the checkpoint .*last\.safetensors expects float32 observations of shape \[8\] and 2 actions, but CartPole-v1 gives float32 observations of shape \[4\] and 2 actions/,
  },
  {
    name: "agent config differs from the run's",
    damage: meta((m) => (m.agent.config.network.dueling = true)),
    error: /agent\.config = .* is invalid; expected the agent config of train\.agent/,
  },
  {
    name: "inherited key in the config",
    damage: meta((m) => (m.train.agent.constructor = 1)),
    error: /last\.safetensors: train: DQN config: unknown key "constructor"/,
  },
  {
    name: "__proto__ in the config",
    damage: (dir) => rewrite(dir, CKPT, "deepq", (m) => Object.defineProperty(m.train.agent, "__proto__", { value: { dueling: true }, enumerable: true })),
    error: /train: DQN config: unknown key "__proto__"/,
  },
  {
    name: "bad train config value",
    damage: meta((m) => (m.train.totalSteps = 0)),
    error: /last\.safetensors: train: train config: totalSteps = 0 is invalid; expected a positive integer/,
  },
  {
    name: "zero RNG state",
    damage: meta((m) => (m.agent.rng = [0, 0, 0, 0])),
    error: /agent\.rng = \[0,0,0,0\] is invalid; expected a nonzero generator state/,
  },
  {
    name: "optimizer of another kind",
    damage: meta((m) => (m.agent.optimizer.kind = "sgd")),
    error: /agent\.optimizer\.kind = "sgd" is invalid; expected "adam"/,
  },
  {
    name: "replay file outside the directory",
    damage: meta((m) => (m.replay = { file: "../../elsewhere.safetensors" })),
    error: /replay\.file = "\.\.\/\.\.\/elsewhere\.safetensors" is invalid; expected "replay-\d+-[0-9a-f]{8}\.safetensors"/,
  },
  {
    name: "missing weight",
    damage: tensors((t) => t.delete("online.0.weight")),
    error: /last\.safetensors: tensors "online\.\*": loadStateDict into .*: missing keys: "0\.weight"/,
  },
  {
    name: "weight of the wrong shape",
    damage: tensors((t) => t.set("online.0.weight", { dtype: "F32", shape: [2, 2], data: new Float32Array(4) })),
    error: /last\.safetensors: tensors "online\.\*": loadStateDict: size mismatch for "0\.weight": expected \[32, 4\], got \[2, 2\]/,
  },
  {
    name: "NaN weight",
    damage: tensors((t) => ((t.get("online.2.weight")!.data as Float32Array)[3] = Number.NaN)),
    error: /last\.safetensors: weight "online\.2\.weight" holds NaN at index 3/,
  },
  {
    name: "replay metadata not JSON",
    damage: (dir, id) => {
      const p = join(dir, replayFile(id));
      const f = readSafeTensorsFile(p);
      writeFileSync(p, serializeSafeTensors(f.tensors, { "deepq-replay": "[" }));
    },
    error: /cannot resume exactly: .*replay-.*\.safetensors: the "deepq-replay" metadata is not valid JSON; pass --drop-replay/,
  },
  {
    name: "replay array larger than the buffer",
    damage: replay((m) => (m.arrays.obs.length = 10 ** 12)),
    error: /replay-.*\.safetensors: arrays\.obs\.length = 1000000000000 is invalid; expected arrays that fit this replay buffer's \d+ bytes/,
  },
  {
    name: "replay array of another type",
    damage: replay((m) => (m.arrays.obs.type = "BigInt64Array")),
    error: /arrays\.obs\.type = "BigInt64Array" is invalid/,
  },
  {
    name: "replay cursor out of range",
    damage: replay((m) => (m.header.pos = 10 ** 6)),
    error: /cannot resume exactly: .*replay-.*\.safetensors: ReplayBuffer\.load: pos must be an integer in \[0, \d+\], got 1000000/,
  },
  {
    name: "replay extent past its array",
    damage: replay((_m, t) => t.set("obs@99999999", { dtype: "F32", shape: [1], data: new Float32Array(1) })),
    error: /tensor "obs@99999999" offset = "99999999" is invalid; expected an offset within the \d+ elements of "obs"/,
  },
  {
    name: "truncated replay",
    damage: bytes(replayFile, (b) => b.subarray(0, b.length >> 1)),
    error: /cannot resume exactly: .*replay-.*\.safetensors: tensor ".*" ends at byte \d+ but the data section has \d+ bytes/,
  },
];

/** Every file under `dir` with its bytes, to check a refused resume changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(dir.length), readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return out;
}

test("a corpus of damaged and crafted checkpoints: each refused in one line naming the file and field; nothing in the run changes", async () => {
  const root = tmp("deepq-corrupt-");
  try {
    const base = join(root, "base");
    await train({ ...quick, totalSteps: 1000, checkpointEvery: 500, evalEvery: 500 }, { runDir: base });
    const { id } = readCheckpoint(join(base, CKPT)).meta;
    for (const c of CASES) {
      const dir = join(root, c.name.replace(/\W+/g, "-"));
      mkdirSync(dir);
      cpSync(base, dir, { recursive: true });
      c.damage(dir, id);
      const before = snapshot(dir);
      let message = "";
      try {
        await train({ env: "CartPole-v1" }, { runDir: dir, resume: true });
      } catch (e) {
        message = (e as Error).message;
      }
      assert.match(message, c.error, `${c.name}: ${message || "accepted"}`);
      assert.ok(!message.includes("\n") && message.length < 600, `${c.name}: not one short line: ${message.length} chars`);
      assert.deepEqual(snapshot(dir), before, `${c.name}: the refused resume changed the run directory`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
