/**
 * C51 (Bellemare et al. 2017), as CleanRL computes it (`cleanrl/c51.py`: `QNetwork.get_action`,
 * the projection loop, the loss; `rainbow_atari.py` for the per-sample loss as priority): the
 * head gives `atoms` logits per action, laid out action-major (`view(B, actions, atoms)`), a
 * softmax over the atoms is the return distribution on the fixed support z = linspace(v_min,
 * v_max, atoms), and Q = Σ_j p_j·z_j. The target distribution is that of the greedy next action
 * a* (greedy in the target net's expected Q, or the online net's with `double`) shifted by
 * R + γ^n·(1 − done)·z, clamped to the support and projected back onto it; the loss is the cross
 * entropy −Σ_j target_j·log clamp(p_j(s, a), 1e-5, 1 − 1e-5), averaged over the batch.
 *
 * The projection is done in float32 as PyTorch does it, because its integer rounding depends on
 * the last bit: Δz = z[1] − z[0] is 0.39999962 in float32 for 51 atoms on [−10, 10], so a shifted
 * atom at 0 lands at b = 25.000025, between atoms 25 and 26, not on atom 25.
 */
import { type Arena, BufferCache, softmaxRowsBackward, type Tensor } from "../../nn/index.js";
import type { DQNConfig } from "../config.js";
import type { DQNSpec, TrainingBatch } from "../types.js";
import { Algorithm, type AlgorithmSettings, type BatchInputs, type QNetworks } from "./base.js";

const f32 = Math.fround;
/** The clamp of the predicted probabilities inside the log (CleanRL's), as float32 bounds. */
const P_MIN = f32(1e-5);
const P_MAX = f32(1 - 1e-5);

/**
 * torch.linspace(start, end, steps) in float32 as PyTorch's scalar CPU path computes it:
 * step = (end − start)/(steps − 1) in float32; the first half is start + step·i, the second
 * end − step·(steps − 1 − i), each one fused multiply-add (a single rounding). PyTorch's
 * vectorised path (AVX2: blocks of 8 as base + lane·step) differs in the last bit for some
 * atoms; z[0] and z[1], which give Δz, agree.
 */
export function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  // step·i is exact in double (a float32 times a small integer), so one f32 rounding is the FMA's.
  for (let i = 0; i < steps; i++) out[i] = i < half ? f32(s + step * i) : f32(e - step * (steps - i - 1));
  return out;
}

/**
 * The categorical projection of CleanRL's c51.py, in float32: for each row b, the atoms
 * shifted to tz = clamp(R_b + γ_b·z·(1 − done_b), v_min, v_max), b = (tz − v_min)/Δz,
 * l = ⌊b⌋, u = ⌈b⌉ (clamped to the support); (u + [l = u] − b)·p is added at l for every atom,
 * then (b − l)·p at u. `nextPmfs` and `out` are [n × atoms].
 */
export function projectDistribution(
  nextPmfs: Float32Array,
  batch: Pick<TrainingBatch, "rewards" | "discounts" | "dones">,
  n: number,
  support: Float32Array,
  out: Float32Array,
): Float32Array {
  const na = support.length;
  const vMin = support[0]!;
  const vMax = support[na - 1]!;
  const dz = f32(support[1]! - support[0]!);
  out.fill(0, 0, n * na);
  for (let row = 0; row < n; row++) {
    const r = batch.rewards[row]!;
    const gamma = batch.discounts[row]!;
    const live = 1 - batch.dones[row]!;
    const o = row * na;
    // index_add_ of the lower parts for every atom first, then of the upper parts (CleanRL's order).
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < na; j++) {
        const tz = Math.min(vMax, Math.max(vMin, f32(r + f32(f32(gamma * support[j]!) * live))));
        const b = f32(f32(tz - vMin) / dz);
        const l = Math.min(na - 1, Math.max(0, Math.floor(b)));
        const u = Math.min(na - 1, Math.max(0, Math.ceil(b)));
        const p = nextPmfs[o + j]!;
        if (pass === 0) out[o + l] = out[o + l]! + f32(f32(u + (l === u ? 1 : 0) - b) * p);
        else out[o + u] = out[o + u]! + f32(f32(b - l) * p);
      }
    }
  }
  return out;
}

export class C51 extends Algorithm {
  readonly outputsPerAction: number;
  /** The support z [atoms] in float32, as `torch.linspace(vMin, vMax, atoms)`. */
  readonly support: Float32Array;
  private readonly grads: BufferCache;
  private nextActions = new Int32Array(0);
  private nextPmfs = new Float32Array(0);
  private targets = new Float32Array(0);
  private perSample = new Float32Array(0);
  /** One action's probabilities and dL/dp, then dL/dlogits (scratch). */
  private readonly pmf: Float32Array;
  private readonly dPmf: Float32Array;
  private grad: Tensor | null = null;

  constructor(spec: DQNSpec, config: DQNConfig, arena: Arena) {
    super(spec, config, arena);
    this.outputsPerAction = config.atoms;
    this.support = linspaceF32(config.vMin, config.vMax, config.atoms);
    this.pmf = new Float32Array(config.atoms);
    this.dPmf = new Float32Array(config.atoms);
    this.grads = new BufferCache(arena);
  }

  override modelSettings(): AlgorithmSettings {
    return { ...super.modelSettings(), atoms: this.config.atoms, vMin: this.config.vMin, vMax: this.config.vMax };
  }

  actionValues(out: Float32Array, n: number, q: Float32Array): void {
    const z = this.support;
    const na = z.length;
    for (let r = 0; r < n * this.nActions; r++) {
      const o = r * na;
      let m = out[o]!;
      for (let j = 1; j < na; j++) if (out[o + j]! > m) m = out[o + j]!;
      let s = 0;
      let sz = 0;
      for (let j = 0; j < na; j++) {
        const e = Math.exp(out[o + j]! - m);
        s += e;
        sz += e * z[j]!;
      }
      q[r] = sz / s;
    }
  }

  /** pmf of the `atoms` logits at `out[o …]` into `dst[d …]` (a stable softmax). */
  private softmaxAt(out: Float32Array, o: number, dst: Float32Array, d: number): void {
    const na = this.outputsPerAction;
    let m = out[o]!;
    for (let j = 1; j < na; j++) if (out[o + j]! > m) m = out[o + j]!;
    let s = 0;
    for (let j = 0; j < na; j++) s += Math.exp(out[o + j]! - m);
    for (let j = 0; j < na; j++) dst[d + j] = Math.exp(out[o + j]! - m) / s;
  }

  computeTargets(nets: QNetworks, { nextObs: xNext }: BatchInputs, batch: TrainingBatch): void {
    const n = batch.size;
    const na = this.outputsPerAction;
    if (this.nextActions.length < n) {
      this.nextActions = new Int32Array(n);
      this.nextPmfs = new Float32Array(n * na);
      this.targets = new Float32Array(n * na);
    }
    const next = this.nextActions;
    if (this.config.double) this.greedyActions(this.forward(nets.online, xNext, "select").data, n, next);
    const zt = this.forward(nets.target, xNext, "target").data;
    if (!this.config.double) this.greedyActions(zt, n, next);
    const width = this.nActions * na;
    for (let b = 0; b < n; b++) this.softmaxAt(zt, b * width + next[b]! * na, this.nextPmfs, b * na);
    projectDistribution(this.nextPmfs, batch, n, this.support, this.targets);
  }

  /** The projected target distributions [n × atoms] of the last `computeTargets`. */
  lastTargets(n: number): Float32Array {
    return this.targets.subarray(0, n * this.outputsPerAction);
  }

  /** The next actions a* and their target-net distributions [n × atoms] of the last `computeTargets`. */
  lastNext(n: number): { actions: Int32Array; pmfs: Float32Array } {
    return { actions: this.nextActions.subarray(0, n), pmfs: this.nextPmfs.subarray(0, n * this.outputsPerAction) };
  }

  /**
   * mean_b w_b·(−Σ_j target_bj·log clamp(p_j(s_b, a_b), 1e-5, 1 − 1e-5)); the gradient through the
   * clamp is zero where it clamps (PyTorch's); each sample's cross entropy is its priority.
   */
  loss(out: Tensor, batch: TrainingBatch, weights: Float32Array | undefined): number {
    const n = batch.size;
    const na = this.outputsPerAction;
    const width = this.nActions * na;
    if (out.shape.length !== 2 || out.shape[0] !== n || out.shape[1] !== width) {
      throw new RangeError(`C51 loss: expected logits [${n}, ${width}], got [${out.shape.join(", ")}]`);
    }
    const gradT = this.grads.get(n, width);
    if (this.perSample.length < n) this.perSample = new Float32Array(n);
    // Views after the allocation: it may grow the memory.
    const logits = out.data;
    const g = gradT.data;
    g.fill(0);
    const p = this.pmf;
    const dp = this.dPmf;
    let total = 0;
    for (let b = 0; b < n; b++) {
      const a = batch.actions[b]!;
      if (!Number.isInteger(a) || a < 0 || a >= this.nActions) throw new RangeError(`C51 loss: action ${a} at index ${b} is outside [0, ${this.nActions})`);
      const w = weights ? weights[b]! : 1;
      const o = b * width + a * na;
      this.softmaxAt(logits, o, p, 0);
      let ce = 0;
      for (let j = 0; j < na; j++) {
        const t = this.targets[b * na + j]!;
        const pj = p[j]!;
        const inside = pj >= P_MIN && pj <= P_MAX;
        ce -= t * Math.log(inside ? pj : pj < P_MIN ? P_MIN : P_MAX);
        dp[j] = inside ? (-w * t) / (pj * n) : 0;
      }
      softmaxRowsBackward(p, dp, 1, na, dp);
      g.set(dp, o);
      this.perSample[b] = ce;
      total += w * ce;
    }
    this.grad = gradT;
    return total / n;
  }

  get dOut(): Tensor {
    if (this.grad === null) throw new Error("C51: dOut read before loss()");
    return this.grad;
  }

  get tdErrors(): Float32Array {
    return this.perSample;
  }
}
