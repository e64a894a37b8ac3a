import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../helpers/fixtures.js";

function deepq(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "src/cli/bin.ts"), ...args], {
    encoding: "utf8", cwd: projectRoot, env: { ...process.env, FFMPEG: join(tmpdir(), "deepq-no-ffmpeg") },
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

test("bad flags and values get a one-line error naming them", () => {
  const cases: [string[], RegExp][] = [
    [["train", "Nope-v0"], /unknown env "Nope-v0"; available: .*CartPole-v1/],
    [["train", "CartPole-v1", "--steps", "abc"], /--steps must be an integer ≥ 1, got "abc"/],
    [["train", "CartPole-v1", "--set", "lr=-1", "--run-dir", join(tmpdir(), "deepq-never")], /lr = -1 is invalid/],
    [["train", "CartPole-v1", "--set", "bogusKey=1", "--run-dir", join(tmpdir(), "deepq-never")], /unknown key "bogusKey"/],
    [["train", "CartPole-v1", "--set", "lr"], /--set lr: expected key=value/],
    [["train", "CartPole-v1", "--preset", "nope"], /--preset nope: no such preset; available: .*seed-cartpole/],
    [["train", "CartPole-v1", "--preset", "seed-lunarlander-dqn"], /is for LunarLander-v3, not CartPole-v1/],
    [["train", "--resume", join(tmpdir(), "deepq-no-such-run")], /no checkpoint at/],
    [["eval", join(tmpdir(), "deepq-missing.safetensors")], /cannot read .*deepq-missing\.safetensors/],
    [["eval", join(projectRoot, "package.json")], /package\.json/],
    [["record", "x.safetensors", "--out", "x.avi"], /unknown video type "\.avi"; use \.gif or \.mp4/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["record", join(projectRoot, "pretrained/CartPole-v1-dqn.safetensors"), "--out", join(tmpdir(), "deepq-x.mp4"), "--max-steps", "3"], /MP4 needs ffmpeg, and FFMPEG=".*deepq-no-ffmpeg" did not run/],
    [["train", "CartPole-v1", "--bogus"], /unknown option '--bogus'/],
  ];
  for (const [args, re] of cases) {
    const r = deepq(...args);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.err, re, `${args.join(" ")}: ${r.err}`);
  }
});

test("the committed pretrained CartPole agent balances for the full 500 steps", () => {
  const r = deepq("eval", join(projectRoot, "pretrained/CartPole-v1-dqn.safetensors"), "--episodes", "5", "--json");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), { env: "CartPole-v1", episodes: 5, mean: 500, std: 0 });
});

test("the committed pretrained CarRacing agent drives from pixels", () => {
  // The first 3 fixed eval seeds; 828 ± 73 over 20 (README). Greedy and seeded, so deterministic.
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
    const t = deepq("train", "CartPole-v1", "--steps", "1500", "--seed", "3", "--run-dir", run, "--quiet",
      "--set", "evalEvery=500", "--set", "evalEpisodes=2", "--set", "network.hidden=[16,16]", "--set", "learningStarts=100");
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
