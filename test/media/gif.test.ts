import assert from "node:assert/strict";
import { test } from "node:test";
import { captionFrame, GifWriter, gifFps } from "../../src/media/index.js";

/** Walks the GIF block structure and returns the number of image frames and their delays (1/100 s). */
function parseGif(b: Uint8Array): { width: number; height: number; frames: number; delays: number[] } {
  assert.equal(new TextDecoder().decode(b.subarray(0, 6)), "GIF89a");
  const width = b[6]! | (b[7]! << 8);
  const height = b[8]! | (b[9]! << 8);
  let p = 13;
  if (b[10]! & 0x80) p += 3 * (1 << ((b[10]! & 7) + 1));
  let frames = 0;
  const delays: number[] = [];
  const skipSubBlocks = () => {
    while (b[p]! !== 0) p += b[p]! + 1;
    p++;
  };
  for (;;) {
    const tag = b[p++]!;
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      const label = b[p++]!;
      if (label === 0xf9) delays.push(b[p + 2]! | (b[p + 3]! << 8));
      skipSubBlocks();
    } else if (tag === 0x2c) {
      const flags = b[p + 8]!;
      p += 9;
      if (flags & 0x80) p += 3 * (1 << ((flags & 7) + 1));
      p++; // LZW minimum code size
      skipSubBlocks();
      frames++;
    } else throw new Error(`bad GIF block 0x${tag.toString(16)} at ${p - 1}`);
  }
  return { width, height, frames, delays };
}

test("GifWriter writes a well-formed animated GIF with the frame rate as delays", () => {
  const w = 40,
    h = 30;
  const g = new GifWriter({ width: w, height: h, fps: 25 });
  for (let f = 0; f < 5; f++) {
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb.set([(i * 7 + f * 40) & 255, (i * 3) & 255, f * 50], i * 3);
    g.addFrame(rgb);
  }
  const info = parseGif(g.finish());
  assert.deepEqual(info, { width: w, height: h, frames: 5, delays: [4, 4, 4, 4, 4] });
});

test("GifWriter rejects wrong frame sizes and rates, naming them", () => {
  assert.throws(() => new GifWriter({ width: 10, height: 10, fps: 60 }), /fps must be in \(0, 50\], got 60/);
  const g = new GifWriter({ width: 10, height: 10, fps: 10 });
  assert.throws(() => g.addFrame(new Uint8Array(5)), /5 bytes, 10×10 RGB needs 300/);
  assert.throws(() => g.finish(), /no frames/);
});

test("gifFps keeps rates a GIF can play and caps faster ones at 50", () => {
  assert.equal(gifFps(12.5), 12.5);
  assert.equal(gifFps(50), 50);
  assert.equal(gifFps(60), 50);
  const g = new GifWriter({ width: 2, height: 2, fps: gifFps(60) });
  g.addFrame(new Uint8Array(12));
  assert.deepEqual(parseGif(g.finish()).delays, [2]);
});

test("captionFrame draws light text on a darkened box", () => {
  const w = 100,
    h = 40;
  const rgb = new Uint8Array(w * h * 3).fill(128);
  captionFrame(rgb, w, h, "R 812", 2);
  let white = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] === 255 && rgb[i + 1] === 255) white++;
  assert.ok(white > 20, `white pixels ${white}`);
  assert.ok(rgb[(30 * w + 90) * 3] === 128, "pixels outside the caption untouched");
});
