/**
 * Munchausen-DQN (Vieillard et al. 2020), as google-research's `munchausen_rl` computes it
 * (`agents/m_dqn.py` `_build_target_q_op`, `common/utils.py` `stable_scaled_log_softmax` and
 * `stable_softmax`): the target adds to the reward the scaled log-policy of the taken action,
 * α·clip(τ·log π(a|s), l0, 0), and bootstraps with the soft value of the next state,
 * Σ_a' π(a'|s')·(q(s', a') − τ·log π(a'|s')), where π = softmax(q/τ) is the target net's
 * softmax policy; everything is computed on the target net. The loss is DQN's (Huber by default,
 * as Dopamine's `_build_train_op`), so this is DQN with another target.
 */
import type { DQNConfig } from "../config.js";
import type { TrainingBatch } from "../types.js";
import type { AlgorithmSettings, BatchInputs, QNetworks } from "./base.js";
import { DQN } from "./dqn.js";

/**
 * τ·log softmax(q/τ) per row, stably: q − (max q + τ·log Σ exp((q − max q)/τ))
 * (`stable_scaled_log_softmax`). `out` may be `q`.
 */
export function scaledLogSoftmax(q: Float32Array, rows: number, cols: number, tau: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = q[o]!;
    for (let j = 1; j < cols; j++) if (q[o + j]! > m) m = q[o + j]!;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp((q[o + j]! - m) / tau);
    const shift = m + tau * Math.log(s);
    for (let j = 0; j < cols; j++) out[o + j] = q[o + j]! - shift;
  }
  return out;
}

/** softmax(q/τ) per row, stably: softmax((q − max q)/τ) (`stable_softmax`). `out` may be `q`. */
export function scaledSoftmax(q: Float32Array, rows: number, cols: number, tau: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = q[o]!;
    for (let j = 1; j < cols; j++) if (q[o + j]! > m) m = q[o + j]!;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp((q[o + j]! - m) / tau);
    for (let j = 0; j < cols; j++) out[o + j] = Math.exp((q[o + j]! - m) / tau) / s;
  }
  return out;
}

export class MunchausenDQN extends DQN {
  private logPolicy = new Float32Array(0);
  private policy = new Float32Array(0);
  private nextValues = new Float32Array(0);
  private logPolicyTaken = new Float32Array(0);

  override modelSettings(): AlgorithmSettings {
    const { munchausenTau, munchausenAlpha, munchausenL0 } = this.config;
    return { ...super.modelSettings(), munchausenTau, munchausenAlpha, munchausenL0 };
  }

  override computeTargets(nets: QNetworks, inputs: BatchInputs, batch: TrainingBatch): void {
    const n = batch.size;
    const na = this.nActions;
    const { munchausenTau: tau, munchausenAlpha: alpha, munchausenL0: l0 } = this.config;
    if (this.targets.length < n) {
      this.targets = new Float32Array(n);
      this.nextValues = new Float32Array(n);
      this.logPolicyTaken = new Float32Array(n);
      this.logPolicy = new Float32Array(n * na);
      this.policy = new Float32Array(n * na);
    }
    // Soft value of s′: Σ_a π(a|s′)·(q(s′, a) − τ·log π(a|s′)).
    const qNext = this.forward(nets.target, inputs.nextObs, "target").data;
    scaledLogSoftmax(qNext, n, na, tau, this.logPolicy);
    scaledSoftmax(qNext, n, na, tau, this.policy);
    for (let b = 0; b < n; b++) {
      let v = 0;
      for (let a = 0; a < na; a++) v += this.policy[b * na + a]! * (qNext[b * na + a]! - this.logPolicy[b * na + a]!);
      this.nextValues[b] = v;
    }
    // The Munchausen term τ·log π(a|s) of the taken action, from the target net on s.
    const q = this.forward(nets.target, inputs.obs, "target").data;
    scaledLogSoftmax(q, n, na, tau, this.logPolicy);
    for (let b = 0; b < n; b++) {
      const a = batch.actions[b]!;
      if (!Number.isInteger(a) || a < 0 || a >= na) throw new RangeError(`M-DQN: action ${a} at index ${b} is outside [0, ${na})`);
      const term = this.logPolicy[b * na + a]!;
      this.logPolicyTaken[b] = term;
      // The reference also clips above at 1; τ·log π ≤ 0, so only l0 can bind.
      const bonus = alpha * Math.max(l0, term);
      this.targets[b] = batch.rewards[b]! + bonus + batch.discounts[b]! * this.nextValues[b]! * (1 - batch.dones[b]!);
    }
  }

  /** The soft next values and the unclipped τ·log π(a|s) of the last `computeTargets` (n each). */
  lastTerms(n: number): { nextValues: Float32Array; logPolicyTaken: Float32Array } {
    return { nextValues: this.nextValues.subarray(0, n), logPolicyTaken: this.logPolicyTaken.subarray(0, n) };
  }
}

/** Why a configuration cannot run M-DQN (one line naming the keys), or null. */
export function validateMunchausen(c: DQNConfig): string | null {
  if (c.double) return 'algorithm "m-dqn" cannot use double = true: its target is the target net\'s soft value, with no argmax to decouple';
  if (c.nStep !== 1) return `algorithm "m-dqn" needs nStep = 1, got nStep = ${c.nStep}: its Munchausen bonus and soft value are one-step terms`;
  return null;
}
