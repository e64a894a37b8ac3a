/** Video files: the format by extension and where ffmpeg comes from. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { findFfmpeg, videoFormat } from "../../src/media/video.js";

test("video formats by extension", () => {
  assert.equal(videoFormat("a.GIF"), "gif");
  assert.equal(videoFormat("dir/a.mp4"), "mp4");
  assert.throws(() => videoFormat("a.webm"), /^Error: a\.webm: unknown video type "\.webm"; use \.gif or \.mp4$/);
});

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
