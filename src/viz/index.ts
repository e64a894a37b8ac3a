export { returnsPlotPng, returnsPlotRaster, returnsPlotSvg, niceTicks, formatTick } from "./plot.js";
export { encodePng, PngEncoder } from "./png.js";
export type { EpisodePoint, EvalPoint, PlotSize, ReturnsPlotData } from "./plot.js";
export { GifWriter, captionFrame, gifFps, type GifOptions } from "./gif.js";
