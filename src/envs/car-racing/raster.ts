/**
 * Renders what Gymnasium draws on its 1000×800 pygame surface, already reduced to
 * the output size (96×96 state, 600×400 video), without ever holding the big surface.
 *
 * Each polygon is scan-converted with the integer rules of the pygame call that
 * draws it (SDL_gfx `filledPolygon` for the track and grass, pygame's
 * `draw.polygon` for the car and the indicators) into horizontal spans of the
 * 1000×800 surface: exactly the pixels pygame sets. Per surface row the spans are
 * resolved front to back (what is painted later hides what is under it) into visible
 * pieces, and only those are integrated into the output pixels they overlap, which is
 * the area average `pygame.transform.smoothscale` computes when shrinking. Its
 * 16.16 fixed-point truncation is applied through per-row/column lookup tables (for
 * 1000→96 and 800→96 each pass is max(v − 1, 0), so the pair becomes max(v − 2, 0)),
 * so uniform areas come out byte-exact. Cost: O(visible span pieces + output pixels).
 *
 * How the pieces reach the pixels:
 * - an output row made by one scanned surface row of weight 1 (the state view with
 *   `rowsPerPixel` 1) is written directly, left to right: whole pixels take the colour,
 *   boundary pixels the area average;
 * - otherwise pieces are added as differences (Int32, 16.16 fixed point, each full
 *   pixel's share rounded once so runs telescope exactly) into a per-row buffer that one
 *   running sum per channel integrates at the end;
 * - consecutive scanned rows with identical spans (the indicator bar's rectangles, the
 *   car's straight sides) are resolved once, their weights summed per output row.
 *
 * With `rowsPerPixel` > 0 only that many evenly spaced surface rows per output row are
 * scanned (rows from `exactFromRow` down are all scanned): fewer spans, a little
 * vertical sampling error.
 *
 * Not reproduced: `gfxdraw.aapolygon`'s antialiased outline (its half-pixel fringe is
 * ~0.05 output pixels at 96×96).
 *
 * Built on the shared raster core (media/raster.ts): packed colours, the edge table, the
 * crossing sort and the word-wise solid run fill. The scan conversion and the area resolve stay here: they
 * follow pygame's integer rules on the virtual surface, which no pixel raster reproduces.
 */
import { buildEdges, fillRun, sortCrossings, wordView } from "../../media/raster.js";

export const SRC_W = 1000;
/** Accumulation is in 16.16 fixed point (Int32): colour × coverage × weight, rounded per piece. */
const FIX_BITS = 16;
const FIX = 1 << FIX_BITS;
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
  /** Per output row (W + 1) × RGB differences: a pixel's value is the running sum of its row up to it. */
  private readonly diff: Int32Array;
  /** `out` viewed as little-endian words (writeRow's long runs), or null on a big-endian machine. */
  private readonly out32: Uint32Array | null;
  /** `out` viewed as clamped bytes. */
  private readonly outClamped: Uint8ClampedArray;
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
  // Visible pieces of one row: output columns [pa, pb) and colour.
  private pa = new Float64Array(256);
  private pb = new Float64Array(256);
  private pc = new Int32Array(256);
  private order = new Int32Array(256);
  /** Output rows made by exactly one sampled surface row of weight 1 (written directly by resolve). */
  private readonly direct: Uint8Array;
  /** Rows writeRow() produced in this resolve (integration skips them). */
  private readonly written: Uint8Array;
  /** Summed row weight per output row of the group being resolved. */
  private readonly groupW: Float64Array;
  private readonly quadX = new Float64Array(4);
  private readonly quadY = new Float64Array(4);
  private readonly vx = new Int32Array(64);
  private readonly vy = new Int32Array(64);
  // The loaded polygon's bounds and non-horizontal edges, top end first (see loadPolygon).
  private minX = 0;
  private maxX = 0;
  private minY = 0;
  private maxY = 0;
  private edges = 0;
  private readonly eya = new Int32Array(64);
  private readonly eyb = new Int32Array(64);
  private readonly exa = new Int32Array(64);
  private readonly exb = new Int32Array(64);

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
  constructor(
    readonly width: number,
    readonly height: number,
    rowsPerPixel = 0,
    exactFromRow = height,
  ) {
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
    this.groupW = new Float64Array(height + 1);
    this.out32 = wordView(this.out);
    this.outClamped = new Uint8ClampedArray(this.out.buffer, this.out.byteOffset, this.out.length);
    this.diff = new Int32Array((width + 1) * height * 3);
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
    // Rows fed by a single sampled row of weight 1 (sampled rows with rowsPerPixel 1).
    const feeds = new Int32Array(height + 1);
    for (let i = 0; i < ns; i++) {
      feeds[this.rowOut[i]!]!++;
      if (this.rowW1[i]! > 0) feeds[this.rowOut[i]! + 1]!++;
    }
    this.direct = new Uint8Array(height);
    this.written = new Uint8Array(height);
    if (this.bias >= 0) {
      for (let i = 0; i < ns; i++) {
        const r = this.rowOut[i]!;
        if (feeds[r] === 1 && this.rowW0[i] === 1 && this.rowW1[i] === 0) this.direct[r] = 1;
      }
    }
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
    const n = this.counts[row]!;
    if (n >= this.cap) this.grow();
    const k = row * this.cap + n;
    this.x0[k] = xa;
    this.x1[k] = xb + 1;
    this.col[k] = rgb;
    this.counts[row] = n + 1;
  }

  /**
   * Loads the polygon's vertices truncated to integers as pygame passes them (`sint16`:
   * also wrapped to 16 bits, as SDL_gfx takes them), their bounds, and the table of its
   * non-horizontal edges, top end first, in vertex order. Returns false when the polygon
   * lies left or right of the surface.
   */
  private loadPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, sint16: boolean): boolean {
    const vx = this.vx;
    const vy = this.vy;
    let miny = Infinity;
    let maxy = -Infinity;
    let minx = Infinity;
    let maxx = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = Math.trunc(xs[i]!);
      const y = Math.trunc(ys[i]!);
      vx[i] = sint16 ? (x << 16) >> 16 : x;
      vy[i] = sint16 ? (y << 16) >> 16 : y;
      if (vy[i]! < miny) miny = vy[i]!;
      if (vy[i]! > maxy) maxy = vy[i]!;
      if (vx[i]! < minx) minx = vx[i]!;
      if (vx[i]! > maxx) maxx = vx[i]!;
    }
    this.minX = minx;
    this.maxX = maxx;
    this.minY = miny;
    this.maxY = maxy;
    if (maxx < 0 || minx >= SRC_W) return false;
    this.edges = buildEdges(vx, vy, n, this.eya, this.eyb, this.exa, this.exb);
    return true;
  }

  /** The first surface row from `y` on (in drawing order) that is scanned; past the end when none. */
  private scannedFrom(y: number, flip: boolean): number {
    if (y >= SRC_H || this.rowToSample[flip ? SRC_H - 1 - y : y]! >= 0) return y;
    return flip ? SRC_H - 1 - this.nextDown[SRC_H - 1 - y]! : this.nextUp[y]!;
  }

  /**
   * SDL_gfx `filledPolygonRGBA` (pygame.gfxdraw.filled_polygon) on the surface before
   * the vertical flip; coordinates are truncated to integers as pygame passes them.
   * `flip` maps surface row y to 799 − y (everything drawn before the flip).
   */
  gfxPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, rgb: number, flip: boolean): void {
    if (!this.loadPolygon(xs, ys, n, true)) return;
    const maxy = this.maxY;
    const y1 = Math.min(maxy, SRC_H - 1);
    const ints = this.ints;
    const eya = this.eya;
    const eyb = this.eyb;
    const exa = this.exa;
    const exb = this.exb;
    const ne = this.edges;
    for (let y = this.scannedFrom(Math.max(this.minY, flip ? SRC_H - this.occludedFrom : 0), flip); y <= y1; y = this.scannedFrom(y + 1, flip)) {
      let m = 0;
      for (let e = 0; e < ne; e++) {
        const ya = eya[e]!;
        const yb = eyb[e]!;
        if ((y >= ya && y < yb) || (y === maxy && y > ya && y <= yb)) {
          // ((65536 * (y - y1)) / (y2 - y1)) * (x2 - x1) + (65536 * x1), C int arithmetic.
          const xa = exa[e]!;
          ints[m++] = (Math.trunc((65536 * (y - ya)) / (yb - ya)) * (exb[e]! - xa) + 65536 * xa) | 0;
        }
      }
      sortCrossings(ints, m);
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
    if (!this.loadPolygon(xs, ys, n, false)) return;
    const vx = this.vx;
    const vy = this.vy;
    const { minX: minx, maxX: maxx, minY: miny, maxY: maxy } = this;
    if (miny === maxy) {
      // Polygon only 1 pixel high.
      this.span(flip ? SRC_H - 1 - miny : miny, minx, maxx, rgb);
      return;
    }
    const y0 = Math.max(miny, flip ? SRC_H - this.occludedFrom : 0);
    const y1 = Math.min(maxy, SRC_H - 1);
    if (
      n === 4 &&
      ((vy[0] === vy[1] && vx[1] === vx[2] && vy[2] === vy[3] && vx[3] === vx[0]) || (vx[0] === vx[1] && vy[1] === vy[2] && vx[2] === vx[3] && vy[3] === vy[0]))
    ) {
      // Axis-aligned rectangle (the indicators, the score): the rule fills minx..maxx on every row.
      for (let y = y0; y <= y1; y++) this.span(flip ? SRC_H - 1 - y : y, minx, maxx, rgb);
      return;
    }
    const ints = this.ints;
    const eya = this.eya;
    const eyb = this.eyb;
    const exa = this.exa;
    const exb = this.exb;
    const ne = this.edges;
    for (let y = this.scannedFrom(y0, flip); y <= y1; y = this.scannedFrom(y + 1, flip)) {
      let m = 0;
      for (let e = 0; e < ne; e++) {
        const ya = eya[e]!;
        const yb = eyb[e]!;
        if ((y >= ya && y < yb) || (y === maxy && y === yb)) {
          const xa = exa[e]!;
          ints[m++] = Math.trunc(((y - ya) * (exb[e]! - xa)) / (yb - ya)) + xa;
        }
      }
      sortCrossings(ints, m);
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

  /** `drawPolygon` of the quadrilateral (x0, y0) … (x3, y3). */
  drawQuad(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, x3: number, y3: number, rgb: number, flip: boolean): void {
    const qx = this.quadX;
    const qy = this.quadY;
    qx[0] = x0;
    qy[0] = y0;
    qx[1] = x1;
    qy[1] = y1;
    qx[2] = x2;
    qy[2] = y2;
    qx[3] = x3;
    qy[3] = y3;
    this.drawPolygon(qx, qy, 4, rgb, flip);
  }

  /** Resolves all spans into `out` (RGB bytes, row-major). */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: pygame's smoothscale shrink, specialised for the 96×96 state beside the table path (see CONTRIBUTING's duplicate pairs); splitting it costs the hot loop
  resolve(): Uint8Array {
    const W = this.width;
    const Hh = this.height;
    const diff = this.diff;
    const counts = this.counts;
    const W1 = W + 1;
    const out = this.out;
    const direct = this.direct;
    const written = this.written;
    const wRow = this.groupW;
    const PA = this.pa;
    const PB = this.pb;
    const PC = this.pc;
    const rowOut = this.rowOut;
    const rowW0 = this.rowW0;
    const rowW1 = this.rowW1;
    // Consecutive sampled rows with identical spans (the indicator bar's rectangles, black
    // rows) are resolved once; their weights are summed per output row and emitted together.
    let group = -1;
    let np = 0;
    let g0 = Hh;
    let g1 = -1;
    for (let j = 0; j <= this.nSamples; j++) {
      const last = j === this.nSamples;
      if (!last) {
        if (counts[j] === 0) continue;
        if (group >= 0 && this.sameSpans(group, j)) {
          const r0 = rowOut[j]!;
          wRow[r0]! += rowW0[j]!;
          if (r0 < g0) g0 = r0;
          if (r0 > g1) g1 = r0;
          const w1 = rowW1[j]!;
          if (w1 > 0) {
            wRow[r0 + 1]! += w1;
            if (r0 + 1 > g1) g1 = r0 + 1;
          }
          continue;
        }
      }
      // Emit the finished group's pieces into each output row it covers; a row this group
      // alone makes (weight 1) is written directly, or copied from the first such row.
      let src = -1;
      for (let r = g0; r <= g1; r++) {
        const w = wRow[r]!;
        if (w === 0) continue;
        wRow[r] = 0;
        if (w === 1 && direct[r] === 1) {
          if (src < 0) {
            this.writeRow(r, np);
            src = r;
          } else {
            out.copyWithin(r * W * 3, src * W * 3, (src + 1) * W * 3);
          }
          written[r] = 1;
          continue;
        }
        const d0 = r * W1 * 3;
        const wf = w * FIX;
        for (let p = 0; p < np; p++) {
          const pa = PA[p]!;
          const pb = PB[p]!;
          const rgb = PC[p]!;
          const fr = ((rgb >> 16) & 255) * wf;
          const fg = ((rgb >> 8) & 255) * wf;
          const fb = (rgb & 255) * wf;
          const ia = Math.floor(pa);
          const ib = Math.floor(pb);
          const i = d0 + ia * 3;
          if (ia === ib) {
            const c = pb - pa;
            let q = (c * fr + 0.5) | 0;
            diff[i]! += q;
            diff[i + 3]! -= q;
            q = (c * fg + 0.5) | 0;
            diff[i + 1]! += q;
            diff[i + 4]! -= q;
            q = (c * fb + 0.5) | 0;
            diff[i + 2]! += q;
            diff[i + 5]! -= q;
          } else {
            // First partial pixel, the full pixels up to ib (a run), the last partial pixel;
            // a full pixel's share is rounded once so the run telescopes exactly.
            const c1 = ia + 1 - pa;
            const c2 = pb - ib;
            const e = d0 + ib * 3;
            const inRow = ib < W;
            let qw = (fr + 0.5) | 0;
            let q = (c1 * fr + 0.5) | 0;
            diff[i]! += q;
            diff[i + 3]! += qw - q;
            q = (c2 * fr + 0.5) | 0;
            diff[e]! += q - qw;
            if (inRow) diff[e + 3]! -= q;
            qw = (fg + 0.5) | 0;
            q = (c1 * fg + 0.5) | 0;
            diff[i + 1]! += q;
            diff[i + 4]! += qw - q;
            q = (c2 * fg + 0.5) | 0;
            diff[e + 1]! += q - qw;
            if (inRow) diff[e + 4]! -= q;
            qw = (fb + 0.5) | 0;
            q = (c1 * fb + 0.5) | 0;
            diff[i + 2]! += q;
            diff[i + 5]! += qw - q;
            q = (c2 * fb + 0.5) | 0;
            diff[e + 2]! += q - qw;
            if (inRow) diff[e + 5]! -= q;
          }
        }
      }
      if (last) break;
      group = j;
      np = this.visiblePieces(j);
      const r0 = rowOut[j]!;
      wRow[r0]! += rowW0[j]!;
      g0 = r0;
      g1 = r0;
      const w1 = rowW1[j]!;
      if (w1 > 0) {
        wRow[r0 + 1]! += w1;
        g1 = r0 + 1;
      }
    }
    // Integrate the rows (one running sum per channel), then pygame's fixed-point truncation.
    const bias = this.bias;
    if (bias >= 0) {
      // floor(v + 0.5 − bias) by an arithmetic shift; the clamped view clamps it to 0..255.
      const outc = this.outClamped;
      const off = (0.5 - bias) * FIX;
      for (let r = 0; r < Hh; r++) {
        if (written[r] === 1) {
          written[r] = 0;
          continue;
        }
        let runR = off;
        let runG = off;
        let runB = off;
        let i = r * W * 3;
        let d = r * W1 * 3;
        for (let x = 0; x < W; x++, i += 3, d += 3) {
          runR = (runR + diff[d]!) | 0;
          runG = (runG + diff[d + 1]!) | 0;
          runB = (runB + diff[d + 2]!) | 0;
          outc[i] = runR >> FIX_BITS;
          outc[i + 1] = runG >> FIX_BITS;
          outc[i + 2] = runB >> FIX_BITS;
        }
      }
    } else {
      const TX = this.tx;
      const TY = this.ty;
      const half = FIX / 2;
      for (let r = 0; r < Hh; r++) {
        const ty = r * 256;
        let runR = half;
        let runG = half;
        let runB = half;
        let i = r * W * 3;
        let d = r * W1 * 3;
        for (let x = 0; x < W; x++, i += 3, d += 3) {
          runR = (runR + diff[d]!) | 0;
          runG = (runG + diff[d + 1]!) | 0;
          runB = (runB + diff[d + 2]!) | 0;
          const tx = x * 256;
          let v = runR >> FIX_BITS;
          out[i] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
          v = runG >> FIX_BITS;
          out[i + 1] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
          v = runB >> FIX_BITS;
          out[i + 2] = TY[ty + TX[tx + (v < 0 ? 0 : v > 255 ? 255 : v)]!]!;
        }
      }
    }
    diff.fill(0);
    return out;
  }

  /**
   * Writes output row r from the np visible pieces of the one surface row that makes it
   * (weight 1): pixels inside a piece take its colour, boundary pixels the area average.
   * Same values as integrating the pieces (max(floor(v + 0.5 − bias), 0)), without `diff`.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: SDL_gfx's scanline fill rules, ported line for line so the state pixels match Gymnasium's
  private writeRow(r: number, np: number): void {
    const W = this.width;
    const PA = this.pa;
    const PB = this.pb;
    const PC = this.pc;
    const ord = this.order;
    // Pieces by position (insertion sort of a handful).
    for (let p = 0; p < np; p++) {
      const v = PA[p]!;
      let q = p - 1;
      while (q >= 0 && PA[ord[q]!]! > v) {
        ord[q + 1] = ord[q]!;
        q--;
      }
      ord[q + 1] = p;
    }
    const out = this.out;
    // Truncation instead of floor: they differ only below 0, which is clamped to 0 anyway.
    const off = 0.5 - this.bias;
    /** An uncovered pixel. */
    const z = off < 1 ? 0 : Math.floor(off);
    const row = r * W * 3;
    let x = 0;
    let aR = 0;
    let aG = 0;
    let aB = 0;
    for (let k = 0; k < np; k++) {
      const p = ord[k]!;
      const pa = PA[p]!;
      const pb = PB[p]!;
      const rgb = PC[p]!;
      const rr = (rgb >> 16) & 255;
      const gg = (rgb >> 8) & 255;
      const bb = rgb & 255;
      const ia = Math.floor(pa);
      const ib = Math.floor(pb);
      if (ia > x) {
        // Pixel x is complete; pixels up to ia are not covered.
        let i = row + x * 3;
        let v = (aR + off) | 0;
        out[i] = v < 0 ? 0 : v;
        v = (aG + off) | 0;
        out[i + 1] = v < 0 ? 0 : v;
        v = (aB + off) | 0;
        out[i + 2] = v < 0 ? 0 : v;
        aR = 0;
        aG = 0;
        aB = 0;
        for (x++, i += 3; x < ia; x++, i += 3) {
          out[i] = z;
          out[i + 1] = z;
          out[i + 2] = z;
        }
      }
      if (ia === ib) {
        const c = pb - pa;
        aR += c * rr;
        aG += c * gg;
        aB += c * bb;
        continue;
      }
      const c1 = ia + 1 - pa;
      const i = row + ia * 3;
      let v = (aR + c1 * rr + off) | 0;
      out[i] = v < 0 ? 0 : v;
      v = (aG + c1 * gg + off) | 0;
      out[i + 1] = v < 0 ? 0 : v;
      v = (aB + c1 * bb + off) | 0;
      out[i + 2] = v < 0 ? 0 : v;
      // Whole pixels: the colour itself (an integer, so floor(c + off) = c − bias).
      const bias = this.bias;
      const fr = rr < bias ? 0 : rr - bias;
      const fg = gg < bias ? 0 : gg - bias;
      const fb = bb < bias ? 0 : bb - bias;
      fillRun(out, this.out32, i + 3, ib - ia - 1, fr, fg, fb);
      x = ib;
      const c2 = pb - ib;
      aR = c2 * rr;
      aG = c2 * gg;
      aB = c2 * bb;
    }
    if (x < W) {
      let i = row + x * 3;
      let v = (aR + off) | 0;
      out[i] = v < 0 ? 0 : v;
      v = (aG + off) | 0;
      out[i + 1] = v < 0 ? 0 : v;
      v = (aB + off) | 0;
      out[i + 2] = v < 0 ? 0 : v;
      for (x++, i += 3; x < W; x++, i += 3) {
        out[i] = z;
        out[i + 1] = z;
        out[i + 2] = z;
      }
    }
  }

  /** Whether sampled rows i and j hold the same spans. */
  private sameSpans(i: number, j: number): boolean {
    const n = this.counts[i]!;
    if (this.counts[j] !== n) return false;
    const X0 = this.x0;
    const X1 = this.x1;
    const COL = this.col;
    let a = i * this.cap;
    let b = j * this.cap;
    for (let k = 0; k < n; k++, a++, b++) {
      if (X0[a] !== X0[b] || X1[a] !== X1[b] || COL[a] !== COL[b]) return false;
    }
    return true;
  }

  /**
   * Resolves sampled row j front to back (later spans hide earlier ones) into the visible
   * pieces pa..pb (output columns) with their colours; returns their number.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: the clipping cases of the reference renderer, kept in its order
  private visiblePieces(j: number): number {
    const n = this.counts[j]!;
    const X0 = this.x0;
    const X1 = this.x1;
    const COL = this.col;
    const sx = this.sx;
    let PA = this.pa;
    let PB = this.pb;
    let PC = this.pc;
    let np = 0;
    let cs = this.cs;
    let ce = this.ce;
    let nc = 0;
    const base = j * this.cap;
    for (let s = base + n - 1; s >= base; s--) {
      const a = X0[s]!;
      const b = X1[s]!;
      const rgb = COL[s]!;
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
          if (np === PA.length) {
            this.growPieces();
            PA = this.pa;
            PB = this.pb;
            PC = this.pc;
          }
          PA[np] = cur * sx;
          PB[np] = end * sx;
          PC[np] = rgb;
          np++;
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
    return np;
  }

  private growPieces(): void {
    const n = this.pa.length * 2;
    const pa = new Float64Array(n);
    const pb = new Float64Array(n);
    const pc = new Int32Array(n);
    pa.set(this.pa);
    pb.set(this.pb);
    pc.set(this.pc);
    this.pa = pa;
    this.pb = pb;
    this.pc = pc;
    this.order = new Int32Array(n);
  }

  private growCovered(): void {
    const cs = new Float64Array(this.cs.length * 2);
    const ce = new Float64Array(this.ce.length * 2);
    cs.set(this.cs);
    ce.set(this.ce);
    this.cs = cs;
    this.ce = ce;
  }
}

function flatten(tables: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(tables.length * 256);
  tables.forEach((t, i) => out.set(t, i * 256));
  return out;
}
