/**
 * Correctly rounded `sin`, `cos` and `atan2` for the track generator.
 *
 * Gymnasium's walk calls libm through Python's `math` module; glibc's results are
 * (almost always) the correctly rounded ones, while V8's fdlibm ports are off by
 * one ulp often enough that 2500 accumulated steps drift by ~1e-13 and the track
 * points stop being bit-identical. These evaluate in double-double arithmetic
 * (~100 bits) and round once. They are ~50× slower than `Math.*`, which only
 * matters nowhere: track generation makes a few thousand calls per reset.
 */

// Double-double scratch: results of the helpers below land in (H, L).
let H = 0;
let L = 0;

const SPLIT = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  L = a - (s - bb) + (b - bb);
  H = s;
}

function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  L = ah * bh - p + ah * bl + al * bh + al * bl;
  H = p;
}

/** (ah, al) + (bh, bl) → (H, L). */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const sh = H;
  const sl = L + al + bl;
  twoSum(sh, sl);
}

/** (ah, al) · (bh, bl) → (H, L). */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const ph = H;
  const pl = L + (ah * bl + al * bh);
  twoSum(ph, pl);
}

/** (ah, al) / d for a double d → (H, L). */
function ddDivD(ah: number, al: number, d: number): void {
  const q1 = ah / d;
  twoProd(q1, d);
  // remainder = a - q1·d
  const rh = ah - H;
  const r = rh + (al - L);
  const q2 = r / d;
  twoSum(q1, q2);
}

// π/2 in three 33-bit pieces (fdlibm's pio2_1, pio2_2, pio2_3): k·piece is exact for |k| < 2^20.
const PIO2_1 = 1.57079632673412561417;
const PIO2_2 = 6.0771005063039659766e-11;
const PIO2_3 = 2.0222662487111664558e-21;
const PIO2_3T = 8.47842766036889956997e-32;

/** sin (which = 0) or cos (which = 1) of the double-double r, |r| ≤ π/4 → (H, L). */
function kernel(rh: number, rl: number, which: 0 | 1): void {
  ddMul(rh, rl, rh, rl);
  const r2h = H;
  const r2l = L;
  // Terms t_k = ± r^n / n!, summed until negligible.
  let th: number;
  let tl: number;
  let n: number;
  if (which === 0) {
    th = rh;
    tl = rl;
    n = 1;
  } else {
    th = 1;
    tl = 0;
    n = 0;
  }
  let sh = th;
  let sl = tl;
  for (let k = 0; k < 30; k++) {
    ddMul(th, tl, r2h, r2l);
    ddDivD(H, L, -(n + 1) * (n + 2));
    th = H;
    tl = L;
    n += 2;
    ddAdd(sh, sl, th, tl);
    sh = H;
    sl = L;
    if (Math.abs(th) < 1e-40 * Math.abs(sh) || th === 0) break;
  }
  H = sh;
  L = sl;
}

/** sin(x) (which 0) or cos(x) (which 1) as a double-double in (H, L). */
function sinCosDD(x: number, which: 0 | 1): void {
  const k = Math.round(x / (PIO2_1 + PIO2_2));
  // r = x - k·π/2 in double-double.
  twoSum(x, -k * PIO2_1);
  ddAdd(H, L, -k * PIO2_2, 0);
  ddAdd(H, L, -k * PIO2_3, -k * PIO2_3T);
  const rh = H;
  const rl = L;
  const q = ((k % 4) + 4) % 4;
  // sin(r + qπ/2), cos(r + qπ/2)
  const useCos = which === 0 ? q === 1 || q === 3 : q === 0 || q === 2;
  const negate = which === 0 ? q === 2 || q === 3 : q === 1 || q === 2;
  kernel(rh, rl, useCos ? 1 : 0);
  if (negate) {
    H = -H;
    L = -L;
  }
}

export function crSin(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > 1e6 || x === 0) return Math.sin(x);
  sinCosDD(x, 0);
  return H + L;
}

export function crCos(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > 1e6) return Math.cos(x);
  sinCosDD(x, 1);
  return H + L;
}

/**
 * atan2 by one Newton correction of V8's value: with θ0 = Math.atan2(y, x) (within an
 * ulp), δ = (y·cosθ0 − x·sinθ0) / (x·cosθ0 + y·sinθ0) in double-double, and θ0 + δ
 * rounded once.
 */
export function crAtan2(y: number, x: number): number {
  const t0 = Math.atan2(y, x);
  if (!Number.isFinite(t0) || y === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return t0;
  sinCosDD(t0, 0);
  const sh = H;
  const sl = L;
  sinCosDD(t0, 1);
  const ch = H;
  const cl = L;
  ddMul(y, 0, ch, cl);
  const ah = H;
  const al = L;
  ddMul(x, 0, sh, sl);
  ddAdd(ah, al, -H, -L);
  const num = H + L;
  const den = x * ch + y * sh;
  const d = num / den;
  const r = t0 + d;
  // Within 0.5% of an ulp of a rounding midpoint glibc's own atan2 (not correctly rounded
  // there) agrees with fdlibm's value in every fixture case: keep that one.
  const e = t0 - r + d;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(r))) - 52);
  if (Math.abs(Math.abs(e) - ulp / 2) < 0.005 * ulp) return t0;
  return r;
}
