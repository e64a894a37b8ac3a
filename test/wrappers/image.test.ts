import assert from "node:assert/strict";
import { test } from "node:test";
import { CartPoleEnv } from "../../src/envs/cartpole.js";
import { Box } from "../../src/envs/spaces.js";
import { Crop, GrayScale, Resize } from "../../src/wrappers/index.js";
import { loadFixture } from "../helpers/fixtures.js";
import { CounterEnv, PlaybackEnv } from "./fake-envs.js";

test("Crop [:84, 6:90] then GrayScale equals OpenCV's gray_crop exactly on CarRacing frames", () => {
  const f = loadFixture("gymnasium-1.2/CarRacing-v3-continuous-seed0.safetensors");
  const frames = f.tensors.get("frames")!;
  const gray = f.tensors.get("gray_crop")!;
  assert.deepEqual(frames.shape.slice(1), [96, 96, 3]);
  const n = frames.shape[0]!;
  const env = new GrayScale(new Crop(new PlaybackEnv(frames.data as Uint8Array, [96, 96, 3], n)));
  assert.deepEqual(env.observationSpace.shape, [84, 84]);
  assert.equal(env.observationSpace.dtype, "uint8");
  const expected = gray.data as Uint8Array;
  const size = 84 * 84;
  let obs = env.reset().obs;
  for (let i = 0; i < n; i++) {
    if (i > 0) obs = env.step(0).obs;
    const want = expected.subarray(i * size, (i + 1) * size);
    let mismatches = 0;
    for (let k = 0; k < size; k++) if (obs[k] !== want[k]) mismatches++;
    assert.equal(mismatches, 0, `frame ${i}: ${mismatches} pixels differ from cv2.cvtColor`);
  }
});

test("GrayScale uses OpenCV's fixed-point weights, including rounding", () => {
  const env = new GrayScale(new CounterEnv({ height: 2, width: 3 }));
  const obs = env.reset().obs;
  // Pixel (y, x): R = t = 0, G = episode = 1, B = y * 3 + x.
  for (let p = 0; p < 6; p++) assert.equal(obs[p], (0 * 4899 + 1 * 9617 + p * 1868 + 8192) >> 14);
  assert.throws(() => new GrayScale(new CartPoleEnv()), /GrayScale: needs uint8 RGB observations of shape \[H, W, 3\], got Box\(/);
});

test("Crop slices rows and columns of [H, W, C] and [H, W] observations, bounds included", () => {
  const inner = new CounterEnv({ height: 6, width: 5 });
  const env = new Crop(inner, { rows: [1, 4], cols: [2, 5] });
  assert.deepEqual(env.observationSpace.shape, [3, 3, 3]);
  const obs = env.reset().obs;
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) {
      assert.equal(obs[(y * 3 + x) * 3 + 2], (y + 1) * 5 + (x + 2), `pixel ${y},${x}`);
    }
  }
  const r = env.step(1);
  assert.equal(r.obs, obs, "the crop buffer is reused");
  assert.equal(r.obs[0], 1);
  assert.equal(r.reward, 1);

  const gray2d = new Crop(new GrayScale(new CounterEnv({ height: 6, width: 5 })), { rows: [0, 2], cols: [0, 5] });
  assert.deepEqual(gray2d.observationSpace.shape, [2, 5]);
  assert.deepEqual(new Crop(new CounterEnv({ height: 96, width: 96 })).observationSpace.shape, [84, 84, 3]);

  assert.throws(() => new Crop(inner, { rows: [0, 7] }), /Crop: rows \[0, 7\) must be integers with 0 <= start < end <= 6/);
  assert.throws(() => new Crop(inner, { rows: [0, 6], cols: [3, 3] }), /Crop: cols \[3, 3\)/);
  assert.throws(() => new Crop(new CartPoleEnv()), /Crop: needs image observations \[H, W\] or \[H, W, C\], got Box\(/);
});

/** A fake env emitting one fixed [H, W] image. */
function imageEnv(h: number, w: number, pixels: number[], dtype: "uint8" | "float32" = "uint8") {
  const inner = new CounterEnv({ height: h, width: w });
  const box = new Box(0, 255, [h, w], dtype);
  const data = dtype === "uint8" ? Uint8Array.from(pixels) : Float32Array.from(pixels);
  return Object.assign(Object.create(inner) as CounterEnv, {
    observationSpace: box,
    reset: () => ({ obs: data, info: {} }),
    step: () => ({ obs: data, reward: 0, terminated: false, truncated: false, info: {} }),
  });
}

test("Resize area: coverage-weighted means, integer and fractional factors", () => {
  // 4×4 → 2×2: plain 2×2 block means, rounded to nearest.
  const block = new Resize(imageEnv(4, 4, [0, 2, 10, 20, 4, 6, 30, 40, 1, 1, 0, 0, 1, 2, 0, 255]), { height: 2, width: 2 });
  assert.deepEqual(block.observationSpace.shape, [2, 2]);
  assert.deepEqual(Array.from(block.reset().obs), [3, 25, 1, 64]);
  // 1×3 → 1×2: output 0 covers [0, 1.5), output 1 covers [1.5, 3).
  const frac = new Resize(imageEnv(1, 3, [0, 30, 60], "float32"), { height: 1, width: 2 });
  assert.deepEqual(Array.from(frac.reset().obs), [10, 50]);
  assert.throws(() => new Resize(imageEnv(2, 2, [0, 0, 0, 0]), { height: 4, width: 4 }), /"area" only shrinks; 2×2 → 4×4 needs interpolation "bilinear"/);
});

test("Resize bilinear: half-pixel centres, clamped edges; channels kept", () => {
  const up = new Resize(imageEnv(1, 2, [0, 100], "float32"), { height: 1, width: 4, interpolation: "bilinear" });
  // Output centres map to input x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  assert.deepEqual(Array.from(up.reset().obs), [0, 25, 75, 100]);
  const rgb = new Resize(new CounterEnv({ height: 8, width: 8 }), { height: 4, width: 4, interpolation: "bilinear" });
  assert.deepEqual(rgb.observationSpace.shape, [4, 4, 3]);
  const obs = rgb.reset().obs;
  // Channel 2 is y*8 + x; output (0,0) samples input (0.5, 0.5) → 4.5 → 5 (round half up via Math.round).
  assert.equal(obs[2], Math.round(0.5 * 8 + 0.5));
  assert.equal(obs[1], 1, "constant channel stays constant");
  assert.throws(() => new Resize(new CounterEnv(), { height: 0, width: 3 }), /Resize: height must be a positive integer, got 0/);
  assert.throws(
    () => new Resize(new CounterEnv(), { height: 2, width: 2, interpolation: "cubic" as never }),
    /interpolation must be "area" or "bilinear", got "cubic"/,
  );
});
