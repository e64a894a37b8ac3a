/** Composable `Env → Env` transforms, Gymnasium-style: each does one thing. */

export { TimeLimit } from "../envs/time-limit.js";
export { Wrapper } from "../envs/wrapper.js";
export { Crop, type CropOptions, DEFAULT_CROP } from "./crop.js";
export { ACTION_TABLES, type ActionTable, checkActionTable, DiscreteActions, resolveActionTable } from "./discrete-actions.js";
export { FrameSkip } from "./frame-skip.js";
export { FrameStack } from "./frame-stack.js";
export { GrayScale } from "./gray-scale.js";
export { NoopReset, type NoopResetOptions } from "./noop-reset.js";
export { ObservationWrapper } from "./observation-wrapper.js";
export { DQN_IMAGE_DEFAULTS, type DqnImagePipelineOptions, dqnImagePipeline } from "./pipeline.js";
export { type EpisodeStatistics, episodeStatistics, RecordEpisodeStatistics, type RecordEpisodeStatisticsOptions } from "./record-episode-statistics.js";
export { RecordVideo, type RecordVideoOptions } from "./record-video.js";
export { type Interpolation, Resize, type ResizeOptions } from "./resize.js";
export { SkippedTilePenalty, type SkippedTilePenaltyOptions, type TileCourse } from "./skipped-tile-penalty.js";
export type { BoxArray } from "./util.js";
export { VectorEnv, type VectorEnvOptions, type VectorInfos, type VectorResetArgs, type VectorResetResult, type VectorStepResult } from "./vector.js";
