import assert from "node:assert/strict";
import { test } from "node:test";
import { decode } from "fast-png";
import { formatTick, niceTicks, returnsPlotPng, returnsPlotRaster, returnsPlotSvg } from "../../src/media/index.js";

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
