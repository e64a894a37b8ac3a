/**
 * DQN (Mnih et al. 2015) and Double DQN (van Hasselt et al. 2016): one Q-value per action,
 * y = R + γ^n·(1 − done)·Q_target(s', a*) with a* = argmax Q_target (DQN) or argmax Q_online
 * (Double), and an MSE or Huber loss on Q(s, a).
 */

import type { Arena } from "../../nn/index.js";
import { argmaxRows, type Tensor } from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import { QLoss } from "../td.js";
import type { DQNSpec, TrainingBatch } from "../types.js";
import { Algorithm, type BatchInputs, type QNetworks } from "./base.js";

export class DQN extends Algorithm {
  readonly outputsPerAction: number = 1;
  private readonly qLoss: QLoss;
  /** The TD targets y of the last `computeTargets` (M-DQN writes its own). */
  protected targets = new Float32Array(0);
  private nextActions = new Int32Array(0);

  constructor(spec: DQNSpec, config: DQNConfig, arena: Arena) {
    super(spec, config, arena);
    this.qLoss = new QLoss(config.loss, { beta: config.huberBeta, arena });
  }

  actionValues(out: Float32Array, n: number, q: Float32Array): void {
    // A loop rather than `q.set(out.subarray(…))`: no view per call.
    for (let i = 0; i < n * this.nActions; i++) q[i] = out[i]!;
  }

  computeTargets(nets: QNetworks, { nextObs: xNext }: BatchInputs, batch: TrainingBatch): void {
    const n = batch.size;
    const na = this.nActions;
    if (this.targets.length < n) {
      this.targets = new Float32Array(n);
      this.nextActions = new Int32Array(n);
    }
    const nextActions = this.nextActions;
    if (this.config.double) argmaxRows(this.forward(nets.online, xNext, "select"), nextActions);
    const qt = this.forward(nets.target, xNext, "target").data;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (this.config.double) v = qt[i * na + nextActions[i]!]!;
      else {
        v = qt[i * na]!;
        for (let j = 1; j < na; j++) if (qt[i * na + j]! > v) v = qt[i * na + j]!;
      }
      this.targets[i] = batch.rewards[i]! + batch.discounts[i]! * (1 - batch.dones[i]!) * v;
    }
  }

  /** The TD targets y of the last `computeTargets`. */
  lastTargets(n: number): Float32Array {
    return this.targets.subarray(0, n);
  }

  loss(out: Tensor, batch: TrainingBatch, weights: Float32Array | undefined): number {
    return this.qLoss.compute(out, batch.actions, this.targets, weights);
  }

  get dOut(): Tensor {
    return this.qLoss.dQ;
  }

  get tdErrors(): Float32Array {
    return this.qLoss.tdErrors;
  }
}
