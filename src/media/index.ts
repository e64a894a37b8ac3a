/** deepq media: pure functions on pixels and numbers — the raster and font, PNG/GIF encoders, plots; MP4 via ffmpeg in video.ts. */
export { returnsPlotPng, returnsPlotRaster, returnsPlotSvg, niceTicks, formatTick } from "./plot.js";
export { encodePng, PngEncoder } from "./png.js";
export type { EpisodePoint, EvalPoint, PlotSize, ReturnsPlotData } from "./plot.js";
export { GifWriter, captionFrame, gifFps, type GifOptions } from "./gif.js";
export { openVideo, videoFormat, findFfmpeg, type VideoFormat, type VideoOptions, type VideoWriter } from "./video.js";
