/**
 * Seeded track generation, step for step as Gymnasium's `CarRacing._create_track`
 * (identical in 0.29.1 and 1.2.x): twelve noisy checkpoints on a circle, a walk
 * that turns towards the next checkpoint at most TRACK_TURN_RATE per step, the
 * second closed lap cut out of the walk, then tiles and red-white kerbs on hard
 * turns. Every draw comes from the env's numpy-compatible generator in the same
 * order, so a seed gives Gymnasium's track point for point.
 */
import type { Generator } from "../rng.js";
import { crAtan2, crCos, crSin } from "./crmath.js";

export const SCALE = 6.0; // Track scale
export const TRACK_RAD = 900 / SCALE; // Track is a heavily morphed circle with this radius
export const PLAYFIELD = 2000 / SCALE; // Game over boundary
export const TRACK_DETAIL_STEP = 21 / SCALE;
export const TRACK_TURN_RATE = 0.31;
export const TRACK_WIDTH = 40 / SCALE;
export const BORDER = 8 / SCALE;
export const BORDER_MIN_COUNT = 4;
export const GRASS_DIM = PLAYFIELD / 20.0;
const CHECKPOINTS = 12;

/** One point of the walk: (alpha, beta, x, y) as Gymnasium's `track` tuples. */
export type TrackPoint = readonly [alpha: number, beta: number, x: number, y: number];

export interface Track {
  points: TrackPoint[];
  /** Road tile quads [x0,y0,…,x3,y3] in world metres, tile i between points i-1 and i. */
  tiles: Float64Array[];
  /** Kerb quads and whether each is white (else red), in drawing order after the tiles they follow. */
  kerbs: { quad: Float64Array; white: boolean; tile: number }[];
}

function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** One attempt of `_create_track`; null where Gymnasium returns False (the caller retries). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: Gymnasium's _create_track, ported step for step so tracks match seed for seed
export function createTrack(rng: Generator): Track | null {
  // Create checkpoints
  const checkpoints: [number, number, number][] = [];
  let startAlpha = 0;
  for (let c = 0; c < CHECKPOINTS; c++) {
    const noise = rng.uniform(0, (2 * Math.PI * 1) / CHECKPOINTS);
    let alpha = (2 * Math.PI * c) / CHECKPOINTS + noise;
    let rad = rng.uniform(TRACK_RAD / 3, TRACK_RAD);
    if (c === 0) {
      alpha = 0;
      rad = 1.5 * TRACK_RAD;
    }
    if (c === CHECKPOINTS - 1) {
      alpha = (2 * Math.PI * c) / CHECKPOINTS;
      startAlpha = (2 * Math.PI * -0.5) / CHECKPOINTS;
      rad = 1.5 * TRACK_RAD;
    }
    checkpoints.push([alpha, rad * crCos(alpha), rad * crSin(alpha)]);
  }

  // Go from one checkpoint to another to create the track.
  let x = 1.5 * TRACK_RAD;
  let y = 0;
  let beta = 0;
  let destI = 0;
  let laps = 0;
  let track: TrackPoint[] = [];
  let noFreeze = 2500;
  let visitedOtherSide = false;
  for (;;) {
    let alpha = crAtan2(y, x);
    if (visitedOtherSide && alpha > 0) {
      laps += 1;
      visitedOtherSide = false;
    }
    if (alpha < 0) {
      visitedOtherSide = true;
      alpha += 2 * Math.PI;
    }
    let destX = 0;
    let destY = 0;
    for (;;) {
      // Find the destination among the checkpoints.
      let failed = true;
      for (;;) {
        const cp = checkpoints[destI % checkpoints.length]!;
        destX = cp[1];
        destY = cp[2];
        if (alpha <= cp[0]) {
          failed = false;
          break;
        }
        destI += 1;
        if (destI % checkpoints.length === 0) break;
      }
      if (!failed) break;
      alpha -= 2 * Math.PI;
    }
    const r1x = crCos(beta);
    const r1y = crSin(beta);
    const p1x = -r1y;
    const p1y = r1x;
    const destDx = destX - x; // vector towards destination
    const destDy = destY - y;
    // destination vector projected on rad:
    let proj = r1x * destDx + r1y * destDy;
    while (beta - alpha > 1.5 * Math.PI) beta -= 2 * Math.PI;
    while (beta - alpha < -1.5 * Math.PI) beta += 2 * Math.PI;
    const prevBeta = beta;
    proj *= SCALE;
    if (proj > 0.3) beta -= Math.min(TRACK_TURN_RATE, Math.abs(0.001 * proj));
    if (proj < -0.3) beta += Math.min(TRACK_TURN_RATE, Math.abs(0.001 * proj));
    x += p1x * TRACK_DETAIL_STEP;
    y += p1y * TRACK_DETAIL_STEP;
    track.push([alpha, prevBeta * 0.5 + beta * 0.5, x, y]);
    if (laps > 4) break;
    noFreeze -= 1;
    if (noFreeze === 0) break;
  }

  // Find the closed loop range i1..i2: the first loop is ignored, the second is OK.
  let i1 = -1;
  let i2 = -1;
  let i = track.length;
  for (;;) {
    i -= 1;
    if (i === 0) return null; // Failed
    const passThroughStart = track[i]![0] > startAlpha && track[i - 1]![0] <= startAlpha;
    if (passThroughStart && i2 === -1) {
      i2 = i;
    } else if (passThroughStart && i1 === -1) {
      i1 = i;
      break;
    }
  }
  track = track.slice(i1, i2 - 1);
  const n = track.length;
  if (n === 0) return null;

  const first = track[0]!;
  const last = track[n - 1]!;
  const firstPerpX = crCos(first[1]);
  const firstPerpY = crSin(first[1]);
  // Length of the perpendicular jump to put together head and tail.
  const a = firstPerpX * (first[2] - last[2]);
  const b = firstPerpY * (first[3] - last[3]);
  const wellGluedTogether = Math.sqrt(a * a + b * b);
  if (wellGluedTogether > TRACK_DETAIL_STEP) return null;

  const at = (k: number): TrackPoint => track[k < 0 ? k + n : k]!;
  // Red-white border on hard turns.
  const border: boolean[] = new Array<boolean>(n).fill(false);
  for (let k = 0; k < n; k++) {
    let good = true;
    let oneside = 0;
    for (let neg = 0; neg < BORDER_MIN_COUNT; neg++) {
      const beta1 = at(k - neg - 0)[1];
      const beta2 = at(k - neg - 1)[1];
      good = good && Math.abs(beta1 - beta2) > TRACK_TURN_RATE * 0.2;
      oneside += sign(beta1 - beta2);
    }
    good = good && Math.abs(oneside) === BORDER_MIN_COUNT;
    border[k] = good;
  }
  for (let k = 0; k < n; k++) {
    for (let neg = 0; neg < BORDER_MIN_COUNT; neg++) {
      const j = k - neg < 0 ? k - neg + n : k - neg;
      border[j] = border[j]! || border[k]!;
    }
  }

  // Tiles
  const tiles: Float64Array[] = [];
  const kerbs: Track["kerbs"] = [];
  for (let k = 0; k < n; k++) {
    const [, beta1, x1, y1] = at(k);
    const [, beta2, x2, y2] = at(k - 1);
    const c1 = crCos(beta1);
    const s1 = crSin(beta1);
    const c2 = crCos(beta2);
    const s2 = crSin(beta2);
    // road1_l, road1_r, road2_r, road2_l
    tiles.push(
      new Float64Array([
        x1 - TRACK_WIDTH * c1,
        y1 - TRACK_WIDTH * s1,
        x1 + TRACK_WIDTH * c1,
        y1 + TRACK_WIDTH * s1,
        x2 + TRACK_WIDTH * c2,
        y2 + TRACK_WIDTH * s2,
        x2 - TRACK_WIDTH * c2,
        y2 - TRACK_WIDTH * s2,
      ]),
    );
    if (border[k]) {
      const side = sign(beta2 - beta1);
      kerbs.push({
        quad: new Float64Array([
          x1 + side * TRACK_WIDTH * c1,
          y1 + side * TRACK_WIDTH * s1,
          x1 + side * (TRACK_WIDTH + BORDER) * c1,
          y1 + side * (TRACK_WIDTH + BORDER) * s1,
          x2 + side * (TRACK_WIDTH + BORDER) * c2,
          y2 + side * (TRACK_WIDTH + BORDER) * s2,
          x2 + side * TRACK_WIDTH * c2,
          y2 + side * TRACK_WIDTH * s2,
        ]),
        white: k % 2 === 0,
        tile: k,
      });
    }
  }
  return { points: track, tiles, kerbs };
}

/** `_create_track` until it succeeds, as `reset` does. */
export function generateTrack(rng: Generator): Track {
  for (;;) {
    const t = createTrack(rng);
    if (t) return t;
  }
}
