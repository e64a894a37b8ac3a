/**
 * Renders what Gymnasium draws on its 1000×800 pygame surface, already reduced to
 * the output size (96×96 state, 600×400 video), without ever holding the big surface.
 *
 * Each polygon is scan-converted with the integer rules of the pygame call that
 * draws it (SDL_gfx `filledPolygon` for the track and grass, pygame's
 * `draw.polygon` for the car and the indicators) into horizontal spans of the
 * 1000×800 surface: exactly the pixels pygame sets. Per surface row the spans are
 * resolved front to back (what is painted later hides what is under it) and only
 * their visible parts are integrated into the output pixels they overlap, which is
 * the area average `pygame.transform.smoothscale` computes when shrinking. Its
 * 16.16 fixed-point truncation is applied through per-row/column lookup tables (for
 * 1000→96 and 800→96 each pass is max(v − 1, 0), so the pair becomes max(v − 2, 0)),
 * so uniform areas come out byte-exact. Cost: O(visible span pieces + output pixels).
 *
 * With `rowsPerPixel` > 0 only that many evenly spaced surface rows per output row are
 * scanned (rows from `exactFromRow` down are all scanned): fewer spans, a little
 * vertical sampling error.
 *
 * Not reproduced: `gfxdraw.aapolygon`'s antialiased outline (its half-pixel fringe is
 * ~0.05 output pixels at 96×96).
 */
export const SRC_W = 1000;
export const SRC_H = 800;

/** pygame's `filter_shrink_X/Y` (16.16 fixed point) on a constant line of value v, per output index. */
function shrinkTable(src: number, dst: number): Uint8Array[] {
  const tables: Uint8Array[] = [];
  for (let i = 0; i < dst; i++) tables.push(new Uint8Array(256));
  if (dst >= src) {
    for (const t of tables) for (let v = 0; v < 256; v++) t[v] = v;
    return tables;
  }
  const space = Math.floor((0x10000 * src) / dst);
  const recip = Math.floor(0x100000000 / space);
  for (let v = 0; v < 256; v++) {
    let acc = 0;
    let counter = space;
    let o = 0;
    for (let x = 0; x < src; x++) {
      if (counter > 0x10000) {
        acc += v;
        counter -= 0x10000;
      } else {
        const frac = 0x10000 - counter;
        const out = Math.floor(((acc + Math.floor((v * counter) / 65536)) * recip) / 65536);
        if (o < dst) tables[o]![v] = out & 0xff;
        o++;
        acc = Math.floor((v * frac) / 65536);
        counter = space - frac;
      }
    }
  }
  return tables;
}

export class SpanRaster {
  readonly out: Uint8Array;
  private cap = 64;
  private readonly counts: Int32Array;
  private x0: Float64Array;
  private x1: Float64Array;
  private col: Int32Array;
  private readonly acc: Float64Array;
  private readonly diff: Float64Array;
  private readonly sx: number;
  /** Per surface row: first output row, its weight, and the second row's weight (rows straddle at most 2). */
  private readonly rowOut: Int32Array;
  private readonly rowW0: Float64Array;
  private readonly rowW1: Float64Array;
  /** Flattened [index * 256 + value] shrink tables for columns and rows. */
  private readonly tx: Uint8Array;
  private readonly ty: Uint8Array;
  /** When ≥ 0, the tables reduce to subtracting this (clamped at 0). */
  private readonly bias: number;
  // Resolve scratch: covered intervals, sorted.
  private cs = new Float64Array(256);
  private ce = new Float64Array(256);
  private readonly ints = new Int32Array(64);
  private readonly vx = new Int32Array(64);
  private readonly vy = new Int32Array(64);

  /** Source row → sample index, or −1 for rows not sampled. */
  private readonly rowToSample = new Int32Array(SRC_H).fill(-1);
  /** Final row R → the first sampled row ≥ R (SRC_H if none); and the first sampled row ≤ R (−1 if none). */
  private readonly nextUp = new Int32Array(SRC_H + 1);
  private readonly nextDown = new Int32Array(SRC_H + 1);
  private readonly nSamples: number;

  /**
   * `rowsPerPixel` 0 scans every one of the 800 surface rows (exact); n > 0 scans n
   * evenly spaced surface rows per output row, each weighing 1/n (n× fewer spans).
   */
  constructor(readonly width: number, readonly height: number, rowsPerPixel = 0, exactFromRow = height) {
    this.out = new Uint8Array(width * height * 3);
    if (rowsPerPixel <= 0) exactFromRow = 0;
    // Surface rows from which every row is scanned (the indicator bar: thin bars and the score).
    const exactSrc = Math.ceil((exactFromRow * SRC_H) / height);
    const nSampled = exactFromRow * Math.max(rowsPerPixel, 0);
    const ns = nSampled + (SRC_H - exactSrc);
    this.nSamples = ns;
    this.counts = new Int32Array(ns);
    this.x0 = new Float64Array(ns * this.cap);
    this.x1 = new Float64Array(ns * this.cap);
    this.col = new Int32Array(ns * this.cap);
    this.acc = new Float64Array(width * height * 3);
    this.diff = new Float64Array((width + 1) * height * 3);
    this.sx = width / SRC_W;
    const sy = height / SRC_H;
    this.rowOut = new Int32Array(ns);
    this.rowW0 = new Float64Array(ns);
    this.rowW1 = new Float64Array(ns);
    for (let i = 0; i < nSampled; i++) {
      const j = Math.floor(((i + 0.5) * SRC_H) / (height * rowsPerPixel));
      this.rowToSample[j] = i;
      this.rowOut[i] = Math.floor(i / rowsPerPixel);
      this.rowW0[i] = 1 / rowsPerPixel;
      this.rowW1[i] = 0;
    }
    for (let j = exactSrc; j < SRC_H; j++) {
      const i = nSampled + j - exactSrc;
      this.rowToSample[j] = i;
      const a = j * sy;
      const b = (j + 1) * sy;
      const r = Math.floor(a);
      this.rowOut[i] = r;
      const split = r + 1;
      if (b > split && split < height) {
        this.rowW0[i] = split - a;
        this.rowW1[i] = b - split;
      } else {
        this.rowW0[i] = b - a;
        this.rowW1[i] = 0;
      }
    }
    let nxt = SRC_H;
    this.nextUp[SRC_H] = SRC_H;
    for (let R = SRC_H - 1; R >= 0; R--) {
      if (this.rowToSample[R]! >= 0) nxt = R;
      this.nextUp[R] = nxt;
    }
    let prv = -1;
    for (let R = 0; R < SRC_H; R++) {
      if (this.rowToSample[R]! >= 0) prv = R;
      this.nextDown[R] = prv;
    }
    this.tx = flatten(shrinkTable(SRC_W, width));
    this.ty = flatten(shrinkTable(SRC_H, height));
    // Shrinking 1000→96 and 800→96 each pass maps v to max(v − 1, 0) for every column/row:
    // then the pair is just max(v − 2, 0), without lookups.
    const minusOne = (t: Uint8Array) => t.every((u, i) => u === Math.max((i & 255) - 1, 0));
    this.bias = minusOne(this.tx) && minusOne(this.ty) ? 2 : -1;
  }

  /**
   * Final rows from this one down are known to be painted over completely after the
   * flip (CarRacing's indicator bar): polygons drawn before the flip skip them.
   */
  occludedFrom = SRC_H;

  clear(): void {
    this.counts.fill(0);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const ns = this.nSamples;
    const x0 = new Float64Array(ns * cap);
    const x1 = new Float64Array(ns * cap);
    const col = new Int32Array(ns * cap);
    for (let j = 0; j < ns; j++) {
      const n = this.counts[j]!;
      x0.set(this.x0.subarray(j * this.cap, j * this.cap + n), j * cap);
      x1.set(this.x1.subarray(j * this.cap, j * this.cap + n), j * cap);
      col.set(this.col.subarray(j * this.cap, j * this.cap + n), j * cap);
    }
    this.cap = cap;
    this.x0 = x0;
    this.x1 = x1;
    this.col = col;
  }

  /** Surface pixels xa..xb (inclusive) of surface row `row` (after the flip), painted with rgb. */
  private span(srcRow: number, xa: number, xb: number, rgb: number): void {
    if (srcRow < 0 || srcRow >= SRC_H) return;
    const row = this.rowToSample[srcRow]!;
    if (row < 0) return;
    if (xa < 0) xa = 0;
    if (xb > SRC_W - 1) xb = SRC_W - 1;
    if (xb < xa) return;
    let n = this.counts[row]!;
    if (n >= this.cap) this.grow();
    const k = row * this.cap + n;
    this.x0[k] = xa;
    this.x1[k] = xb + 1;
    this.col[k] = rgb;
    this.counts[row] = n + 1;
  }

  /**
   * SDL_gfx `filledPolygonRGBA` (pygame.gfxdraw.filled_polygon) on the surface before
   * the vertical flip; coordinates are truncated to integers as pygame passes them.
   * `flip` maps surface row y to 799 − y (everything drawn before the flip).
   */
  gfxPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, rgb: number, flip: boolean): void {
    const vx = this.vx;
    const vy = this.vy;
    let miny = Infinity;
    let maxy = -Infinity;
    let minx = Infinity;
    let maxx = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = Math.trunc(xs[i]!);
      const y = Math.trunc(ys[i]!);
      // Sint16 as SDL_gfx takes them.
      vx[i] = (x << 16) >> 16;
      vy[i] = (y << 16) >> 16;
      if (vy[i]! < miny) miny = vy[i]!;
      if (vy[i]! > maxy) maxy = vy[i]!;
      if (vx[i]! < minx) minx = vx[i]!;
      if (vx[i]! > maxx) maxx = vx[i]!;
    }
    if (maxx < 0 || minx >= SRC_W) return;
    const y0 = Math.max(miny, flip ? SRC_H - this.occludedFrom : 0);
    const y1 = Math.min(maxy, SRC_H - 1);
    const ints = this.ints;
    const r2s = this.rowToSample;
    for (let y = y0; y <= y1; y++) {
      if (r2s[flip ? SRC_H - 1 - y : y]! < 0) {
        // Jump to the next sampled surface row.
        const ny = flip ? SRC_H - 1 - this.nextDown[SRC_H - 1 - y]! : this.nextUp[y]!;
        if (ny > y1) break;
        y = ny;
      }
      let m = 0;
      for (let i = 0; i < n; i++) {
        const i1 = i === 0 ? n - 1 : i - 1;
        const i2 = i;
        let ya = vy[i1]!;
        let yb = vy[i2]!;
        let xa: number;
        let xb: number;
        if (ya < yb) {
          xa = vx[i1]!;
          xb = vx[i2]!;
        } else if (ya > yb) {
          yb = vy[i1]!;
          ya = vy[i2]!;
          xb = vx[i1]!;
          xa = vx[i2]!;
        } else continue;
        if ((y >= ya && y < yb) || (y === maxy && y > ya && y <= yb)) {
          // ((65536 * (y - y1)) / (y2 - y1)) * (x2 - x1) + (65536 * x1), C int arithmetic.
          ints[m++] = (Math.trunc((65536 * (y - ya)) / (yb - ya)) * (xb - xa) + 65536 * xa) | 0;
        }
      }
      sortSmall(ints, m);
      const row = flip ? SRC_H - 1 - y : y;
      for (let i = 0; i + 1 < m; i += 2) {
        let xa = ints[i]! + 1;
        xa = (xa >> 16) + ((xa & 32768) >> 15);
        let xb = ints[i + 1]! - 1;
        xb = (xb >> 16) + ((xb & 32768) >> 15);
        this.span(row, xa, xb, rgb);
      }
    }
  }

  /** pygame's `draw.polygon` (draw_fillpoly) fill rule; `flip` as in gfxPolygon. */
  drawPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, rgb: number, flip: boolean): void {
    const vx = this.vx;
    const vy = this.vy;
    let miny = Infinity;
    let maxy = -Infinity;
    let minx = Infinity;
    let maxx = -Infinity;
    for (let i = 0; i < n; i++) {
      vx[i] = Math.trunc(xs[i]!);
      vy[i] = Math.trunc(ys[i]!);
      if (vy[i]! < miny) miny = vy[i]!;
      if (vy[i]! > maxy) maxy = vy[i]!;
      if (vx[i]! < minx) minx = vx[i]!;
      if (vx[i]! > maxx) maxx = vx[i]!;
    }
    if (maxx < 0 || minx >= SRC_W) return;
    if (miny === maxy) {
      // Polygon only 1 pixel high.
      this.span(flip ? SRC_H - 1 - miny : miny, minx, maxx, rgb);
      return;
    }
    const ints = this.ints;
    const y0 = Math.max(miny, flip ? SRC_H - this.occludedFrom : 0);
    const y1 = Math.min(maxy, SRC_H - 1);
    const r2s = this.rowToSample;
    for (let y = y0; y <= y1; y++) {
      if (r2s[flip ? SRC_H - 1 - y : y]! < 0) {
        const ny = flip ? SRC_H - 1 - this.nextDown[SRC_H - 1 - y]! : this.nextUp[y]!;
        if (ny > y1) break;
        y = ny;
      }
      let m = 0;
      for (let i = 0; i < n; i++) {
        const ip = i === 0 ? n - 1 : i - 1;
        let ya = vy[ip]!;
        let yb = vy[i]!;
        let xa: number;
        let xb: number;
        if (ya < yb) {
          xa = vx[ip]!;
          xb = vx[i]!;
        } else if (ya > yb) {
          yb = vy[ip]!;
          ya = vy[i]!;
          xb = vx[ip]!;
          xa = vx[i]!;
        } else continue;
        if ((y >= ya && y < yb) || (y === maxy && y === yb)) {
          ints[m++] = Math.trunc(((y - ya) * (xb - xa)) / (yb - ya)) + xa;
        }
      }
      sortSmall(ints, m);
      const row = flip ? SRC_H - 1 - y : y;
      for (let i = 0; i + 1 < m; i += 2) this.span(row, ints[i]!, ints[i + 1]!, rgb);
    }
    // A horizontal line for each horizontal edge, to fix rounding.
    for (let i = 0; i < n; i++) {
      const ip = i === 0 ? n - 1 : i - 1;
      const y = vy[i]!;
      if (miny < y && vy[ip] === y && y < maxy) {
        const a = Math.min(vx[i]!, vx[ip]!);
        const b = Math.max(vx[i]!, vx[ip]!);
        this.span(flip ? SRC_H - 1 - y : y, a, b, rgb);
      }
    }
  }

  /** Resolves all spans into `out` (RGB bytes, row-major). */
  resolve(): Uint8Array {
    const W = this.width;
    const Hh = this.height;
    const acc = this.acc;
    const diff = this.diff;
    const sx = this.sx;
    const cap = this.cap;
    const X0 = this.x0;
    const X1 = this.x1;
    const COL = this.col;
    const counts = this.counts;
    const W1 = W + 1;
    for (let j = 0; j < this.nSamples; j++) {
      const n = counts[j]!;
      if (n === 0) continue;
      const r0 = this.rowOut[j]!;
      const w0 = this.rowW0[j]!;
      const w1 = this.rowW1[j]!;
      const ao0 = r0 * W * 3;
      const d0 = r0 * W1 * 3;
      let cs = this.cs;
      let ce = this.ce;
      let nc = 0;
      const base = j * cap;
      for (let s = base + n - 1; s >= base; s--) {
        const a = X0[s]!;
        const b = X1[s]!;
        const rgb = COL[s]!;
        const rr = (rgb >> 16) & 255;
        const gg = (rgb >> 8) & 255;
        const bb = rgb & 255;
        // Visible parts of [a, b): the gaps between covered intervals.
        let k = 0;
        while (k < nc && ce[k]! <= a) k++;
        const lo = k;
        let cur = a;
        while (cur < b) {
          if (k < nc && cs[k]! <= cur) {
            cur = ce[k]!;
            k++;
            continue;
          }
          const end = k < nc && cs[k]! < b ? cs[k]! : b;
          if (end > cur) {
            const pa = cur * sx;
            const pb = end * sx;
            if (w1 > 0) {
              this.emit(ao0, d0, pa, pb, w0, rr, gg, bb);
              this.emit(ao0 + W * 3, d0 + W1 * 3, pa, pb, w1, rr, gg, bb);
            } else {
              // emit(), inlined for the common single-row case.
              const ia = Math.floor(pa);
              const ib = Math.floor(pb);
              let i = ao0 + ia * 3;
              if (ia === ib) {
                const c = (pb - pa) * w0;
                acc[i] += c * rr;
                acc[i + 1] += c * gg;
                acc[i + 2] += c * bb;
              } else {
                let c = (ia + 1 - pa) * w0;
                acc[i] += c * rr;
                acc[i + 1] += c * gg;
                acc[i + 2] += c * bb;
                const ds = d0 + (ia + 1) * 3;
                const wr = w0 * rr;
                const wg = w0 * gg;
                const wb = w0 * bb;
                diff[ds] += wr;
                diff[ds + 1] += wg;
                diff[ds + 2] += wb;
                const de = d0 + ib * 3;
                diff[de] -= wr;
                diff[de + 1] -= wg;
                diff[de + 2] -= wb;
                if (pb > ib && ib < W) {
                  c = (pb - ib) * w0;
                  i = ao0 + ib * 3;
                  acc[i] += c * rr;
                  acc[i + 1] += c * gg;
                  acc[i + 2] += c * bb;
                }
              }
            }
          }
          cur = end;
        }
        // Merge [a, b) into the covered list: intervals lo.. that start at or before b overlap or touch it.
        let hi = lo;
        let na = a;
        let nb = b;
        while (hi < nc && cs[hi]! <= b) {
          if (cs[hi]! < na) na = cs[hi]!;
          if (ce[hi]! > nb) nb = ce[hi]!;
          hi++;
        }
        const removed = hi - lo;
        if (removed === 0) {
          if (nc + 1 > cs.length) {
            this.growCovered();
            cs = this.cs;
            ce = this.ce;
          }
          for (let m = nc; m > lo; m--) {
            cs[m] = cs[m - 1]!;
            ce[m] = ce[m - 1]!;
          }
          nc++;
        } else if (removed > 1) {
          const shift = removed - 1;
          for (let m = lo + 1; m + shift < nc; m++) {
            cs[m] = cs[m + shift]!;
            ce[m] = ce[m + shift]!;
          }
          nc -= shift;
        }
        cs[lo] = na;
        ce[lo] = nb;
        if (nc === 1 && na <= 0 && nb >= SRC_W) break;
      }
    }
    // Integrate the runs, then pygame's fixed-point truncation through the tables.
    const out = this.out;
    const TX = this.tx;
    const TY = this.ty;
    const bias = this.bias;
    if (bias >= 0) {
      const off = 0.5 - bias;
      for (let r = 0; r < Hh; r++) {
        let runR = 0;
        let runG = 0;
        let runB = 0;
        let i = r * W * 3;
        let d = r * W1 * 3;
        for (let x = 0; x < W; x++, i += 3, d += 3) {
          runR += diff[d]!;
          runG += diff[d + 1]!;
          runB += diff[d + 2]!;
          diff[d] = 0;
          diff[d + 1] = 0;
          diff[d + 2] = 0;
          // Uint8Array stores wrap rather than clamp: clamp explicitly.
          let v = Math.floor(acc[i]! + runR + off);
          out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
          v = Math.floor(acc[i + 1]! + runG + off);
          out[i + 1] = v < 0 ? 0 : v > 255 ? 255 : v;
          v = Math.floor(acc[i + 2]! + runB + off);
          out[i + 2] = v < 0 ? 0 : v > 255 ? 255 : v;
          acc[i] = 0;
          acc[i + 1] = 0;
          acc[i + 2] = 0;
        }
        // The run's closing entries at column W.
        diff[d] = 0;
        diff[d + 1] = 0;
        diff[d + 2] = 0;
      }
      return out;
    }
    for (let r = 0; r < Hh; r++) {
      const ty = r * 256;
      let runR = 0;
      let runG = 0;
      let runB = 0;
      let i = r * W * 3;
      let d = r * W1 * 3;
      for (let x = 0; x < W; x++, i += 3, d += 3) {
        runR += diff[d]!;
        runG += diff[d + 1]!;
        runB += diff[d + 2]!;
        const tx = x * 256;
        let v = (acc[i]! + runR + 0.5) | 0;
        out[i] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
        v = (acc[i + 1]! + runG + 0.5) | 0;
        out[i + 1] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
        v = (acc[i + 2]! + runB + 0.5) | 0;
        out[i + 2] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
      }
    }
    acc.fill(0);
    diff.fill(0);
    return out;
  }

  private growCovered(): void {
    const cs = new Float64Array(this.cs.length * 2);
    const ce = new Float64Array(this.ce.length * 2);
    cs.set(this.cs);
    ce.set(this.ce);
    this.cs = cs;
    this.ce = ce;
  }

  /** Adds colour × weight × coverage of output columns [pa, pb) of one output row. */
  private emit(ao: number, d: number, pa: number, pb: number, w: number, r: number, g: number, b: number): void {
    const acc = this.acc;
    const ia = Math.floor(pa);
    const ib = Math.floor(pb);
    if (ia === ib) {
      const c = (pb - pa) * w;
      const i = ao + ia * 3;
      acc[i] += c * r;
      acc[i + 1] += c * g;
      acc[i + 2] += c * b;
      return;
    }
    let c = (ia + 1 - pa) * w;
    let i = ao + ia * 3;
    acc[i] += c * r;
    acc[i + 1] += c * g;
    acc[i + 2] += c * b;
    const diff = this.diff;
    const s = d + (ia + 1) * 3;
    diff[s] += w * r;
    diff[s + 1] += w * g;
    diff[s + 2] += w * b;
    const e = d + ib * 3;
    diff[e] -= w * r;
    diff[e + 1] -= w * g;
    diff[e + 2] -= w * b;
    if (pb > ib && ib < this.width) {
      c = (pb - ib) * w;
      i = ao + ib * 3;
      acc[i] += c * r;
      acc[i + 1] += c * g;
      acc[i + 2] += c * b;
    }
  }
}

function flatten(tables: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(tables.length * 256);
  tables.forEach((t, i) => out.set(t, i * 256));
  return out;
}

/** Insertion sort: a handful of intersections per scanline. */
function sortSmall(a: Int32Array, n: number): void {
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

export function rgbInt(r: number, g: number, b: number): number {
  return ((r & 255) << 16) | ((g & 255) << 8) | (b & 255);
}
