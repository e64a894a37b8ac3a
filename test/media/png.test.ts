import assert from "node:assert/strict";
import { test } from "node:test";
import { decode } from "fast-png";
import { make } from "../../src/envs/index.js";
import { encodePng, PngEncoder } from "../../src/media/index.js";

test("PngEncoder writes PNGs that decode to the same RGB bytes", () => {
  const env = make("CartPole-v1");
  env.reset({ seed: 3 });
  const f = env.render();
  const png = new PngEncoder(1).encode(f.width, f.height, f.data);
  const d = decode(png);
  assert.equal(d.width, 600);
  assert.equal(d.height, 400);
  assert.equal(d.channels, 3);
  assert.deepEqual(Buffer.from(d.data as Uint8Array), Buffer.from(f.data));
  const odd = new Uint8Array(5 * 3 * 3).map((_, i) => (i * 37) & 255);
  assert.deepEqual(Buffer.from(decode(new PngEncoder(6).encode(5, 3, odd)).data as Uint8Array), Buffer.from(odd));
});

test("encodePng names the size it needed when the bytes do not match the image", () => {
  assert.throws(() => encodePng(4, 2, new Uint8Array(23)), /4×2 RGB needs 24 bytes, got 23/);
  assert.deepEqual(decode(encodePng(1, 1, Uint8Array.of(1, 2, 3))).data, Uint8Array.of(1, 2, 3));
});
