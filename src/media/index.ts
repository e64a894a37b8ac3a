/** deepq media: pure functions on pixels and numbers — the raster and font, PNG/GIF encoders, plots; MP4 via ffmpeg in video.ts. */

export { captionFrame, type GifOptions, GifWriter, gifFps } from "./gif.js";
export type { BandSeries, CurvesBandData, EpisodePoint, EvalPoint, PlotSize, ReturnsPlotData } from "./plot.js";
export { curvesBandPng, curvesBandRaster, formatTick, niceTicks, returnsPlotPng, returnsPlotRaster, returnsPlotSvg } from "./plot.js";
export { encodePng, PngEncoder } from "./png.js";
export { findFfmpeg, openVideo, type VideoFormat, type VideoOptions, type VideoWriter, videoFormat } from "./video.js";
