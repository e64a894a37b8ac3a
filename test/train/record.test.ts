import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { make } from "../../src/envs/index.js";
import { findFfmpeg, recordVideo, videoFormat } from "../../src/train/record.js";

const haveFfmpeg = (() => {
  try {
    return findFfmpeg() !== "";
  } catch {
    return false;
  }
})();

test("video formats by extension", () => {
  assert.equal(videoFormat("a.GIF"), "gif");
  assert.equal(videoFormat("dir/a.mp4"), "mp4");
  assert.throws(() => videoFormat("a.webm"), /unknown video type "\.webm"; use \.gif or \.mp4/);
});

for (const ext of ["gif", "mp4"] as const) {
  test(`recordVideo writes a ${ext} of every episode with the returns`, { skip: ext === "mp4" && !haveFfmpeg ? "ffmpeg is not installed" : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "deepq-rec-"));
    try {
      const out = join(dir, `v.${ext}`);
      const r = await recordVideo(make("CartPole-v1"), () => 1, out, { episodes: 2, seed: 5, frameStride: 2 });
      assert.equal(r.returns.length, 2);
      assert.ok(r.returns.every((x) => x > 5 && x < 60), `${r.returns}`);
      assert.deepEqual([r.width, r.height], [600, 400]);
      const bytes = readFileSync(out);
      if (ext === "gif") assert.equal(bytes.subarray(0, 6).toString("latin1"), "GIF89a");
      else assert.equal(bytes.subarray(4, 8).toString("latin1"), "ftyp");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("without FFMPEG and without ffmpeg on PATH, MP4 uses the optional @ffmpeg-installer binary", () => {
  const saved = { PATH: process.env.PATH, FFMPEG: process.env.FFMPEG };
  try {
    process.env.PATH = "";
    delete process.env.FFMPEG;
    let found: string;
    try {
      found = findFfmpeg();
    } catch (e) {
      // Only when the optional package could not be installed on this platform.
      assert.match(String(e), /none on PATH and the optional package @ffmpeg-installer\/ffmpeg is not installed/);
      return;
    }
    assert.match(found, /@ffmpeg-installer/);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.FFMPEG === undefined) delete process.env.FFMPEG;
    else process.env.FFMPEG = saved.FFMPEG;
  }
});
