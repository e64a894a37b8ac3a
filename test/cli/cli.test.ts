import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../helpers/fixtures.js";
import { runMain } from "./run.js";

function deepq(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "src/cli/bin.ts"), ...args], {
    encoding: "utf8",
    cwd: projectRoot,
    env: { ...process.env, FFMPEG: join(tmpdir(), "deepq-no-ffmpeg") },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("list shows envs and presets", () => {
  const r = deepq("list");
  assert.equal(r.code, 0, r.err);
  for (const s of ["CartPole-v1", "seed-cartpole", "seed-lunarlander-ddqn", "seed-carracing"]) assert.match(r.out, new RegExp(s));
});

test("--help works on every command", () => {
  for (const cmd of [[], ["train"], ["eval"], ["record"], ["list"]]) {
    const r = deepq(...cmd, "--help");
    assert.equal(r.code, 0, `${cmd.join(" ")} --help: ${r.err}`);
    assert.match(r.out, /Usage: deepq/);
  }
});

test("bad flags and values get a one-line error naming them; usage errors exit 2, other errors 1", async () => {
  const never = join(tmpdir(), "deepq-never");
  const cases: [string[], number, RegExp][] = [
    [["train", "Nope-v0"], 2, /unknown env "Nope-v0"; available: .*CartPole-v1/],
    [["train", "CartPole-v1", "--steps", "abc"], 2, /--steps must be an integer ≥ 1, got "abc"/],
    [["train", "CartPole-v1", "--set", "lr=-1", "--run-dir", never], 2, /lr = -1 is invalid/],
    [["train", "CartPole-v1", "--set", "bogusKey=1", "--run-dir", never], 2, /unknown key "bogusKey"/],
    [["train", "CartPole-v1", "--set", "lr"], 2, /--set lr: expected key=value/],
    [["train", "CartPole-v1", "--preset", "nope"], 2, /--preset nope: no such preset; available: .*seed-cartpole/],
    [["train", "CartPole-v1", "--preset", "seed-lunarlander-dqn"], 2, /is for LunarLander-v3, not CartPole-v1/],
    [["train", "CartPole-v1", "--drop-replay"], 2, /--drop-replay goes with --resume/],
    [["train", "--resume", never, "--set", "lr=1"], 2, /--resume continues a run with its saved config/],
    [["train", "--resume", join(tmpdir(), "deepq-no-such-run")], 1, /no checkpoint at/],
    [["eval", join(tmpdir(), "deepq-missing.safetensors")], 1, /cannot read .*deepq-missing\.safetensors: no such file or directory \(ENOENT\)/],
    [["eval", join(projectRoot, "package.json")], 1, /package\.json/],
    [["eval", "x.safetensors", "--network", "mlp"], 2, /--network mlp: mlp needs hidden sizes, e\.g\. mlp:256,256/],
    [["eval", "x.safetensors", "--network", "resnet"], 2, /--network resnet: expected mlp:<sizes>/],
    [["record", "x.safetensors", "--out", "x.avi"], 2, /unknown video type "\.avi"; use \.gif or \.mp4/],
    [["frobnicate"], 2, /unknown command 'frobnicate'/],
    [
      ["record", join(projectRoot, "pretrained/CartPole-v1-dqn.safetensors"), "--out", join(tmpdir(), "deepq-x.mp4"), "--max-steps", "3"],
      1,
      /MP4 needs ffmpeg, and FFMPEG=".*deepq-no-ffmpeg" did not run/,
    ],
    [["train", "CartPole-v1", "--bogus"], 2, /unknown option '--bogus'/],
    [["play", "x.safetensors", "--port", "99999"], 2, /--port must be an integer in 0…65535, got "99999"/],
  ];
  const ffmpeg = process.env.FFMPEG;
  process.env.FFMPEG = join(tmpdir(), "deepq-no-ffmpeg");
  try {
    for (const [args, code, re] of cases) {
      const r = await runMain(...args);
      assert.equal(r.code, code, `${args.join(" ")}: exit ${r.code}, ${r.err}`);
      assert.match(r.err, re, `${args.join(" ")}: ${r.err}`);
      assert.equal(
        r.err
          .trim()
          .split("\n")
          .filter((l) => !l.startsWith("(run with --help")).length,
        1,
        `${args.join(" ")}: one line: ${r.err}`,
      );
    }
  } finally {
    if (ffmpeg === undefined) delete process.env.FFMPEG;
    else process.env.FFMPEG = ffmpeg;
  }
});

test("the committed pretrained CartPole agent balances for the full 500 steps", () => {
  const r = deepq("eval", join(projectRoot, "pretrained/CartPole-v1-dqn.safetensors"), "--episodes", "5", "--json");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), {
    env: "CartPole-v1",
    episodes: 5,
    seed: 1_000_000,
    mean: 500,
    std: 0,
    returns: [500, 500, 500, 500, 500],
    lengths: [500, 500, 500, 500, 500],
  });
});

test("the committed pretrained CarRacing agent drives from pixels", () => {
  // The first 3 selection seeds (1,000,000+). Greedy and seeded, so deterministic.
  const r = deepq("eval", join(projectRoot, "pretrained/CarRacing-v3-dqn.safetensors"), "--episodes", "3", "--json");
  assert.equal(r.code, 0, r.err);
  const line = JSON.parse(r.out) as { env: string; mean: number };
  assert.equal(line.env, "CarRacing-v3");
  assert.ok(line.mean > 700, `mean return ${line.mean}`);
});

test("train, then eval --json and record a GIF from the model file alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-cli-"));
  try {
    const run = join(dir, "run");
    const t = deepq(
      "train",
      "CartPole-v1",
      "--steps",
      "1500",
      "--seed",
      "3",
      "--run-dir",
      run,
      "--quiet",
      "--set",
      "evalEvery=500",
      "--set",
      "evalEpisodes=2",
      "--set",
      "network.hidden=[16,16]",
      "--set",
      "learningStarts=100",
    );
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /step 1500: eval/);
    const cfg = JSON.parse(readFileSync(join(run, "config.json"), "utf8")) as { agent: { seed: number; network: { hidden: number[] } } };
    assert.equal(cfg.agent.seed, 3);
    assert.deepEqual(cfg.agent.network.hidden, [16, 16]);
    const e = deepq("eval", join(run, "best.safetensors"), "--episodes", "3", "--json");
    assert.equal(e.code, 0, e.err);
    const line = JSON.parse(e.out.trim()) as { env: string; episodes: number; mean: number; std: number };
    assert.equal(line.env, "CartPole-v1");
    assert.equal(line.episodes, 3);
    assert.ok(line.mean >= 1 && line.mean <= 500 && line.std >= 0);
    const gif = join(dir, "cp.gif");
    const r = deepq("record", join(run, "best.safetensors"), "--out", gif, "--max-steps", "20");
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(gif));
    assert.equal(readFileSync(gif).subarray(0, 6).toString("latin1"), "GIF89a");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
