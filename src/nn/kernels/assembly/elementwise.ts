// @ts-nocheck -- AssemblyScript (compiled by scripts/build-kernels.mjs with asc), not TypeScript: tsc must skip it.
//
// Elementwise kernels and the fused optimizer updates. Each is written once as an @inline body
// over f32x4 lanes; the main loop runs it on 4 elements, the tail on one element loaded into lane 0
// (load32_zero / store32_lane), so vector and tail paths cannot drift apart numerically.
// Scalar parameters arrive as f64 from JS and are rounded to f32 once, as PyTorch does for
// float32 tensors.

// @ts-ignore: decorator
@inline function ld(p: usize, wide: bool): v128 {
  return wide ? v128.load(p) : v128.load32_zero(p);
}

// @ts-ignore: decorator
@inline function st(p: usize, v: v128, wide: bool): void {
  if (wide) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

// @ts-ignore: decorator
@inline function reluAt(x: usize, y: usize, wide: bool): void {
  const v = ld(x, wide);
  // Keeps NaN (like torch.relu): select v where !(v <= 0), i.e. v > 0 or NaN.
  st(y, v128.andnot(v, f32x4.le(v, f32x4.splat(0))), wide);
}

export function relu(x: usize, y: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) reluAt(x + (<usize>i << 2), y + (<usize>i << 2), true);
  for (; i < len; i++) reluAt(x + (<usize>i << 2), y + (<usize>i << 2), false);
}

// @ts-ignore: decorator
@inline function reluBackwardAt(y: usize, dy: usize, dx: usize, wide: bool): void {
  st(dx, v128.and(ld(dy, wide), f32x4.gt(ld(y, wide), f32x4.splat(0))), wide);
}

export function reluBackward(y: usize, dy: usize, dx: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) { const o = <usize>i << 2; reluBackwardAt(y + o, dy + o, dx + o, true); }
  for (; i < len; i++) { const o = <usize>i << 2; reluBackwardAt(y + o, dy + o, dx + o, false); }
}

// @ts-ignore: decorator
@inline function leakyAt(x: usize, y: usize, slope: v128, wide: bool): void {
  const v = ld(x, wide);
  st(y, v128.bitselect(v, f32x4.mul(v, slope), f32x4.gt(v, f32x4.splat(0))), wide);
}

export function leakyRelu(x: usize, y: usize, len: i32, slope: f64): void {
  const s = f32x4.splat(<f32>slope);
  let i = 0;
  for (; i + 4 <= len; i += 4) leakyAt(x + (<usize>i << 2), y + (<usize>i << 2), s, true);
  for (; i < len; i++) leakyAt(x + (<usize>i << 2), y + (<usize>i << 2), s, false);
}

// @ts-ignore: decorator
@inline function leakyBackwardAt(x: usize, dy: usize, dx: usize, slope: v128, wide: bool): void {
  const g = ld(dy, wide);
  st(dx, v128.bitselect(g, f32x4.mul(g, slope), f32x4.gt(ld(x, wide), f32x4.splat(0))), wide);
}

export function leakyReluBackward(x: usize, dy: usize, dx: usize, len: i32, slope: f64): void {
  const s = f32x4.splat(<f32>slope);
  let i = 0;
  for (; i + 4 <= len; i += 4) { const o = <usize>i << 2; leakyBackwardAt(x + o, dy + o, dx + o, s, true); }
  for (; i < len; i++) { const o = <usize>i << 2; leakyBackwardAt(x + o, dy + o, dx + o, s, false); }
}

export function scale(x: usize, len: i32, s: f64): void {
  const sv = f32x4.splat(<f32>s);
  let i = 0;
  for (; i + 4 <= len; i += 4) { const p = x + (<usize>i << 2); st(p, f32x4.mul(ld(p, true), sv), true); }
  for (; i < len; i++) { const p = x + (<usize>i << 2); st(p, f32x4.mul(ld(p, false), sv), false); }
}

export function sumSquares(x: usize, len: i32): f64 {
  // Two f64x2 accumulators (low and high lanes), so long gradients lose no precision.
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const a = f64x2.promote_low_f32x4(v);
    const b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  const s = f64x2.add(lo, hi);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < len; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

export function u8ToF32(src: usize, dst: usize, len: i32, s: f64): void {
  const sf = <f32>s;
  const sv = f32x4.splat(sf);
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const bytes = v128.load(src + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(bytes);
    const hi = i16x8.extend_high_i8x16_u(bytes);
    const d = dst + (<usize>i << 2);
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), sv));
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), sv), 16);
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), sv), 32);
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), sv), 48);
  }
  for (; i < len; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i) * sf);
}

// ---- optimizers (torch.optim update equations, same operation order as PyTorch 1.13's CPU kernels) ----
// The weight-decay / momentum switches are loop-invariant runtime branches: these loops are
// memory-bound (4-5 streams), so specialising them would only multiply code.

// @ts-ignore: decorator
@inline function adamAt(p: usize, g: usize, m: usize, v: usize, b1: v128, c1: v128, b2: v128, c2: v128,
  eps: v128, wd: v128, step: v128, sqrtBc2: v128, hasWd: bool, wide: bool): void {
  const pv = ld(p, wide);
  let gv = ld(g, wide);
  if (hasWd) gv = f32x4.add(gv, f32x4.mul(pv, wd));
  const mv = f32x4.add(f32x4.mul(ld(m, wide), b1), f32x4.mul(gv, c1));
  const vv = f32x4.add(f32x4.mul(ld(v, wide), b2), f32x4.mul(f32x4.mul(gv, c2), gv));
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), sqrtBc2), eps);
  st(m, mv, wide);
  st(v, vv, wide);
  st(p, f32x4.add(pv, f32x4.div(f32x4.mul(mv, step), denom)), wide);
}

export function adamStep(p: usize, g: usize, m: usize, v: usize, len: i32, lr: f64, beta1: f64, beta2: f64,
  eps: f64, weightDecay: f64, bc1: f64, bc2: f64): void {
  const b1 = f32x4.splat(<f32>beta1), c1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), c2 = f32x4.splat(<f32>(1 - beta2));
  const e = f32x4.splat(<f32>eps), wd = f32x4.splat(<f32>weightDecay);
  const step = f32x4.splat(<f32>(-lr / bc1)), sq = f32x4.splat(<f32>Math.sqrt(bc2));
  const hasWd = weightDecay != 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) { const o = <usize>i << 2; adamAt(p + o, g + o, m + o, v + o, b1, c1, b2, c2, e, wd, step, sq, hasWd, true); }
  for (; i < len; i++) { const o = <usize>i << 2; adamAt(p + o, g + o, m + o, v + o, b1, c1, b2, c2, e, wd, step, sq, hasWd, false); }
}

// @ts-ignore: decorator
@inline function rmspropAt(p: usize, g: usize, sq: usize, buf: usize, a: v128, ca: v128, eps: v128, wd: v128,
  mu: v128, nlr: v128, hasWd: bool, hasMomentum: bool, wide: bool): void {
  const pv = ld(p, wide);
  let gv = ld(g, wide);
  if (hasWd) gv = f32x4.add(gv, f32x4.mul(pv, wd));
  const s = f32x4.add(f32x4.mul(ld(sq, wide), a), f32x4.mul(f32x4.mul(gv, ca), gv));
  st(sq, s, wide);
  const avg = f32x4.add(f32x4.sqrt(s), eps);
  if (hasMomentum) {
    const bv = f32x4.add(f32x4.mul(ld(buf, wide), mu), f32x4.div(gv, avg));
    st(buf, bv, wide);
    st(p, f32x4.add(pv, f32x4.mul(bv, nlr)), wide);
  } else {
    st(p, f32x4.add(pv, f32x4.div(f32x4.mul(gv, nlr), avg)), wide);
  }
}

export function rmspropStep(p: usize, g: usize, sq: usize, buf: usize, len: i32, lr: f64, alpha: f64, eps: f64,
  weightDecay: f64, momentum: f64): void {
  const a = f32x4.splat(<f32>alpha), ca = f32x4.splat(<f32>(1 - alpha));
  const e = f32x4.splat(<f32>eps), wd = f32x4.splat(<f32>weightDecay);
  const mu = f32x4.splat(<f32>momentum), nlr = f32x4.splat(<f32>-lr);
  const hasWd = weightDecay != 0, hasMomentum = momentum > 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) { const o = <usize>i << 2; rmspropAt(p + o, g + o, sq + o, buf + o, a, ca, e, wd, mu, nlr, hasWd, hasMomentum, true); }
  for (; i < len; i++) { const o = <usize>i << 2; rmspropAt(p + o, g + o, sq + o, buf + o, a, ca, e, wd, mu, nlr, hasWd, hasMomentum, false); }
}

// @ts-ignore: decorator
@inline function sgdAt(p: usize, g: usize, buf: usize, mu: v128, damp: v128, wd: v128, nlr: v128,
  hasWd: bool, hasMomentum: bool, nesterov: bool, first: bool, wide: bool): void {
  const pv = ld(p, wide);
  let gv = ld(g, wide);
  if (hasWd) gv = f32x4.add(gv, f32x4.mul(pv, wd));
  let stepv = gv;
  if (hasMomentum) {
    const bv = first ? gv : f32x4.add(f32x4.mul(ld(buf, wide), mu), f32x4.mul(gv, damp));
    st(buf, bv, wide);
    stepv = nesterov ? f32x4.add(gv, f32x4.mul(bv, mu)) : bv;
  }
  st(p, f32x4.add(pv, f32x4.mul(stepv, nlr)), wide);
}

export function sgdStep(p: usize, g: usize, buf: usize, len: i32, lr: f64, momentum: f64, dampening: f64,
  weightDecay: f64, nesterov: i32, first: i32): void {
  const mu = f32x4.splat(<f32>momentum), damp = f32x4.splat(<f32>(1 - dampening));
  const wd = f32x4.splat(<f32>weightDecay), nlr = f32x4.splat(<f32>-lr);
  const hasWd = weightDecay != 0, hasMomentum = momentum > 0;
  const nest = nesterov != 0, fst = first != 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) { const o = <usize>i << 2; sgdAt(p + o, g + o, buf + o, mu, damp, wd, nlr, hasWd, hasMomentum, nest, fst, true); }
  for (; i < len; i++) { const o = <usize>i << 2; sgdAt(p + o, g + o, buf + o, mu, damp, wd, nlr, hasWd, hasMomentum, nest, fst, false); }
}
