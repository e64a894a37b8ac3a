/**
 * A minimal RGB rasterizer for the human views: solid fill, scanline polygon fill
 * and one-pixel lines, into a row-major `Uint8Array`. No antialiasing: these frames
 * are for people and videos, not for agents.
 */
import type { RenderFrame } from "../core.js";

export type RGB = readonly [number, number, number];
export type Point = readonly [number, number];

export class Raster implements RenderFrame {
  readonly data: Uint8Array;
  /** Scanline crossings, reused across polygons. */
  private xs = new Float64Array(16);

  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 3);
  }

  fill(c: RGB): void {
    const d = this.data;
    for (let i = 0; i < d.length; i += 3) {
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
    }
  }

  private span(y: number, x0: number, x1: number, c: RGB): void {
    const a = Math.max(0, x0);
    const b = Math.min(this.width - 1, x1);
    const d = this.data;
    for (let x = a, i = (y * this.width + a) * 3; x <= b; x++, i += 3) {
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
    }
  }

  /** Fills a simple polygon (pixel coordinates, y down), sampling at pixel centres with the even-odd rule. */
  fillPolygon(pts: readonly Point[], c: RGB): void {
    const n = pts.length;
    if (n < 3) return;
    if (this.xs.length < n) this.xs = new Float64Array(n);
    let minY = Infinity;
    let maxY = -Infinity;
    for (const [, y] of pts) {
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const y0 = Math.max(0, Math.ceil(minY - 0.5));
    const y1 = Math.min(this.height - 1, Math.floor(maxY - 0.5));
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      let k = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = pts[i]!;
        const [xj, yj] = pts[j]!;
        if (yi <= cy !== yj <= cy) this.xs[k++] = xi + ((cy - yi) / (yj - yi)) * (xj - xi);
      }
      const xs = this.xs.subarray(0, k).sort();
      for (let m = 0; m + 1 < k; m += 2) this.span(y, Math.ceil(xs[m]! - 0.5), Math.floor(xs[m + 1]! - 0.5), c);
    }
  }

  /** A one-pixel line (DDA over the longer axis). */
  line(a: Point, b: Point, c: RGB): void {
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
    const d = this.data;
    for (let s = 0; s <= steps; s++) {
      const x = Math.floor(a[0] + (dx * s) / steps);
      const y = Math.floor(a[1] + (dy * s) / steps);
      if (x < 0 || y < 0 || x >= this.width || y >= this.height) continue;
      const i = (y * this.width + x) * 3;
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
    }
  }

  /** A closed polygon outline. */
  outline(pts: readonly Point[], c: RGB): void {
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) this.line(pts[j]!, pts[i]!, c);
  }
}
