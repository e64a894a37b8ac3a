// @ts-nocheck -- AssemblyScript (compiled by scripts/build-kernels.mjs with asc), not TypeScript: tsc must skip it.
//
// im2col / col2im and the bias kernels. Each (channel, kernel row, kernel column) triple is one
// row of the column matrix; for it we compute once the range of output columns ox whose input
// column lies inside the image, so the inner loops are branch-free copies (stride 1 and 2 use
// f32x4 loads, larger strides f32x4 lane loads) and the padding is written as plain zeros.

/** ⌈a / b⌉ for b > 0 and any sign of a. */
// @ts-ignore: decorator
@inline function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -(-a / b);
}

/** ⌊a / b⌋ for b > 0 and any sign of a. */
// @ts-ignore: decorator
@inline function floorDiv(a: i32, b: i32): i32 {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// @ts-ignore: decorator
@inline function zero(dst: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** dst[i] = src[i·stride] for i < count. */
function gather(src: usize, stride: i32, dst: usize, count: i32): void {
  let i = 0;
  if (stride == 1) {
    for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  } else if (stride == 2) {
    // Reads 8 floats for 4 outputs; stop while the 8th is still inside the source row (i + 4 < count).
    for (; i + 4 < count; i += 4) {
      const s = src + (<usize>i << 3);
      v128.store(dst + (<usize>i << 2), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
    }
  } else {
    // Larger strides (the DQN's 8×8/4 first layer): four lane loads, one vector store.
    const step = <usize>stride << 2;
    for (; i + 4 <= count; i += 4) {
      const s = src + ((<usize>i * <usize>stride) << 2);
      let v = v128.load32_zero(s);
      v = v128.load32_lane(s + step, v, 1);
      v = v128.load32_lane(s + 2 * step, v, 2);
      v = v128.load32_lane(s + 3 * step, v, 3);
      v128.store(dst + (<usize>i << 2), v);
    }
  }
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>(i * stride) << 2)));
}

/** src[i·stride] += add[i] for i < count (the adjoint of gather). */
function scatterAdd(add: usize, dst: usize, stride: i32, count: i32): void {
  let i = 0;
  if (stride == 1) {
    for (; i + 4 <= count; i += 4) {
      const d = dst + (<usize>i << 2);
      v128.store(d, f32x4.add(v128.load(d), v128.load(add + (<usize>i << 2))));
    }
  }
  for (; i < count; i++) {
    const d = dst + (<usize>(i * stride) << 2);
    store<f32>(d, load<f32>(d) + load<f32>(add + (<usize>i << 2)));
  }
}

export function im2col(x: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, outH: i32, outW: i32, col: usize, ldcol: i32): void {
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = x + ((<usize>ci * <usize>h * <usize>w) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        // Output columns whose input column ox·sw − pw + j lies in [0, w).
        const oxLo = min(outW, max(0, ceilDiv(pw - j, sw)));
        const oxHi = max(oxLo, min(outW, floorDiv(w - 1 + pw - j, sw) + 1));
        const dstRow = col + ((<usize>row * <usize>ldcol) << 2);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sh - ph + i;
          const d = dstRow + ((<usize>oy * <usize>outW) << 2);
          if (iy < 0 || iy >= h) {
            zero(d, outW);
            continue;
          }
          zero(d, oxLo);
          const src = plane + ((<usize>iy * <usize>w + <usize>(oxLo * sw - pw + j)) << 2);
          gather(src, sw, d + (<usize>oxLo << 2), oxHi - oxLo);
          zero(d + (<usize>oxHi << 2), outW - oxHi);
        }
        row++;
      }
    }
  }
}

export function col2im(col: usize, ldcol: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, outH: i32, outW: i32, dx: usize): void {
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = dx + ((<usize>ci * <usize>h * <usize>w) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const oxLo = min(outW, max(0, ceilDiv(pw - j, sw)));
        const oxHi = max(oxLo, min(outW, floorDiv(w - 1 + pw - j, sw) + 1));
        const srcRow = col + ((<usize>row * <usize>ldcol) << 2);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          const s = srcRow + ((<usize>oy * <usize>outW + <usize>oxLo) << 2);
          const d = plane + ((<usize>iy * <usize>w + <usize>(oxLo * sw - pw + j)) << 2);
          scatterAdd(s, d, sw, oxHi - oxLo);
        }
        row++;
      }
    }
  }
}

/** dst[i] += v for i < count. */
function addScalar(dst: usize, v: f32, count: i32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const d = dst + (<usize>i << 2);
    v128.store(d, f32x4.add(v128.load(d), vv));
  }
  for (; i < count; i++) {
    const d = dst + (<usize>i << 2);
    store<f32>(d, load<f32>(d) + v);
  }
}

/** Σ src[i] for i < count (f32 lanes, then lanes summed). */
function sum(src: usize, count: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) acc = f32x4.add(acc, v128.load(src + (<usize>i << 2)));
  let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < count; i++) s += load<f32>(src + (<usize>i << 2));
  return s;
}

export function addBiasRows(y: usize, bias: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = y + ((<usize>r * <usize>cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const d = row + (<usize>j << 2);
      v128.store(d, f32x4.add(v128.load(d), v128.load(bias + (<usize>j << 2))));
    }
    for (; j < cols; j++) {
      const d = row + (<usize>j << 2);
      store<f32>(d, load<f32>(d) + load<f32>(bias + (<usize>j << 2)));
    }
  }
}

export function addBiasChannels(y: usize, bias: usize, n: i32, channels: i32, hw: i32): void {
  let d = y;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < channels; ch++) {
      addScalar(d, load<f32>(bias + (<usize>ch << 2)), hw);
      d += <usize>hw << 2;
    }
  }
}

export function biasGradRows(dy: usize, db: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  let j = 0;
  // 4 columns at a time down all rows, so db is read and written once.
  for (; j + 4 <= cols; j += 4) {
    let acc = f32x4.splat(0);
    let s = dy + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(s));
      s += ld;
    }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), acc));
  }
  for (; j < cols; j++) {
    let acc: f32 = 0;
    let s = dy + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(s);
      s += ld;
    }
    const d = db + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + acc);
  }
}

export function biasGradChannels(dy: usize, db: usize, n: i32, channels: i32, hw: i32): void {
  for (let ch = 0; ch < channels; ch++) {
    let acc: f32 = 0;
    for (let b = 0; b < n; b++) acc += sum(dy + ((<usize>(b * channels + ch) * <usize>hw) << 2), hw);
    const d = db + (<usize>ch << 2);
    store<f32>(d, load<f32>(d) + acc);
  }
}
