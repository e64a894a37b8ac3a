/** deepq/nn: tensors on one WebAssembly memory, modules with explicit backward, losses, optimizers, safetensors. */

export { createDefaultArenaAsync } from "./arena-async.js";
export { Dropout, type DropoutOptions } from "./dropout.js";
export type { KernelBackend, Kernels } from "./kernels/abi.js";
export { createJsKernels, createKernels, type KernelsFactory, setPreferredKernels } from "./kernels/index.js";
export {
  BatchNorm2d,
  type BatchNormOptions,
  Conv2d,
  type Conv2dOptions,
  convOutSize,
  Dueling,
  type DuelingOptions,
  type HeadLayout,
  type LayerOptions,
  Linear,
} from "./layers.js";
export { BufferCache, Counter, Flatten, LeakyReLU, type LoadOptions, type LoadResult, Module, Parameter, ReLU, Sequential, type StateValue } from "./module.js";
export {
  type Activation,
  type CnnKind,
  type CnnOptions,
  cnnBody,
  duelingMlp,
  duelingNatureCnn,
  duelingSmallCnn,
  mlp,
  type NetOptions,
  natureCnn,
  smallCnn,
} from "./nets.js";
export { NoisyLinear, type NoisyLinearOptions, standardNormal } from "./noisy.js";
export { LayerNorm, type LayerNormOptions } from "./norm.js";
export { argmaxAt, argmaxRows, logSoftmaxRows, logSoftmaxRowsBackward, softmaxRows, softmaxRowsBackward } from "./ops.js";
export {
  Adam,
  type AdamOptions,
  clipGradNorm,
  Optimizer,
  type OptimizerKind,
  type OptimizerState,
  RMSprop,
  type RMSpropOptions,
  SGD,
  type SGDOptions,
} from "./optim.js";
export { Rng, type RngState } from "./rng.js";
export {
  type DType,
  parseSafeTensors,
  type SafeTensor,
  SafeTensorsError,
  type SafeTensorsFile,
  serializeSafeTensors,
  type TensorData,
  type TensorInput,
  toFloat32,
} from "./safetensors.js";
export { Arena, type ArenaOptions, defaultArena, formatShape, kernels, setDefaultArena, shapeSize, Tensor } from "./tensor.js";
