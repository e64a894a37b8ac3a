export { returnsPlotPng, returnsPlotRaster, returnsPlotSvg, encodePng, niceTicks, formatTick } from "./plot.js";
export type { EpisodePoint, EvalPoint, PlotSize, ReturnsPlotData } from "./plot.js";
export { RgbCanvas, parseColor, type Rgb } from "./canvas.js";
export { GifWriter, captionFrame, type GifOptions } from "./gif.js";
