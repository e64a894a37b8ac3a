/**
 * Animated GIF from RGB frames, in pure JS (gifenc: a per-frame 256-colour palette,
 * LZW). Works in Node and browsers.
 */

import type { GifEncoderInstance } from "gifenc";
import * as gifenc from "gifenc";
import { GLYPH_H } from "./font5x7.js";
import { Raster } from "./raster.js";

// Node loads gifenc's CommonJS build (everything under `default`); bundlers load its
// ESM build (named exports, and `default` is only GIFEncoder).
type GifLib = typeof gifenc.default;
const ns = gifenc as unknown as Partial<GifLib> & { default: GifLib };
const lib: GifLib = ns.quantize ? (ns as GifLib) : ns.default;

/** GIF delays are whole 1/100 s and players treat under 2/100 s as slow, so 50 fps is the fastest GIF. */
export const GIF_MAX_FPS = 50;

/** `fps` where a GIF can play it, else the fastest a GIF can (faster videos play slowed down). */
export function gifFps(fps: number): number {
  return Math.min(fps, GIF_MAX_FPS);
}

export interface GifOptions {
  width: number;
  height: number;
  /** Playback rate; GIF delays are in 1/100 s, so rates above 50 fps are not representable. */
  fps: number;
  /** Number of times to play; 0 = forever. */
  repeat?: number;
}

export class GifWriter {
  private readonly enc: GifEncoderInstance = lib.GIFEncoder();
  private readonly rgba: Uint8Array;
  private readonly delayMs: number;
  private frames = 0;
  private done = false;

  constructor(readonly opts: GifOptions) {
    const { width, height, fps } = opts;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width < 65536 && height < 65536)) {
      throw new RangeError(`GIF size must be integers in 1..65535, got ${width}×${height}`);
    }
    if (!(fps > 0 && fps <= GIF_MAX_FPS)) throw new RangeError(`GIF fps must be in (0, ${GIF_MAX_FPS}], got ${fps}`);
    this.rgba = new Uint8Array(width * height * 4);
    this.delayMs = Math.max(20, Math.round(100 / fps) * 10);
  }

  get frameCount(): number {
    return this.frames;
  }

  /** Adds one RGB frame (width·height·3 bytes). */
  addFrame(rgb: Uint8Array): void {
    if (this.done) throw new Error("GifWriter: addFrame after finish");
    const n = this.opts.width * this.opts.height;
    if (rgb.length !== n * 3) {
      throw new RangeError(`GifWriter: frame has ${rgb.length} bytes, ${this.opts.width}×${this.opts.height} RGB needs ${n * 3}`);
    }
    const out = this.rgba;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      out[i * 4] = rgb[j]!;
      out[i * 4 + 1] = rgb[j + 1]!;
      out[i * 4 + 2] = rgb[j + 2]!;
      out[i * 4 + 3] = 255;
    }
    const palette = lib.quantize(out, 256);
    const index = lib.applyPalette(out, palette);
    this.enc.writeFrame(index, this.opts.width, this.opts.height, { palette, delay: this.delayMs, repeat: this.opts.repeat ?? 0 });
    this.frames++;
  }

  /** The finished file. */
  finish(): Uint8Array {
    if (!this.done) {
      if (this.frames === 0) throw new Error("GifWriter: no frames were added");
      this.enc.finish();
      this.done = true;
    }
    return this.enc.bytes();
  }
}

/**
 * Writes `text` in the top-left corner of an RGB frame, on a dark box so it reads on
 * any background (the episode return on recorded videos).
 */
export function captionFrame(rgb: Uint8Array, width: number, height: number, text: string, scale = 2): void {
  const c = new Raster(width, height, rgb);
  c.fillRect(4, 4, Raster.textWidth(text, scale) + 8, GLYPH_H * scale + 8, [0, 0, 0], 0.55);
  c.text(8, 8, text, [255, 255, 255], scale);
}
