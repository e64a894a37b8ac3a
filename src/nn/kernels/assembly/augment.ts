// @ts-nocheck -- AssemblyScript (compiled by scripts/build-kernels.mjs with asc), not TypeScript: tsc must skip it.
//
// DrQ's random shift fused with the uint8 → float conversion (see `u8ToF32Shift` in ../abi.ts).
// Each output row is a clamped left edge, a contiguous middle converted with u8ToF32's SIMD
// loop, and a clamped right edge.
import { u8ToF32 } from "./elementwise";

export function u8ToF32Shift(src: usize, dst: usize, n: i32, c: i32, h: i32, w: i32, pad: i32, shifts: usize, s: f64): void {
  const sf = <f32>s;
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const dy = load<i32>(shifts + (<usize>i << 3)) - pad;
    const dx = load<i32>(shifts + (<usize>i << 3), 4) - pad;
    // Output columns [x0, x1) read source columns x + dx inside the image; the rest repeat an edge.
    const x0 = min(max(-dx, 0), w);
    const x1 = min(max(w - dx, x0), w);
    for (let ch = 0; ch < c; ch++) {
      const from = src + <usize>((i * c + ch) * plane);
      const to = dst + (<usize>((i * c + ch) * plane) << 2);
      for (let y = 0; y < h; y++) {
        const row = from + <usize>(min(max(y + dy, 0), h - 1) * w);
        const out = to + (<usize>(y * w) << 2);
        const left = <f32>load<u8>(row) * sf;
        const right = <f32>load<u8>(row + <usize>(w - 1)) * sf;
        for (let x = 0; x < x0; x++) store<f32>(out + (<usize>x << 2), left);
        u8ToF32(row + <usize>(x0 + dx), out + (<usize>x0 << 2), x1 - x0, s);
        for (let x = x1; x < w; x++) store<f32>(out + (<usize>x << 2), right);
      }
    }
  }
}
