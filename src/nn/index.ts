/** deepq/nn: tensors on one WebAssembly memory, modules with explicit backward, losses, optimizers, safetensors. */
export type { KernelBackend, Kernels } from "./kernels/abi.js";
export { createJsKernels, createKernels, setPreferredKernels, type KernelsFactory } from "./kernels/index.js";
export { Arena, Tensor, defaultArena, setDefaultArena, kernels, shapeSize, formatShape, type ArenaOptions } from "./tensor.js";
export { Rng, type RngState } from "./rng.js";
export {
  Module, Parameter, Counter, Sequential, ReLU, LeakyReLU, Flatten, BufferCache, type LoadOptions, type LoadResult, type StateValue,
} from "./module.js";
export {
  Linear, Conv2d, BatchNorm2d, Dueling, convOutSize, type DuelingOptions, type HeadLayout, type LayerOptions, type Conv2dOptions, type BatchNormOptions,
} from "./layers.js";
export { NoisyLinear, standardNormal, type NoisyLinearOptions } from "./noisy.js";
export { Dropout, type DropoutOptions } from "./dropout.js";
export { LayerNorm, type LayerNormOptions } from "./norm.js";
export { argmaxAt, argmaxRows, logSoftmaxRows, logSoftmaxRowsBackward, softmaxRows, softmaxRowsBackward } from "./ops.js";
export {
  Optimizer, SGD, Adam, RMSprop, clipGradNorm,
  type OptimizerKind, type OptimizerState, type AdamOptions, type RMSpropOptions, type SGDOptions,
} from "./optim.js";
export {
  mlp, natureCnn, smallCnn, duelingMlp, duelingNatureCnn, duelingSmallCnn, cnnBody,
  type Activation, type NetOptions, type CnnOptions, type CnnKind,
} from "./nets.js";
export {
  parseSafeTensors, serializeSafeTensors, toFloat32, SafeTensorsError,
  type DType, type SafeTensor, type SafeTensorsFile, type TensorInput, type TensorData,
} from "./safetensors.js";
export { createDefaultArenaAsync } from "./arena-async.js";
