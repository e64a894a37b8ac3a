/**
 * The training curve the notebooks drew inline: return against environment steps —
 * every episode's return (faint), their rolling mean, and the periodic greedy
 * evaluation's mean ± std. One display list is built, then written as SVG or PNG,
 * so the two files always show the same thing.
 */
import { GLYPH_H } from "./font5x7.js";
import { encodePng } from "./png.js";
import { parseColor, Raster, type Rgb } from "./raster.js";

export interface EpisodePoint {
  step: number;
  ret: number;
}

export interface EvalPoint {
  step: number;
  mean: number;
  std: number;
}

export interface ReturnsPlotData {
  title: string;
  episodes: readonly EpisodePoint[];
  evals: readonly EvalPoint[];
  /** Episodes in the rolling mean (the notebooks used 100). */
  rollingWindow?: number;
  /** A horizontal reference line, e.g. the env's "solved" threshold. */
  target?: { value: number; label: string };
}

export interface PlotSize {
  width?: number;
  height?: number;
}

type Anchor = "start" | "middle" | "end";
type Prim =
  | { kind: "rect"; x: number; y: number; w: number; h: number; fill: string; opacity: number }
  | { kind: "polyline"; points: number[]; stroke: string; width: number; opacity: number; dash?: boolean }
  | { kind: "polygon"; points: number[]; fill: string; opacity: number }
  | { kind: "dots"; points: number[]; r: number; fill: string; opacity: number }
  | { kind: "text"; x: number; y: number; text: string; scale: number; anchor: Anchor; fill: string; vertical?: boolean };

const COLORS = {
  episode: "#9ecae1",
  rolling: "#1f77b4",
  eval: "#d62728",
  band: "#d62728",
  axis: "#333333",
  grid: "#e5e5e5",
  target: "#2ca02c",
};

const WHITE: Rgb = [255, 255, 255];

/** Max raw episode dots drawn; longer histories are thinned evenly (the rolling mean uses all). */
const MAX_DOTS = 2000;

/** "Nice" tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - d, hi + d, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Compact tick label: 1500 → "1.5k", 2000000 → "2M". */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function rollingMean(eps: readonly EpisodePoint[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < eps.length; i++) {
    sum += eps[i]!.ret;
    if (i >= window) sum -= eps[i - window]!.ret;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** The plot area of a `width`×`height` figure, its ticks and its data → pixel scales. */
interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  pw: number;
  ph: number;
  xt: number[];
  yt: number[];
  sx: (x: number) => number;
  sy: (y: number) => number;
}

/** The plot frame for data spanning [0, xMax] × [yMin, yMax], widened to show a reference line at `lineY` when given. */
function frame(width: number, height: number, xMax: number, yMin: number, yMax: number, lineY?: number): Frame {
  if (lineY !== undefined) {
    yMin = Math.min(yMin, lineY);
    yMax = Math.max(yMax, lineY);
  }
  const left = 70,
    right = 20,
    top = 40,
    bottom = 56;
  const pw = width - left - right;
  const ph = height - top - bottom;
  if (pw < 50 || ph < 50) throw new RangeError(`plot size ${width}×${height} is too small (need at least 140×146)`);
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  const xt = niceTicks(0, xMax);
  const yt = niceTicks(yMin, yMax);
  const x0 = 0,
    x1 = Math.max(xMax, xt[xt.length - 1]!);
  const y0 = Math.min(yMin, yt[0]!),
    y1 = Math.max(yMax, yt[yt.length - 1]!);
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  return { width, height, left, top, pw, ph, xt, yt, sx, sy };
}

/** Grid lines, drawn under the data. */
function gridPrims(f: Frame): Prim[] {
  const { left, top, pw, ph, sx, sy } = f;
  return [
    ...f.yt.map((v): Prim => ({ kind: "polyline", points: [left, sy(v), left + pw, sy(v)], stroke: COLORS.grid, width: 1, opacity: 1 })),
    ...f.xt.map((v): Prim => ({ kind: "polyline", points: [sx(v), top, sx(v), top + ph], stroke: COLORS.grid, width: 1, opacity: 1 })),
  ];
}

/** A dashed horizontal reference line with its label above it, or below (clear of a legend above the plot). */
function hlinePrims(f: Frame, value: number, label: string, labelBelow = false): Prim[] {
  const { left, pw, sy } = f;
  return [
    { kind: "polyline", points: [left, sy(value), left + pw, sy(value)], stroke: COLORS.target, width: 1.5, opacity: 1, dash: true },
    { kind: "text", x: left + pw - 4, y: sy(value) + (labelBelow ? 5 : -12), text: label, scale: 1, anchor: "end", fill: COLORS.target },
  ];
}

/** Axes, tick labels, axis titles, the title and a legend (right-aligned above the plot), drawn over the data. */
function axesPrims(f: Frame, title: string, xLabel: string, yLabel: string, legend: ReadonlyArray<readonly [string, string]>): Prim[] {
  const { left, top, pw, ph, sx, sy } = f;
  const prims: Prim[] = [{ kind: "polyline", points: [left, top, left, top + ph, left + pw, top + ph], stroke: COLORS.axis, width: 1, opacity: 1 }];
  for (const v of f.yt) {
    prims.push({ kind: "text", x: left - 6, y: sy(v) - 4, text: formatTick(v), scale: 1, anchor: "end", fill: COLORS.axis });
  }
  for (const v of f.xt) {
    prims.push({ kind: "text", x: sx(v), y: top + ph + 6, text: formatTick(v), scale: 1, anchor: "middle", fill: COLORS.axis });
  }
  prims.push({ kind: "text", x: left + pw / 2, y: f.height - 22, text: xLabel, scale: 2, anchor: "middle", fill: COLORS.axis });
  prims.push({ kind: "text", x: 8, y: top + ph / 2, text: yLabel, scale: 2, anchor: "middle", fill: COLORS.axis, vertical: true });
  prims.push({ kind: "text", x: left, y: 10, text: title, scale: 2, anchor: "start", fill: COLORS.axis });
  let lx = left + pw;
  for (let i = legend.length - 1; i >= 0; i--) {
    const [color, label] = legend[i]!;
    lx -= Raster.textWidth(label, 1) + 26;
    prims.push({ kind: "rect", x: lx, y: top - 14, w: 12, h: 8, fill: color, opacity: 1 });
    prims.push({ kind: "text", x: lx + 16, y: top - 15, text: label, scale: 1, anchor: "start", fill: COLORS.axis });
  }
  return prims;
}

/** The polygon between `upper` and `lower` (pixel y per point) over pixel xs. */
function bandPoints(xs: readonly number[], upper: readonly number[], lower: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) out.push(xs[i]!, upper[i]!);
  for (let i = xs.length - 1; i >= 0; i--) out.push(xs[i]!, lower[i]!);
  return out;
}

function layout(d: ReturnsPlotData, width: number, height: number): Prim[] {
  const window = d.rollingWindow ?? 100;
  let xMax = 1;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const e of d.episodes) {
    xMax = Math.max(xMax, e.step);
    yMin = Math.min(yMin, e.ret);
    yMax = Math.max(yMax, e.ret);
  }
  for (const e of d.evals) {
    xMax = Math.max(xMax, e.step);
    yMin = Math.min(yMin, e.mean - e.std);
    yMax = Math.max(yMax, e.mean + e.std);
  }
  const f = frame(width, height, xMax, yMin, yMax, d.target?.value);
  const { sx, sy } = f;

  const prims = gridPrims(f);
  if (d.evals.length > 0) {
    const xs = d.evals.map((e) => sx(e.step));
    const band = bandPoints(
      xs,
      d.evals.map((e) => sy(e.mean + e.std)),
      d.evals.map((e) => sy(e.mean - e.std)),
    );
    prims.push({ kind: "polygon", points: band, fill: COLORS.band, opacity: 0.15 });
  }
  if (d.episodes.length > 0) {
    const stride = Math.max(1, Math.ceil(d.episodes.length / MAX_DOTS));
    const dots: number[] = [];
    for (let i = 0; i < d.episodes.length; i += stride) dots.push(sx(d.episodes[i]!.step), sy(d.episodes[i]!.ret));
    prims.push({ kind: "dots", points: dots, r: 1.5, fill: COLORS.episode, opacity: 0.8 });
    const rm = rollingMean(d.episodes, window);
    const line: number[] = [];
    for (let i = 0; i < rm.length; i += stride) line.push(sx(d.episodes[i]!.step), sy(rm[i]!));
    line.push(sx(d.episodes[rm.length - 1]!.step), sy(rm[rm.length - 1]!));
    prims.push({ kind: "polyline", points: line, stroke: COLORS.rolling, width: 2, opacity: 1 });
  }
  if (d.evals.length > 0) {
    prims.push({ kind: "polyline", points: d.evals.flatMap((e) => [sx(e.step), sy(e.mean)]), stroke: COLORS.eval, width: 2, opacity: 1 });
    prims.push({ kind: "dots", points: d.evals.flatMap((e) => [sx(e.step), sy(e.mean)]), r: 2.5, fill: COLORS.eval, opacity: 1 });
  }
  if (d.target) prims.push(...hlinePrims(f, d.target.value, d.target.label));
  const legend = [
    [COLORS.episode, "episode"],
    [COLORS.rolling, `mean of last ${window}`],
    [COLORS.eval, "eval mean ± std"],
  ] as const;
  prims.push(...axesPrims(f, d.title, "environment steps", "return", legend));
  return prims;
}

/** One curve of `curvesBandPng`: `mean[i]` ± `std[i]` at `x[i]` (the three the same length, x ascending). */
export interface BandSeries {
  label: string;
  x: readonly number[];
  mean: readonly number[];
  std: readonly number[];
}

export interface CurvesBandData {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly BandSeries[];
  /** A horizontal reference line, e.g. the env's target. */
  hline?: { y: number; label: string } | undefined;
}

/** Series colours in order: matplotlib's first four, the first three the returns plot's own. */
const SERIES_COLORS = [COLORS.rolling, COLORS.eval, COLORS.target, "#9467bd"];

function curvesLayout(d: CurvesBandData, width: number, height: number): Prim[] {
  let xMax = 1;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of d.series) {
    if (s.mean.length !== s.x.length || s.std.length !== s.x.length) {
      throw new RangeError(`curvesBandPng: series "${s.label}" has ${s.x.length} x, ${s.mean.length} means and ${s.std.length} stds`);
    }
    for (let i = 0; i < s.x.length; i++) {
      xMax = Math.max(xMax, s.x[i]!);
      yMin = Math.min(yMin, s.mean[i]! - s.std[i]!);
      yMax = Math.max(yMax, s.mean[i]! + s.std[i]!);
    }
  }
  const f = frame(width, height, xMax, yMin, yMax, d.hline?.y);
  const { sx, sy } = f;
  const prims = gridPrims(f);
  const color = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length]!;
  // All bands first, so no band covers another series' line.
  d.series.forEach((s, i) => {
    if (s.x.length === 0) return;
    const band = bandPoints(
      s.x.map(sx),
      s.x.map((_, j) => sy(s.mean[j]! + s.std[j]!)),
      s.x.map((_, j) => sy(s.mean[j]! - s.std[j]!)),
    );
    prims.push({ kind: "polygon", points: band, fill: color(i), opacity: 0.2 });
  });
  d.series.forEach((s, i) => {
    const line = s.x.flatMap((x, j) => [sx(x), sy(s.mean[j]!)]);
    prims.push({ kind: "polyline", points: line, stroke: color(i), width: 2, opacity: 1 });
    // Dots keep a one-evaluation series visible.
    prims.push({ kind: "dots", points: line, r: 2.5, fill: color(i), opacity: 1 });
  });
  if (d.hline) prims.push(...hlinePrims(f, d.hline.y, d.hline.label, true));
  const legend = d.series.map((s, i) => [color(i), `${s.label} mean ± std`] as const);
  prims.push(...axesPrims(f, d.title, d.xLabel, d.yLabel, legend));
  return prims;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);

/** The curve as a standalone SVG document. */
export function returnsPlotSvg(d: ReturnsPlotData, size: PlotSize = {}): string {
  const width = size.width ?? 800;
  const height = size.height ?? 480;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  for (const p of layout(d, width, height)) {
    switch (p.kind) {
      case "rect":
        out.push(`<rect x="${fmt(p.x)}" y="${fmt(p.y)}" width="${fmt(p.w)}" height="${fmt(p.h)}" fill="${p.fill}" fill-opacity="${p.opacity}"/>`);
        break;
      case "polyline": {
        const dash = p.dash ? ` stroke-dasharray="6 4"` : "";
        out.push(`<polyline fill="none" stroke="${p.stroke}" stroke-width="${p.width}" stroke-opacity="${p.opacity}"${dash} points="${pairs(p.points)}"/>`);
        break;
      }
      case "polygon":
        out.push(`<polygon fill="${p.fill}" fill-opacity="${p.opacity}" points="${pairs(p.points)}"/>`);
        break;
      case "dots": {
        const cs: string[] = [];
        for (let i = 0; i < p.points.length; i += 2) cs.push(`<circle cx="${fmt(p.points[i]!)}" cy="${fmt(p.points[i + 1]!)}" r="${p.r}"/>`);
        out.push(`<g fill="${p.fill}" fill-opacity="${p.opacity}">${cs.join("")}</g>`);
        break;
      }
      case "text": {
        const size = 7 * p.scale * 1.45;
        const baseline = p.y + GLYPH_H * p.scale;
        const rot = p.vertical ? ` transform="rotate(-90 ${fmt(p.x + GLYPH_H * p.scale)} ${fmt(p.y)})"` : "";
        const x = p.vertical ? p.x + GLYPH_H * p.scale : p.x;
        const y = p.vertical ? p.y : baseline;
        out.push(`<text x="${fmt(x)}" y="${fmt(y)}" font-size="${fmt(size)}" fill="${p.fill}" text-anchor="${p.anchor}"${rot}>${escapeXml(p.text)}</text>`);
        break;
      }
    }
  }
  out.push("</svg>");
  return out.join("\n");
}

function pairs(points: readonly number[]): string {
  const s: string[] = [];
  for (let i = 0; i < points.length; i += 2) s.push(`${fmt(points[i]!)},${fmt(points[i + 1]!)}`);
  return s.join(" ");
}

/** The same curve rasterized, on white. */
export function returnsPlotRaster(d: ReturnsPlotData, size: PlotSize = {}): Raster {
  const width = size.width ?? 800;
  const height = size.height ?? 480;
  return rasterize(layout(d, width, height), width, height);
}

/**
 * Curves with shaded bands: per series its mean line and a mean ± std band (e.g. the
 * periodic evaluation across seeds), an optional reference line, on white.
 */
export function curvesBandRaster(d: CurvesBandData, size: PlotSize = {}): Raster {
  const width = size.width ?? 800;
  const height = size.height ?? 480;
  return rasterize(curvesLayout(d, width, height), width, height);
}

/** `curvesBandRaster` as PNG bytes. */
export function curvesBandPng(d: CurvesBandData, size: PlotSize = {}): Uint8Array {
  const c = curvesBandRaster(d, size);
  return encodePng(c.width, c.height, c.data);
}

function rasterize(prims: readonly Prim[], width: number, height: number): Raster {
  const c = new Raster(width, height);
  c.fill(WHITE);
  for (const p of prims) {
    switch (p.kind) {
      case "rect":
        c.fillRect(p.x, p.y, p.w, p.h, parseColor(p.fill), p.opacity);
        break;
      case "polyline":
        if (p.dash) {
          for (let i = 2; i < p.points.length; i += 2)
            dashed(c, p.points[i - 2]!, p.points[i - 1]!, p.points[i]!, p.points[i + 1]!, parseColor(p.stroke), p.width);
        } else c.polyline(p.points, parseColor(p.stroke), p.width, p.opacity);
        break;
      case "polygon":
        c.fillPolygon(p.points, parseColor(p.fill), p.opacity);
        break;
      case "dots":
        for (let i = 0; i < p.points.length; i += 2) c.dot(p.points[i]!, p.points[i + 1]!, p.r, parseColor(p.fill), p.opacity);
        break;
      case "text": {
        const w = Raster.textWidth(p.text, p.scale);
        if (p.vertical) {
          const yb = p.anchor === "middle" ? p.y + w / 2 : p.anchor === "end" ? p.y + w : p.y;
          c.text(p.x, yb, p.text, parseColor(p.fill), p.scale, true);
        } else {
          const x = p.anchor === "middle" ? p.x - w / 2 : p.anchor === "end" ? p.x - w : p.x;
          c.text(x, p.y, p.text, parseColor(p.fill), p.scale);
        }
        break;
      }
    }
  }
  return c;
}

function dashed(c: Raster, x0: number, y0: number, x1: number, y1: number, color: Rgb, width: number): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  for (let s = 0; s < len; s += 10) {
    const e = Math.min(len, s + 6);
    c.stroke(x0 + ((x1 - x0) * s) / len, y0 + ((y1 - y0) * s) / len, x0 + ((x1 - x0) * e) / len, y0 + ((y1 - y0) * e) / len, color, width);
  }
}

/** The curve as PNG bytes. */
export function returnsPlotPng(d: ReturnsPlotData, size: PlotSize = {}): Uint8Array {
  const c = returnsPlotRaster(d, size);
  return encodePng(c.width, c.height, c.data);
}
