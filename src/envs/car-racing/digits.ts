/**
 * The score Gymnasium prints at the bottom left ("%04i" % reward, pygame's default
 * font — FreeSansBold — at size 42, white, centred at (60, 750) of the 1000×800
 * surface). At 96×96 each glyph is about 2×4 pixels, so a seven-segment outline
 * with FreeSansBold's advance, height and stroke weight stands in for the font:
 * what matters at that size is where the white is and roughly how much.
 */
import { rgbInt } from "../../media/raster.js";
import type { SpanRaster } from "./raster.js";

/** Segments a–g (top, upper right, lower right, bottom, lower left, upper left, middle) per character. */
const SEGMENTS: Record<string, string> = {
  "0": "abcdef",
  "1": "bc",
  "2": "abged",
  "3": "abgcd",
  "4": "fgbc",
  "5": "afgcd",
  "6": "afgedc",
  "7": "abc",
  "8": "abcdefg",
  "9": "abcdfg",
  "-": "m",
};

/** Layout on the surface (pixels), fitted to Gymnasium's frames. */
export const SCORE_LAYOUT = {
  advance: 23.35, // 0.556 em at 42 px
  top: 736,
  bottom: 761.5,
  glyphLeft: 1,
  glyphW: 18.5,
  stroke: 4,
};
const WHITE = rgbInt(255, 255, 255);

/** Python's "%04i" % x: truncation toward zero, sign then zero padding to width 4. */
export function formatScore(x: number): string {
  const i = Math.trunc(x);
  const neg = i < 0;
  const digits = String(Math.abs(i));
  return neg ? `-${digits.padStart(3, "0")}` : digits.padStart(4, "0");
}

function box(r: SpanRaster, x0: number, y0: number, x1: number, y1: number): void {
  r.drawQuad(x0, y0, x1, y0, x1, y1, x0, y1, WHITE, false);
}

let lastScore = NaN;
let lastText = "";

export function drawScore(r: SpanRaster, reward: number): void {
  const { advance: ADVANCE, top: TOP, bottom: BOTTOM, glyphLeft: GLYPH_LEFT, glyphW: GLYPH_W, stroke: STROKE } = SCORE_LAYOUT;
  const score = Math.trunc(reward);
  if (score !== lastScore) {
    lastScore = score;
    lastText = formatScore(score);
  }
  const text = lastText;
  const width = Math.round(text.length * ADVANCE);
  const left = 60 - Math.floor(width / 2);
  const mid = (TOP + BOTTOM) / 2;
  for (let k = 0; k < text.length; k++) {
    const segs = SEGMENTS[text[k]!];
    if (!segs) continue;
    const x0 = left + k * ADVANCE + GLYPH_LEFT;
    const x1 = x0 + GLYPH_W;
    for (let q = 0; q < segs.length; q++) {
      switch (segs[q]) {
        case "a":
          box(r, x0, TOP, x1, TOP + STROKE);
          break;
        case "b":
          box(r, x1 - STROKE, TOP, x1, mid);
          break;
        case "c":
          box(r, x1 - STROKE, mid, x1, BOTTOM);
          break;
        case "d":
          box(r, x0, BOTTOM - STROKE, x1, BOTTOM);
          break;
        case "e":
          box(r, x0, mid, x0 + STROKE, BOTTOM);
          break;
        case "f":
          box(r, x0, TOP, x0 + STROKE, mid);
          break;
        case "g":
          box(r, x0, mid - STROKE / 2, x1, mid + STROKE / 2);
          break;
        case "m":
          box(r, x0 + 1, mid, x0 + GLYPH_W * 0.6, mid + STROKE);
          break;
      }
    }
  }
}
