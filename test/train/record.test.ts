/** recordVideo: every episode of the policy in one GIF or MP4 with the returns. */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { make } from "../../src/envs/index.js";
import { findFfmpeg } from "../../src/media/video.js";
import { evaluate } from "../../src/train/evaluate.js";
import { recordVideo } from "../../src/train/record.js";
import { NoopReset } from "../../src/wrappers/noop-reset.js";
import { RecordEpisodeStatistics } from "../../src/wrappers/record-episode-statistics.js";

const haveFfmpeg = (() => {
  try {
    return findFfmpeg() !== "";
  } catch {
    return false;
  }
})();

for (const ext of ["gif", "mp4"] as const) {
  test(`recordVideo writes a ${ext} of every episode with the returns`, {
    skip: ext === "mp4" && !haveFfmpeg ? "ffmpeg is not installed" : false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "deepq-rec-"));
    try {
      const out = join(dir, `v.${ext}`);
      const r = await recordVideo(make("CartPole-v1"), () => 1, out, { episodes: 2, seed: 5, frameStride: 2 });
      assert.equal(r.returns.length, 2);
      assert.ok(
        r.returns.every((x) => x > 5 && x < 60),
        `${r.returns}`,
      );
      assert.deepEqual([r.width, r.height], [600, 400]);
      const bytes = readFileSync(out);
      if (ext === "gif") assert.equal(bytes.subarray(0, 6).toString("latin1"), "GIF89a");
      else assert.equal(bytes.subarray(4, 8).toString("latin1"), "ftyp");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("recordVideo reports the episode's own return, rewards of reset no-ops included, as evaluate does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "deepq-rec-"));
  try {
    // CartPole pays 1 a step, so the 3 no-ops inside each reset are worth 3 of the return.
    const env = new NoopReset(new RecordEpisodeStatistics(make("CartPole-v1")), { noops: 3 });
    const policy = () => 1;
    const r = await recordVideo(env, policy, join(dir, "v.gif"), { episodes: 2, seed: 5, frameStride: 5 });
    const ev = evaluate(env, policy, { episodes: 2, seed: 5 });
    assert.deepEqual(r.returns, ev.returns);
    const plain = await recordVideo(make("CartPole-v1"), policy, join(dir, "w.gif"), { episodes: 1, seed: 5 });
    assert.ok(plain.returns[0]! > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
