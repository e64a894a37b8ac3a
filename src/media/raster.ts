/**
 * The one software rasterizer: RGB pixels in a row-major `Uint8Array`, drawn with
 * polygons (even-odd, sampled at pixel centres), one-pixel and antialiased lines, the
 * 5×7 bitmap font, and alpha. LunarLander's view, the returns plot and the video
 * captions draw on a `Raster`; CarRacing's pygame-exact span raster (it scan-converts
 * on Gymnasium's 1000×800 surface and area-averages down to 96×96, which a pixel
 * raster cannot) shares its building blocks: the packed colours, the crossing sort and
 * the solid run fill.
 *
 * Pure functions on pixels and numbers: it imports nothing from the project but its font.
 */
import { ADVANCE, GLYPH_H, GLYPH_W, glyph } from "./font5x7.js";

export type Rgb = readonly [number, number, number];

/** A colour packed as 0xRRGGBB (the span raster's colour type). */
export function rgbInt(r: number, g: number, b: number): number {
  return ((r & 255) << 16) | ((g & 255) << 8) | (b & 255);
}

/** `#rrggbb` → [r, g, b]. */
export function parseColor(hex: string): Rgb {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`color must be #rrggbb, got ${JSON.stringify(hex)}`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Sorts the first `n` scanline crossings ascending (insertion sort: a handful per row). */
export function sortCrossings(a: Int32Array | Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * The edge table of the polygon with integer vertices (vx[i], vy[i]): its non-horizontal
 * edges in vertex order (edge i joins vertex i − 1 to vertex i), each stored top end first
 * as (eya, eyb, exa, exb) = (top y, bottom y, top x, bottom x). Returns their number.
 */
export function buildEdges(
  vx: ArrayLike<number>,
  vy: ArrayLike<number>,
  n: number,
  eya: Int32Array,
  eyb: Int32Array,
  exa: Int32Array,
  exb: Int32Array,
): number {
  let ne = 0;
  for (let i = 0; i < n; i++) {
    const i1 = i === 0 ? n - 1 : i - 1;
    const ya = vy[i1]!;
    const yb = vy[i]!;
    if (ya < yb) {
      eya[ne] = ya;
      eyb[ne] = yb;
      exa[ne] = vx[i1]!;
      exb[ne] = vx[i]!;
      ne++;
    } else if (ya > yb) {
      eya[ne] = yb;
      eyb[ne] = ya;
      exa[ne] = vx[i]!;
      exb[ne] = vx[i1]!;
      ne++;
    }
  }
  return ne;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `data` viewed as 32-bit words when its offset allows (for `fillRun`), else null. */
export function wordView(data: Uint8Array): Uint32Array | null {
  return LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
}

/**
 * Writes `count` pixels of colour (r, g, b) into RGB bytes `out` from byte `i`. Long runs
 * go four pixels (three little-endian words of `words`, `out`'s word view) at a time.
 */
export function fillRun(out: Uint8Array, words: Uint32Array | null, i: number, count: number, r: number, g: number, b: number): void {
  let left = count;
  if (left >= 8 && words !== null) {
    while ((i & 3) !== 0) {
      out[i] = r;
      out[i + 1] = g;
      out[i + 2] = b;
      i += 3;
      left--;
    }
    const w0 = (r | (g << 8) | (b << 16) | (r << 24)) >>> 0;
    const w1 = (g | (b << 8) | (r << 16) | (g << 24)) >>> 0;
    const w2 = (b | (r << 8) | (g << 16) | (b << 24)) >>> 0;
    for (let k = i >> 2; left >= 4; left -= 4, i += 12, k += 3) {
      words[k] = w0;
      words[k + 1] = w1;
      words[k + 2] = w2;
    }
  }
  for (; left > 0; left--, i += 3) {
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
  }
}

export class Raster {
  readonly data: Uint8Array;
  private readonly words: Uint32Array | null;
  /** Scanline crossings, then integer vertices and the edge table, reused across polygons. */
  private crossings = new Float64Array(16);
  private vx = new Int32Array(16);
  private vy = new Int32Array(16);
  private eya = new Int32Array(16);
  private eyb = new Int32Array(16);
  private exa = new Int32Array(16);
  private exb = new Int32Array(16);

  /** A `width`×`height` raster on `data` (drawn in place), or on new black pixels. */
  constructor(
    readonly width: number,
    readonly height: number,
    data?: Uint8Array,
  ) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new RangeError(`raster size must be positive integers, got ${width}×${height}`);
    }
    if (data !== undefined && data.length !== width * height * 3) {
      throw new RangeError(`raster ${width}×${height} needs ${width * height * 3} RGB bytes, got ${data.length}`);
    }
    this.data = data ?? new Uint8Array(width * height * 3);
    this.words = wordView(this.data);
  }

  fill(c: Rgb): void {
    fillRun(this.data, this.words, 0, this.width * this.height, c[0], c[1], c[2]);
  }

  /**
   * Pixels x0..x1 (inclusive, clipped) of row y with colour `c` at opacity `alpha`: each
   * channel becomes round(d + (c − d)·alpha), which at alpha ≥ 1 is c itself.
   */
  span(y: number, x0: number, x1: number, c: Rgb, alpha = 1): void {
    if (y < 0 || y >= this.height || alpha <= 0) return;
    const a = x0 < 0 ? 0 : x0;
    const b = x1 > this.width - 1 ? this.width - 1 : x1;
    if (b < a) return;
    const start = (y * this.width + a) * 3;
    if (alpha >= 1) {
      fillRun(this.data, this.words, start, b - a + 1, c[0], c[1], c[2]);
      return;
    }
    const d = this.data;
    for (let i = start, end = start + (b - a + 1) * 3; i < end; i += 3) {
      d[i] = Math.round(d[i]! + (c[0] - d[i]!) * alpha);
      d[i + 1] = Math.round(d[i + 1]! + (c[1] - d[i + 1]!) * alpha);
      d[i + 2] = Math.round(d[i + 2]! + (c[2] - d[i + 2]!) * alpha);
    }
  }

  /** The axis-aligned rectangle whose corners round to (x, y) and (x + w, y + h), end exclusive. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb, alpha = 1): void {
    const x0 = Math.round(x);
    const x1 = Math.round(x + w) - 1;
    for (let py = Math.max(0, Math.round(y)), y1 = Math.min(this.height, Math.round(y + h)); py < y1; py++) this.span(py, x0, x1, c, alpha);
  }

  /**
   * Fills the polygon with vertices (points[2i], points[2i + 1]) (pixel coordinates, y
   * down) by the even-odd rule, sampling at pixel centres.
   */
  fillPolygon(points: ArrayLike<number>, c: Rgb, alpha = 1): void {
    const n = points.length >> 1;
    if (n < 3) return;
    if (this.crossings.length < n) this.crossings = new Float64Array(n);
    const xs = this.crossings;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 1; i < 2 * n; i += 2) {
      minY = Math.min(minY, points[i]!);
      maxY = Math.max(maxY, points[i]!);
    }
    const y0 = Math.max(0, Math.ceil(minY - 0.5));
    const y1 = Math.min(this.height - 1, Math.floor(maxY - 0.5));
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      let k = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = points[2 * i]!;
        const yi = points[2 * i + 1]!;
        const xj = points[2 * j]!;
        const yj = points[2 * j + 1]!;
        if (yi <= cy !== yj <= cy) xs[k++] = xi + ((cy - yi) / (yj - yi)) * (xj - xi);
      }
      sortCrossings(xs, k);
      for (let m = 0; m + 1 < k; m += 2) this.span(y, Math.ceil(xs[m]! - 0.5), Math.floor(xs[m + 1]! - 0.5), c, alpha);
    }
  }

  /**
   * SDL_gfx's filledPolygon rule as pygame's gfxdraw uses it, in floating point: vertices
   * truncated to integers, each row y filled between paired crossings rounded to pixels,
   * edges included, the bottom row taken from the edges that end there.
   */
  fillPolygonEdgesIncluded(points: ArrayLike<number>, c: Rgb): void {
    const n = points.length >> 1;
    if (n < 3) return;
    if (this.vx.length < n) {
      for (const k of ["vx", "vy", "eya", "eyb", "exa", "exb"] as const) this[k] = new Int32Array(n);
      this.crossings = new Float64Array(n);
    }
    const { vx, vy, eya, eyb, exa, exb } = this;
    let miny = Infinity;
    let maxy = -Infinity;
    for (let i = 0; i < n; i++) {
      vx[i] = Math.trunc(points[2 * i]!);
      vy[i] = Math.trunc(points[2 * i + 1]!);
      miny = Math.min(miny, vy[i]!);
      maxy = Math.max(maxy, vy[i]!);
    }
    const ne = buildEdges(vx, vy, n, eya, eyb, exa, exb);
    const xs = this.crossings;
    for (let y = miny; y <= maxy; y++) {
      let k = 0;
      for (let e = 0; e < ne; e++) {
        const y1 = eya[e]!;
        const y2 = eyb[e]!;
        if ((y >= y1 && y < y2) || (y === maxy && y > y1 && y <= y2)) {
          const x1 = exa[e]!;
          xs[k++] = x1 + ((y - y1) * (exb[e]! - x1)) / (y2 - y1);
        }
      }
      sortCrossings(xs, k);
      for (let m = 0; m + 1 < k; m += 2) this.span(y, Math.round(xs[m]!), Math.round(xs[m + 1]!), c);
    }
  }

  /** Every pixel within `radius` of the centre (integers), as SDL_gfx's filled circle. */
  fillCircle(cx: number, cy: number, radius: number, c: Rgb): void {
    for (let dy = -radius; dy <= radius; dy++) {
      const half = Math.floor(Math.sqrt(radius * radius - dy * dy));
      this.span(cy + dy, cx - half, cx + half, c);
    }
  }

  /** A new raster with the rows in reverse order (pygame.transform.flip(surface, False, True)). */
  flippedRows(): Raster {
    const rowBytes = this.width * 3;
    const out = new Raster(this.width, this.height);
    for (let y = 0; y < this.height; y++) {
      out.data.set(this.data.subarray(y * rowBytes, (y + 1) * rowBytes), (this.height - 1 - y) * rowBytes);
    }
    return out;
  }

  /** A one-pixel line from (x0, y0) to (x1, y1), stepping along the longer axis (no antialiasing). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    const dx = x1 - x0;
    const dy = y1 - y0;
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
    for (let s = 0; s <= steps; s++) {
      const x = Math.floor(x0 + (dx * s) / steps);
      this.span(Math.floor(y0 + (dy * s) / steps), x, x, c);
    }
  }

  /** The closed outline of a polygon, in one-pixel lines. */
  outline(points: ArrayLike<number>, c: Rgb): void {
    const n = points.length >> 1;
    for (let i = 0, j = n - 1; i < n; j = i++) this.line(points[2 * j]!, points[2 * j + 1]!, points[2 * i]!, points[2 * i + 1]!, c);
  }

  /** An antialiased segment of the given width with round caps: coverage from each pixel centre's distance. */
  stroke(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1, alpha = 1): void {
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
        const cover = Math.min(1, Math.max(0, r + 0.5 - Math.sqrt(ex * ex + ey * ey)));
        this.span(py, px, px, c, cover * alpha);
      }
    }
  }

  /** Antialiased segments through (points[2i], points[2i + 1]). */
  polyline(points: ArrayLike<number>, c: Rgb, width = 1, alpha = 1): void {
    for (let i = 2; i + 1 < points.length; i += 2) this.stroke(points[i - 2]!, points[i - 1]!, points[i]!, points[i + 1]!, c, width, alpha);
  }

  /** An antialiased disc. */
  dot(x: number, y: number, radius: number, c: Rgb, alpha = 1): void {
    this.stroke(x, y, x, y, c, radius * 2, alpha);
  }

  /** Width in pixels of `text` at integer `scale`. */
  static textWidth(text: string, scale: number): number {
    return Math.max(0, [...text].length * ADVANCE - 1) * scale;
  }

  /**
   * Bitmap text with its top-left corner at (x, y), each font pixel a `scale`×`scale`
   * block; `vertical` draws it rotated 90° counter-clockwise (reading bottom to top)
   * with (x, y) the bottom-left corner.
   */
  text(x: number, y: number, text: string, c: Rgb, scale = 1, vertical = false): void {
    let pen = 0;
    for (const ch of text) {
      const rows = glyph(ch);
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (!((rows[gy]! >> (GLYPH_W - 1 - gx)) & 1)) continue;
          const u = (pen + gx) * scale;
          const v = gy * scale;
          for (let s = 0; s < scale; s++) {
            if (vertical) {
              const px = Math.round(x + v + s);
              const top = Math.round(y - u) - (scale - 1);
              for (let py = top; py < top + scale; py++) this.span(py, px, px, c);
            } else {
              const px = Math.round(x + u);
              this.span(Math.round(y + v + s), px, px + scale - 1, c);
            }
          }
        }
      }
      pen += ADVANCE;
    }
  }
}
