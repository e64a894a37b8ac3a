/**
 * The Q-networks of the DQN family, built as PyTorch would build them with
 * `nn.Sequential`, so their state-dict names (`0.weight`, `7.weight`, …) match a
 * PyTorch model of the same architecture. The first layer computes no input gradient.
 */
import { Dropout } from "./dropout.js";
import { Conv2d, convOutSize, Dueling, type DuelingOptions, type HeadLayout, Linear } from "./layers.js";
import { Flatten, LeakyReLU, type Module, ReLU, Sequential } from "./module.js";
import { NoisyLinear } from "./noisy.js";
import { Rng } from "./rng.js";
import type { Arena } from "./tensor.js";

export type Activation = "relu" | "leaky_relu";

export interface NetOptions {
  /** Seed for the initial weights (ignored when `rng` is given); default 0. */
  seed?: number;
  rng?: Rng;
  arena?: Arena;
  /** Hidden activation of MLPs (default "relu"). */
  activation?: Activation;
  /** Slope of LeakyReLU for x < 0 (default 0.01, as PyTorch). */
  negativeSlope?: number;
  /** Dueling nets: outputs per action (a distributional head's atoms or quantiles), default 1. */
  atoms?: number;
  /** Dueling nets: how those outputs are laid out per row (see `HeadLayout`). */
  layout?: HeadLayout;
  /**
   * NoisyNets: the fully connected layers become factorised `NoisyLinear` layers with this σ0
   * (every Linear of an MLP; the fc layers after a conv stack, as CleanRL's rainbow_atari.py;
   * the value and advantage layers of a dueling head). Names become `weight_mu`, … .
   */
  noisy?: { sigma0: number };
  /** The stream NoisyNet noise and dropout masks are drawn from (default: a fresh `Rng(0)`). */
  noise?: Rng;
}

export interface CnnOptions extends NetOptions {
  /** Input height and width (default 84×84, the DQN-paper frames). */
  height?: number;
  width?: number;
  /**
   * Dropout probability after the second conv layer's ReLU (0 or absent: no Dropout module, so
   * the state-dict names stay those of the plain net; with it, later layers shift by one index).
   */
  dropout?: number;
}

interface Ctx {
  rng: Rng;
  arena: Arena | undefined;
  noise: Rng;
  sigma0: number | null;
}

function ctx(opts: NetOptions): Ctx {
  return { rng: opts.rng ?? new Rng(opts.seed ?? 0), arena: opts.arena, noise: opts.noise ?? new Rng(0), sigma0: opts.noisy?.sigma0 ?? null };
}

/** A fully connected layer: `NoisyLinear` for NoisyNets, else `Linear`. */
function linear(c: Ctx, inFeatures: number, outFeatures: number): Module {
  const layer = { rng: c.rng, arena: c.arena };
  return c.sigma0 === null
    ? new Linear(inFeatures, outFeatures, layer)
    : new NoisyLinear(inFeatures, outFeatures, { ...layer, noise: c.noise, sigma0: c.sigma0 });
}

function duelingOptions(opts: NetOptions, c: Ctx): DuelingOptions {
  return {
    rng: c.rng,
    arena: c.arena,
    atoms: opts.atoms ?? 1,
    layout: opts.layout ?? "action-major",
    linear: (i, o) => linear(c, i, o),
  };
}

function activation(opts: NetOptions, c: Ctx): Module {
  const kind = opts.activation ?? "relu";
  if (kind === "relu") return new ReLU(c.arena);
  if (kind === "leaky_relu") return new LeakyReLU(opts.negativeSlope ?? 0.01, c.arena);
  throw new RangeError(`activation must be "relu" or "leaky_relu", got ${JSON.stringify(kind)}`);
}

function hiddenLayers(sizes: readonly number[], opts: NetOptions, c: Ctx, trailingActivation: boolean): Module[] {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(linear(c, sizes[i]!, sizes[i + 1]!));
    if (trailingActivation || i + 2 < sizes.length) layers.push(activation(opts, c));
  }
  return layers;
}

/** Linear layers of the given widths with an activation between them, e.g. mlp([8, 64, 64, 4]). */
export function mlp(sizes: readonly number[], opts: NetOptions = {}): Sequential {
  if (sizes.length < 2) throw new RangeError(`mlp: needs at least [in, out] sizes, got ${JSON.stringify(sizes)}`);
  const c = ctx(opts);
  return new Sequential(hiddenLayers(sizes, opts, c, false), c.arena).setInputGrad(false);
}

interface ConvSpec {
  out: number;
  kernel: number;
  stride: number;
}

const NATURE_CONVS: readonly ConvSpec[] = [
  { out: 32, kernel: 8, stride: 4 },
  { out: 64, kernel: 4, stride: 2 },
  { out: 64, kernel: 3, stride: 1 },
];
const NATURE_FC = 512;
const SMALL_CONVS: readonly ConvSpec[] = [
  { out: 16, kernel: 8, stride: 4 },
  { out: 32, kernel: 4, stride: 2 },
];
const SMALL_FC = 256;

/** Conv+ReLU stack (Dropout after the second ReLU when asked), then Flatten; returns the layers and the flat width. */
function convStack(inChannels: number, convs: readonly ConvSpec[], opts: CnnOptions, c: Ctx): { layers: Module[]; width: number } {
  const dropout = opts.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
  let h = opts.height ?? 84;
  let w = opts.width ?? 84;
  let ch = inChannels;
  const layers: Module[] = [];
  convs.forEach((s, i) => {
    layers.push(new Conv2d(ch, s.out, s.kernel, { stride: s.stride, rng: c.rng, arena: c.arena }), new ReLU(c.arena));
    if (i === 1 && dropout > 0) layers.push(new Dropout(dropout, { rng: c.noise, arena: c.arena }));
    h = convOutSize(h, s.kernel, s.stride, 0);
    w = convOutSize(w, s.kernel, s.stride, 0);
    ch = s.out;
  });
  if (h <= 0 || w <= 0) {
    throw new RangeError(`input ${opts.height ?? 84}×${opts.width ?? 84} is too small for this conv stack (feature map ${h}×${w})`);
  }
  layers.push(new Flatten(c.arena));
  return { layers, width: ch * h * w };
}

/** The conv stack, Flatten, Linear(→fc), ReLU: the image features of every CNN here. */
function convTrunk(inChannels: number, convs: readonly ConvSpec[], fc: number, opts: CnnOptions, c: Ctx): Module[] {
  const { layers, width } = convStack(inChannels, convs, opts, c);
  layers.push(linear(c, width, fc), new ReLU(c.arena));
  return layers;
}

export type CnnKind = "nature-cnn" | "small-cnn";

const CNNS: Record<CnnKind, { convs: readonly ConvSpec[]; fc: number }> = {
  "nature-cnn": { convs: NATURE_CONVS, fc: NATURE_FC },
  "small-cnn": { convs: SMALL_CONVS, fc: SMALL_FC },
};

/**
 * The conv stack of a CNN kind up to Flatten, without its fc layer, for heads that combine the
 * flat conv features with something else (IQN's quantile embedding, as Dopamine's
 * `ImplicitQuantileNetwork`): the layers, their flat output width and the kind's fc width.
 */
export function cnnBody(kind: CnnKind, inChannels: number, opts: CnnOptions = {}): { layers: Module[]; width: number; fc: number } {
  const spec = CNNS[kind];
  return { ...convStack(inChannels, spec.convs, opts, ctx(opts)), fc: spec.fc };
}

/** Mnih et al. 2015: conv 32 8×8/4, 64 4×4/2, 64 3×3/1, fc 512, linear to actions (names 0, 2, 4, 7, 9). */
export function natureCnn(inChannels: number, nActions: number, opts: CnnOptions = {}): Sequential {
  const c = ctx(opts);
  const layers = convTrunk(inChannels, NATURE_CONVS, NATURE_FC, opts, c);
  layers.push(linear(c, NATURE_FC, nActions));
  return new Sequential(layers, c.arena).setInputGrad(false);
}

/** Mnih et al. 2013: conv 16 8×8/4, 32 4×4/2, fc 256, linear to actions (names 0, 2, 5, 7). */
export function smallCnn(inChannels: number, nActions: number, opts: CnnOptions = {}): Sequential {
  const c = ctx(opts);
  const layers = convTrunk(inChannels, SMALL_CONVS, SMALL_FC, opts, c);
  layers.push(linear(c, SMALL_FC, nActions));
  return new Sequential(layers, c.arena).setInputGrad(false);
}

/** Dueling MLP: features = Linear/activation over `sizes` (ending in an activation), then value and advantage heads. */
export function duelingMlp(sizes: readonly number[], nActions: number, opts: NetOptions = {}): Dueling {
  if (sizes.length < 2) throw new RangeError(`duelingMlp: needs at least [in, hidden] sizes, got ${JSON.stringify(sizes)}`);
  const c = ctx(opts);
  const features = new Sequential(hiddenLayers(sizes, opts, c, true), c.arena);
  return new Dueling(features, sizes[sizes.length - 1]!, nActions, duelingOptions(opts, c)).setInputGrad(false);
}

/** Dueling Nature CNN: the conv trunk and fc 512 as `features`, then value and advantage heads. */
export function duelingNatureCnn(inChannels: number, nActions: number, opts: CnnOptions = {}): Dueling {
  const c = ctx(opts);
  const features = new Sequential(convTrunk(inChannels, NATURE_CONVS, NATURE_FC, opts, c), c.arena);
  return new Dueling(features, NATURE_FC, nActions, duelingOptions(opts, c)).setInputGrad(false);
}

/** Dueling small CNN: the 2013 conv trunk and fc 256 as `features`, then value and advantage heads. */
export function duelingSmallCnn(inChannels: number, nActions: number, opts: CnnOptions = {}): Dueling {
  const c = ctx(opts);
  const features = new Sequential(convTrunk(inChannels, SMALL_CONVS, SMALL_FC, opts, c), c.arena);
  return new Dueling(features, SMALL_FC, nActions, duelingOptions(opts, c)).setInputGrad(false);
}
