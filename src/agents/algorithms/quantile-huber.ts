/**
 * The quantile Huber loss with κ = 1 (Dabney et al. 2018) shared by QR-DQN (sb3-contrib's
 * `quantile_huber_loss`) and IQN (Dopamine's `train`): for current quantiles Z_i at fractions
 * τ_i and target samples T_j, δ_ij = T_j − Z_i and the loss is
 * Σ_i mean_j |τ_i − 1{δ_ij < 0}|·huber(δ_ij), huber(δ) = δ²/2 for |δ| ≤ 1, |δ| − ½ beyond.
 */

/**
 * The loss of the last `quantileHuberSample`, handed back in a typed array: a double returned
 * (or passed) through a call the optimizer does not inline is boxed in a fresh heap number.
 */
const lastSampleLoss = new Float64Array(1);

/**
 * One sample's loss over `nCurrent` current quantiles (Z_i at z[zOff + i·zStride], τ_i at
 * taus[tauOff + i]) and `nTarget` targets (targets[tOff + j]). Writes w·dLoss/dZ_i / batch —
 * the gradient of the batch mean, weighted by the sample's importance weight w =
 * weights[sample] (1 without weights) — to g[zOff + i·zStride] and the sample's (unweighted)
 * loss to `lastSampleLoss`.
 */
function quantileHuberSample(
  z: Float32Array,
  zOff: number,
  zStride: number,
  nCurrent: number,
  taus: Float32Array,
  tauOff: number,
  targets: Float32Array,
  tOff: number,
  nTarget: number,
  g: Float32Array,
  weights: Float32Array | undefined,
  sample: number,
  batch: number,
): void {
  const w = weights ? weights[sample]! : 1;
  let loss = 0;
  for (let i = 0; i < nCurrent; i++) {
    const c = z[zOff + i * zStride]!;
    const ti = taus[tauOff + i]!;
    let gi = 0;
    for (let j = 0; j < nTarget; j++) {
      const d = targets[tOff + j]! - c;
      const wt = d < 0 ? 1 - ti : ti;
      if (Math.abs(d) > 1) {
        loss += wt * (Math.abs(d) - 0.5);
        gi -= d > 0 ? wt : -wt;
      } else {
        loss += wt * 0.5 * d * d;
        gi -= wt * d;
      }
    }
    g[zOff + i * zStride] = (w * gi) / (nTarget * batch);
  }
  lastSampleLoss[0] = loss / nTarget;
}

/**
 * The batch loss: for each sample b, current quantiles z[b, i·actions + a_b] (atom-major rows of
 * `nCurrent · actions`), fractions taus[b·tauStride + i] (stride 0: one set for all samples),
 * targets[b·nTarget + j]. Zeroes `g` and fills it with the gradient of the (importance-weighted)
 * batch mean, writes each sample's loss — its priority — to `perSample`, returns the mean.
 */
export function quantileHuberBatch(
  who: string,
  z: Float32Array,
  g: Float32Array,
  actions: Int32Array,
  weights: Float32Array | undefined,
  n: number,
  nActions: number,
  nCurrent: number,
  taus: Float32Array,
  tauStride: number,
  targets: Float32Array,
  nTarget: number,
  perSample: Float32Array,
): number {
  const width = nActions * nCurrent;
  g.fill(0);
  let total = 0;
  for (let b = 0; b < n; b++) {
    const a = actions[b]!;
    if (!Number.isInteger(a) || a < 0 || a >= nActions) throw new RangeError(`${who} loss: action ${a} at index ${b} is outside [0, ${nActions})`);
    const w = weights ? weights[b]! : 1;
    quantileHuberSample(z, b * width + a, nActions, nCurrent, taus, b * tauStride, targets, b * nTarget, nTarget, g, weights, b, n);
    const sampleLoss = lastSampleLoss[0]!;
    perSample[b] = sampleLoss;
    total += w * sampleLoss;
  }
  return total / n;
}
