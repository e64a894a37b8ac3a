/**
 * Q-learning targets and the TD loss on Q(s, a) (DQN and Double DQN). The loss looks only
 * at Q(s, a) of the taken action, so it runs on [N, actions] arrays in TypeScript; what it
 * produces for backward is a dQ tensor that is zero except at the taken actions.
 */
import { type Arena, argmaxAt, BufferCache, defaultArena, formatShape, type Tensor } from "../nn/index.js";

export type QLossKind = "mse" | "huber";

export interface QLossOptions {
  /** Huber/smooth-L1 threshold β (torch.nn.SmoothL1Loss(beta)); default 1. */
  beta?: number;
  arena?: Arena;
}

function checkQ(what: string, q: Tensor): void {
  if (q.shape.length !== 2) throw new RangeError(`${what}: expected Q values [N, actions], got ${formatShape(q.shape)}`);
}

function checkLen(what: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) throw new RangeError(`${what}: ${name} has ${a.length} entries, the batch has ${n}`);
}

/**
 * Mean-reduced MSE or Huber loss of Q(s, a) against targets, optionally weighted per
 * sample (importance weights of prioritized replay: loss = mean(w_i · ℓ_i)).
 * `compute` returns the loss, leaves dLoss/dQ in `dQ` and δ_i = target_i − Q(s_i, a_i) in `tdErrors`.
 */
export class QLoss {
  readonly beta: number;
  private readonly arena: Arena;
  private readonly grads: BufferCache;
  private readonly tdByBatch = new Map<number, Float32Array>();
  private dq: Tensor | null = null;
  private td: Float32Array = new Float32Array(0);

  constructor(
    readonly kind: QLossKind,
    opts: QLossOptions = {},
  ) {
    if (kind !== "mse" && kind !== "huber") throw new RangeError(`QLoss: kind must be "mse" or "huber", got ${JSON.stringify(kind)}`);
    this.beta = opts.beta ?? 1;
    if (!(this.beta > 0)) throw new RangeError(`QLoss: Huber beta must be > 0, got ${this.beta}`);
    this.arena = opts.arena ?? defaultArena();
    this.grads = new BufferCache(this.arena);
  }

  /** dLoss/dQ of the last `compute`, shape of its Q input. */
  get dQ(): Tensor {
    if (this.dq === null) throw new Error("QLoss: dQ read before compute()");
    return this.dq;
  }

  /** target − Q(s, a) per sample of the last `compute` (for new replay priorities). */
  get tdErrors(): Float32Array {
    return this.td;
  }

  compute(q: Tensor, actions: ArrayLike<number>, targets: ArrayLike<number>, weights?: ArrayLike<number>): number {
    checkQ("QLoss", q);
    const n = q.shape[0]!;
    const na = q.shape[1]!;
    checkLen("QLoss", "actions", actions, n);
    checkLen("QLoss", "targets", targets, n);
    if (weights) checkLen("QLoss", "weights", weights, n);
    const dqT = this.grads.get(n, na);
    let td = this.tdByBatch.get(n);
    if (td === undefined) {
      td = new Float32Array(n);
      this.tdByBatch.set(n, td);
    }
    const qd = q.data;
    const dq = dqT.data;
    dq.fill(0);
    const huber = this.kind === "huber";
    const beta = this.beta;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const a = actions[i]!;
      if (!Number.isInteger(a) || a < 0 || a >= na) throw new RangeError(`QLoss: action ${a} at index ${i} is outside [0, ${na})`);
      const d = qd[i * na + a]! - targets[i]!;
      td[i] = -d;
      const w = weights ? weights[i]! : 1;
      let l: number;
      let g: number;
      if (!huber) {
        l = d * d;
        g = 2 * d;
      } else if (Math.abs(d) < beta) {
        l = (0.5 * d * d) / beta;
        g = d / beta;
      } else {
        l = Math.abs(d) - 0.5 * beta;
        g = d > 0 ? 1 : -1;
      }
      total += w * l;
      dq[i * na + a] = (w * g) / n;
    }
    this.dq = dqT;
    this.td = td;
    return total / n;
  }
}

/** out_i = r_i + γ·(1 − done_i)·max_a qNext[i, a] (`done` = terminated, not truncated). */
export function tdTargets(qNext: Tensor, rewards: ArrayLike<number>, dones: ArrayLike<number>, gamma: number, out: Float32Array): Float32Array {
  checkQ("tdTargets", qNext);
  const [n, na] = qNext.shape as [number, number];
  checkLen("tdTargets", "rewards", rewards, n);
  checkLen("tdTargets", "dones", dones, n);
  checkLen("tdTargets", "out", out, n);
  const q = qNext.data;
  for (let i = 0; i < n; i++) {
    let m = q[i * na]!;
    for (let j = 1; j < na; j++) if (q[i * na + j]! > m) m = q[i * na + j]!;
    out[i] = rewards[i]! + gamma * (1 - dones[i]!) * m;
  }
  return out;
}

/** Double DQN: out_i = r_i + γ·(1 − done_i)·qNextTarget[i, argmax_a qNextOnline[i, a]]. */
export function doubleTdTargets(
  qNextTarget: Tensor,
  qNextOnline: Tensor,
  rewards: ArrayLike<number>,
  dones: ArrayLike<number>,
  gamma: number,
  out: Float32Array,
): Float32Array {
  checkQ("doubleTdTargets", qNextTarget);
  checkQ("doubleTdTargets", qNextOnline);
  const [n, na] = qNextTarget.shape as [number, number];
  const [n2, na2] = qNextOnline.shape as [number, number];
  if (n2 !== n || na2 !== na) {
    throw new RangeError(`doubleTdTargets: online Q ${formatShape(qNextOnline.shape)} and target Q ${formatShape(qNextTarget.shape)} differ in shape`);
  }
  checkLen("doubleTdTargets", "rewards", rewards, n);
  checkLen("doubleTdTargets", "dones", dones, n);
  checkLen("doubleTdTargets", "out", out, n);
  const qt = qNextTarget.data;
  const qo = qNextOnline.data;
  for (let i = 0; i < n; i++) {
    const best = argmaxAt(qo, i * na, na);
    out[i] = rewards[i]! + gamma * (1 - dones[i]!) * qt[i * na + best]!;
  }
  return out;
}
