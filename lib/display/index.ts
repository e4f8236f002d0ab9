// Notebook and file output: figures (plotly specs, PNG/SVG via headless Chromium), tables, summaries, progress.
// Only lib/display makes HTML or plots.
import { installTableDisplay } from "./table";
import { progress } from "./progress";
import { setProgressFactory } from "../base/progress-hook";

export {
  display,
  displayBundle,
  isDisplayable,
} from "./sink";
export type { MimeBundle, DisplayOptions, DisplaySink, Displayable } from "./sink";
export { Figure, show, PLOTLY_MIME } from "./figure";
export type { PlotlySpec, PlotlyTrace, PlotlyLayout, FigureRenderOptions } from "./figure";
export type { FigureOptions, ReferenceLine } from "./chart-layout";
export { lineFigure, barFigure, heatmapFigure, histogramFigure, scatterFigure, emaSmooth } from "./charts";
export type {
  LineFigureOptions,
  BarFigureOptions,
  HeatmapFigureOptions,
  HeatmapMatrix,
  HistogramFigureOptions,
  ScatterFigureOptions,
} from "./charts";
export { trajectoryFigure } from "./trajectory-figure";
export type { TrajectoryFigureOptions, TrajectoryLike } from "./trajectory-figure";
export { renderPlotlyPng, renderPlotlySvg, closeRenderer, chromiumPath, ChromiumMissingError } from "./chromium";
export type { ImageSize } from "./chromium";
export { tableBundle, installTableDisplay, formatCell } from "./table";
export type { TableDisplayOptions } from "./table";
export type { Row as TableRow, TableInput } from "./tabular";
export { summaryBundle, summaryDisplay } from "./summary";
export { claimsTable, claimsTableBundle, claimRows, claimsMarkdown, claimCounts } from "./claims";
export { progress, progressMode } from "./progress";
export type { Progress, ProgressOptions, ProgressInfo, ProgressMode } from "./progress";
export { houseTemplate } from "./theme";
installTableDisplay();
// Areas below display (model, evaluation) show their progress through lib/base's hook.
setProgressFactory(progress);
