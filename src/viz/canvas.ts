/**
 * A small RGB raster for plots: antialiased lines and dots by distance-to-shape
 * coverage, scanline polygons, bitmap text. Enough for charts without a native canvas.
 */
import { ADVANCE, GLYPH_H, GLYPH_W, glyph } from "./font5x7.js";

export type Rgb = readonly [number, number, number];

export function parseColor(hex: string): Rgb {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`color must be #rrggbb, got ${JSON.stringify(hex)}`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export class RgbCanvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new RangeError(`canvas size must be positive integers, got ${width}×${height}`);
    }
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  /** Blends `color` into pixel (x, y) with coverage `a` in [0, 1]. */
  blend(x: number, y: number, color: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 3;
    const d = this.data;
    const k = a >= 1 ? 1 : a;
    d[i] = Math.round(d[i]! + (color[0] - d[i]!) * k);
    d[i + 1] = Math.round(d[i + 1]! + (color[1] - d[i + 1]!) * k);
    d[i + 2] = Math.round(d[i + 2]! + (color[2] - d[i + 2]!) * k);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.blend(px, py, color, alpha);
  }

  /** A segment of the given width with round caps; coverage from the pixel centre's distance. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, width = 1, alpha = 1): void {
    const r = width / 2;
    const minX = Math.floor(Math.min(x0, x1) - r - 1);
    const maxX = Math.ceil(Math.max(x0, x1) + r + 1);
    const minY = Math.floor(Math.min(y0, y1) - r - 1);
    const maxY = Math.ceil(Math.max(y0, y1) + r + 1);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    for (let py = Math.max(0, minY); py <= Math.min(this.height - 1, maxY); py++) {
      for (let px = Math.max(0, minX); px <= Math.min(this.width - 1, maxX); px++) {
        const cx = px + 0.5;
        const cy = py + 0.5;
        let t = len2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = x0 + t * dx - cx;
        const ey = y0 + t * dy - cy;
        const dist = Math.sqrt(ex * ex + ey * ey);
        const cover = Math.min(1, Math.max(0, r + 0.5 - dist));
        this.blend(px, py, color, cover * alpha);
      }
    }
  }

  polyline(points: readonly number[], color: Rgb, width = 1, alpha = 1): void {
    for (let i = 2; i < points.length; i += 2) {
      this.line(points[i - 2]!, points[i - 1]!, points[i]!, points[i + 1]!, color, width, alpha);
    }
  }

  dot(x: number, y: number, radius: number, color: Rgb, alpha = 1): void {
    this.line(x, y, x, y, color, radius * 2, alpha);
  }

  /** Even-odd scanline fill sampled at pixel centres. */
  polygon(points: readonly number[], color: Rgb, alpha = 1): void {
    const n = points.length / 2;
    if (n < 3) return;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 1; i < points.length; i += 2) {
      minY = Math.min(minY, points[i]!);
      maxY = Math.max(maxY, points[i]!);
    }
    const xs: number[] = [];
    for (let py = Math.max(0, Math.floor(minY)); py <= Math.min(this.height - 1, Math.ceil(maxY)); py++) {
      const cy = py + 0.5;
      xs.length = 0;
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        const ax = points[2 * i]!, ay = points[2 * i + 1]!;
        const bx = points[2 * j]!, by = points[2 * j + 1]!;
        if ((ay <= cy && by > cy) || (by <= cy && ay > cy)) xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        for (let px = Math.max(0, Math.ceil(xs[k]! - 0.5)); px <= Math.min(this.width - 1, Math.floor(xs[k + 1]! - 0.5)); px++) {
          this.blend(px, py, color, alpha);
        }
      }
    }
  }

  /** Width in pixels of `text` at integer `scale`. */
  static textWidth(text: string, scale: number): number {
    return Math.max(0, [...text].length * ADVANCE - 1) * scale;
  }

  /**
   * Bitmap text with its top-left corner at (x, y); `vertical` draws it rotated 90°
   * counter-clockwise (reading bottom to top) with (x, y) the bottom-left corner.
   */
  text(x: number, y: number, text: string, color: Rgb, scale = 1, vertical = false): void {
    let pen = 0;
    for (const ch of text) {
      const rows = glyph(ch);
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (!((rows[gy]! >> (GLYPH_W - 1 - gx)) & 1)) continue;
          const u = (pen + gx) * scale;
          const v = gy * scale;
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) {
              if (vertical) this.blend(Math.round(x + v + sy), Math.round(y - u - sx), color, 1);
              else this.blend(Math.round(x + u + sx), Math.round(y + v + sy), color, 1);
            }
          }
        }
      }
      pen += ADVANCE;
    }
  }
}
