/** Composable `Env → Env` transforms, Gymnasium-style: each does one thing. */
export { Wrapper } from "../envs/wrapper.js";
export { ObservationWrapper } from "./observation-wrapper.js";
export { TimeLimit } from "../envs/time-limit.js";
export { RecordEpisodeStatistics, episodeStatistics, type EpisodeStatistics, type RecordEpisodeStatisticsOptions } from "./record-episode-statistics.js";
export { FrameSkip } from "./frame-skip.js";
export { GrayScale } from "./gray-scale.js";
export { Crop, DEFAULT_CROP, type CropOptions } from "./crop.js";
export { Resize, type Interpolation, type ResizeOptions } from "./resize.js";
export { FrameStack } from "./frame-stack.js";
export { NoopReset, type NoopResetOptions } from "./noop-reset.js";
export { dqnImagePipeline, DQN_IMAGE_DEFAULTS, type DqnImagePipelineOptions } from "./pipeline.js";
export { DiscreteActions, ACTION_TABLES, resolveActionTable, checkActionTable, type ActionTable } from "./discrete-actions.js";
export { VectorEnv, type VectorEnvOptions, type VectorResetArgs, type VectorInfos, type VectorResetResult, type VectorStepResult } from "./vector.js";
export { RecordVideo, type RecordVideoOptions } from "./record-video.js";
export type { BoxArray } from "./util.js";
