/**
 * The command line against hostile input: prototype keys in --set, a learning rate that
 * explodes, a replay buffer bigger than the machine, models that do not fit the env (eval,
 * record, play), NaN weights, crafted metadata and headers, and plain PyTorch-written files.
 */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { serializeSafeTensors } from "../../src/nn/safetensors.js";
import { readSafeTensorsFile } from "../../src/nn/safetensors-fs.js";
import { projectRoot } from "../helpers/fixtures.js";
import { runMain } from "./run.js";

const pretrained = join(projectRoot, "pretrained/CartPole-v1-dqn.safetensors");
const tmp = () => mkdtempSync(join(tmpdir(), "deepq-cli-rel-"));
/** A tiny CartPole run, so the cases that do train finish in a second. */
const small = [
  "--quiet",
  "--steps",
  "2000",
  "--set",
  "evalEvery=1000",
  "--set",
  "evalEpisodes=1",
  "--set",
  "network.hidden=[16]",
  "--set",
  "learningStarts=100",
  "--set",
  "trainFreq=4",
  "--set",
  "gradientSteps=1",
];

test("--set cannot reach a prototype: __proto__ and inherited names are unknown keys (exit 2)", async () => {
  const dir = tmp();
  try {
    const cases: [string, RegExp][] = [
      ["__proto__.dueling=true", /train config: unknown key "__proto__"/],
      ["constructor=1", /train config: unknown key "constructor"/],
      ["agent.constructor.x=1", /DQN config: unknown key "constructor"/],
      ["agent.toString=1", /DQN config: unknown key "toString"/],
      ["network.__proto__.dueling=true", /DQN config: network = .* is invalid; .*\(unknown field "__proto__"\)/],
      ["exploration.__proto__.kind=1", /DQN config: exploration = .* is invalid; .*\(unknown field "__proto__"\)/],
    ];
    for (const [set, re] of cases) {
      const r = await runMain("train", "CartPole-v1", "--run-dir", join(dir, "run"), "--set", set);
      assert.equal(r.code, 2, `${set}: ${r.err}`);
      assert.match(r.err, re, set);
    }
    assert.equal(({} as Record<string, unknown>).dueling, undefined, "Object.prototype untouched");
    assert.ok(!existsSync(join(dir, "run")), "nothing was written");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lr=1e6 stops with a divergence message and exit 1; a huge bufferSize or network is refused before allocating", async () => {
  const dir = tmp();
  try {
    const r = await runMain("train", "CartPole-v1", "--run-dir", join(dir, "lr"), ...small, "--set", "lr=1e6");
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /deepq: training diverged: at step \d+ the TD error .* exceeds the divergence threshold 1\.00e\+4 = divergenceFactor 100 × max\|r\| 1 × horizon 100; no checkpoint was written yet/,
    );
    const b = await runMain("train", "CartPole-v1", "--run-dir", join(dir, "buf"), ...small, "--set", "bufferSize=2e9");
    assert.equal(b.code, 1, b.err);
    assert.match(b.err, /deepq: bufferSize 2000000000 (needs 78\.2 GiB|: the replay buffer cannot be allocated)/);
    const net = await runMain("train", "CartPole-v1", "--run-dir", join(dir, "net"), ...small, "--set", "network.hidden=[1000000000]");
    assert.equal(net.code, 1, net.err);
    assert.match(net.err, /deepq: network \{"kind":"mlp","hidden":\[1000000000\]\}: the network cannot be allocated \(.*\); use smaller layers/);
    assert.ok(!existsSync(join(dir, "net")), "a refused start writes nothing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("eval, record and play refuse a model that does not fit the env, before anything runs", async () => {
  const dir = tmp();
  try {
    const fit =
      /pretrained\/CartPole-v1-dqn\.safetensors \(trained on CartPole-v1\) expects float32 observations of shape \[4\] and 2 actions, but LunarLander-v3 gives float32 observations of shape \[8\] and 4 actions/;
    const e = await runMain("eval", pretrained, "--env", "LunarLander-v3", "--episodes", "1");
    assert.equal(e.code, 1, e.err);
    assert.match(e.err, fit);
    assert.equal(e.out, "", "no score is reported");
    const gif = join(dir, "x.gif");
    const r = await runMain("record", pretrained, "--env", "LunarLander-v3", "--out", gif);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, fit);
    assert.ok(!existsSync(gif));
    const p = await runMain("play", pretrained, "--env", "LunarLander-v3", "--port", "0");
    assert.equal(p.code, 1, p.err);
    assert.match(p.err, fit);
    assert.doesNotMatch(p.out, /deepq play:/, "the server never started");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("NaN weights, crafted metadata and oversized headers are refused in one short line", async () => {
  const dir = tmp();
  try {
    const f = readSafeTensorsFile(pretrained);
    const nan = join(dir, "nan.safetensors");
    const w = (f.tensors.get("2.weight")!.data as Float32Array).slice();
    w[7] = Number.NaN;
    writeFileSync(nan, serializeSafeTensors(new Map([...f.tensors, ["2.weight", { ...f.tensors.get("2.weight")!, data: w }]]), f.metadata));
    const crafted = join(dir, "crafted.safetensors");
    const meta = JSON.parse(f.metadata.deepq!) as { spec: Record<string, unknown> };
    delete meta.spec.nActions;
    writeFileSync(crafted, serializeSafeTensors(f.tensors, { deepq: JSON.stringify(meta) }));
    const huge = join(dir, "huge.safetensors");
    const header = Buffer.alloc(8 + 17 * 2 ** 20, 0x20);
    header.writeBigUInt64LE(BigInt(17 * 2 ** 20));
    writeFileSync(huge, header);
    const cases: [string, RegExp][] = [
      [nan, /nan\.safetensors: weight "2\.weight" holds NaN at index 7; the model is unusable/],
      [crafted, /crafted\.safetensors: spec\.nActions = undefined is invalid; expected an integer in \[1, 65536\]/],
      [huge, /huge\.safetensors: header of 17825792 bytes exceeds the 16777216-byte limit/],
    ];
    for (const [path, re] of cases) {
      const r = await runMain("eval", path, "--episodes", "1");
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, re);
      assert.ok(r.err.length < 300 && r.err.trim().split("\n").length === 1, r.err);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a plain safetensors file (as PyTorch writes it) runs with --env and --network", async () => {
  const dir = tmp();
  try {
    const plain = join(dir, "torch.safetensors");
    writeFileSync(plain, serializeSafeTensors(readSafeTensorsFile(pretrained).tensors));
    const bare = await runMain("eval", plain);
    assert.equal(bare.code, 2);
    assert.match(
      bare.err,
      /torch\.safetensors has no deepq metadata \(a plain safetensors file, e\.g\. saved from PyTorch\): pass --env <id> and --network <net>/,
    );
    const ok = await runMain("eval", plain, "--env", "CartPole-v1", "--network", "mlp:256,256", "--episodes", "2", "--json");
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(JSON.parse(ok.out), { env: "CartPole-v1", episodes: 2, seed: 1_000_000, mean: 500, std: 0, returns: [500, 500], lengths: [500, 500] });
    const wrong = await runMain("eval", plain, "--env", "CartPole-v1", "--network", "dueling-mlp:256,256");
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.err,
      /torch\.safetensors: weights do not fit the network \{"kind":"mlp","hidden":\[256,256\],"dueling":true\}: loadStateDict into .*missing keys/,
    );
    const cnn = await runMain("eval", plain, "--env", "CartPole-v1", "--network", "nature-cnn");
    assert.equal(cnn.code, 1);
    assert.match(
      cnn.err,
      /cannot build the network \{"kind":"nature-cnn","dueling":false\}: network "nature-cnn" needs \[channels, height, width\] observations, got \[4\]/,
    );
    const own = await runMain("eval", pretrained, "--network", "mlp:256,256");
    assert.equal(own.code, 2);
    assert.match(own.err, /--network is for plain safetensors files; .* describes its own network/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
