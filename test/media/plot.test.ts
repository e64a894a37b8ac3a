import assert from "node:assert/strict";
import { test } from "node:test";
import { decode } from "fast-png";
import { curvesBandPng, curvesBandRaster, formatTick, niceTicks, returnsPlotPng, returnsPlotRaster, returnsPlotSvg } from "../../src/media/index.js";

const data = {
  title: "CartPole-v1",
  episodes: Array.from({ length: 300 }, (_, i) => ({ step: (i + 1) * 100, ret: i })),
  evals: [
    { step: 10_000, mean: 100, std: 10 },
    { step: 20_000, mean: 200, std: 20 },
    { step: 30_000, mean: 290, std: 5 },
  ],
};

test("niceTicks cover the range with 1-2-5 steps", () => {
  assert.deepEqual(niceTicks(0, 500), [0, 100, 200, 300, 400, 500]);
  assert.deepEqual(niceTicks(-230, 260, 5), [-200, -100, 0, 100, 200]);
  assert.ok(niceTicks(5, 5).length >= 2);
  assert.equal(formatTick(1500), "1.5k");
  assert.equal(formatTick(2_000_000), "2M");
  assert.equal(formatTick(-0.25), "-0.25");
});

test("SVG holds the curves, the eval band and escaped text", () => {
  const svg = returnsPlotSvg({ ...data, title: "a<b" });
  assert.match(svg, /^<svg /);
  assert.match(svg, /a&#60;b/);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 1);
  assert.ok((svg.match(/<circle /g) ?? []).length >= 300);
});

test("PNG decodes to the requested size and draws the eval line in red", () => {
  const png = decode(returnsPlotPng(data, { width: 640, height: 400 }));
  assert.equal(png.width, 640);
  assert.equal(png.height, 400);
  const c = returnsPlotRaster(data, { width: 640, height: 400 });
  let red = 0;
  for (let i = 0; i < c.data.length; i += 3) if (c.data[i]! > 200 && c.data[i + 1]! < 80 && c.data[i + 2]! < 80) red++;
  assert.ok(red > 200, `red pixels: ${red}`);
});

test("an empty history still plots axes, and bad sizes are named", () => {
  assert.match(returnsPlotSvg({ title: "empty", episodes: [], evals: [] }), /environment steps/);
  assert.throws(() => returnsPlotPng(data, { width: 50, height: 50 }), /50×50/);
});

test("curvesBandPng: each series' band spans its mean ± std, in its colour", () => {
  const x = [0, 5000, 10_000];
  const data = {
    title: "bands",
    xLabel: "environment steps",
    yLabel: "return",
    series: [
      { label: "low", x, mean: [0, 0, 0], std: [10, 10, 10] },
      { label: "high", x, mean: [100, 100, 100], std: [10, 10, 10] },
    ],
  };
  const png = curvesBandPng(data, { width: 640, height: 400 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const decoded = decode(png);
  assert.equal(decoded.width, 640);
  assert.equal(decoded.height, 400);

  // A column left of the legend: y from -10 to 110 over the 304-pixel plot height (top 40, bottom 56).
  const c = curvesBandRaster(data, { width: 640, height: 400 });
  const blue: number[] = [];
  const red: number[] = [];
  for (let y = 0; y < c.height; y++) {
    const i = (y * c.width + 200) * 3;
    const [r, g, b] = [c.data[i]!, c.data[i + 1]!, c.data[i + 2]!];
    if (b - r > 15 && g > r) blue.push(y);
    if (r - b > 15 && r - g > 15) red.push(y);
  }
  const bandPx = (20 / 120) * 304;
  assert.ok(Math.abs(blue.length - bandPx) <= 4, `blue band rows: ${blue.length}, expected ≈ ${bandPx}`);
  assert.ok(Math.abs(red.length - bandPx) <= 4, `red band rows: ${red.length}, expected ≈ ${bandPx}`);
  // The low series sits below the high one, each band around its mean (y grows downwards).
  const yOf = (v: number) => 40 + 304 - ((v + 10) / 120) * 304;
  assert.ok(Math.abs(Math.min(...blue) - yOf(10)) <= 2 && Math.abs(Math.max(...blue) - yOf(-10)) <= 2, `blue rows ${blue[0]}–${blue.at(-1)}`);
  assert.ok(Math.abs(Math.min(...red) - yOf(110)) <= 2 && Math.abs(Math.max(...red) - yOf(90)) <= 2, `red rows ${red[0]}–${red.at(-1)}`);
  assert.throws(() => curvesBandPng({ ...data, series: [{ label: "bad", x, mean: [1], std: [1, 1, 1] }] }), /"bad" has 3 x, 1 means/);
});
