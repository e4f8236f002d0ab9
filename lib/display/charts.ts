/**
 * The figure helpers the paper notebooks use. Each takes rows (arrays of objects, an arquero table,
 * a danfo DataFrame) plus column names and returns a `Figure` in the house style.
 */
import { RftlabError } from "../errors";
import { column, type FigureOptions, intervalBars, intervalColumns, layoutFor, plotValue } from "./chart-layout";
import { Figure, type PlotlyTrace } from "./figure";
import { distinct, requireColumns, type Row, type TableInput, toRows } from "./tabular";
import { HOUSE_COLORWAY, HOUSE_SEQUENTIAL } from "./theme";

/** Rows split by the distinct values of `series` (one group named "" when no series column). */
function groups(rows: Row[], series: string | undefined): [string, Row[]][] {
  if (series === undefined) return [["", rows]];
  return distinct(rows, series).map((s) => [String(s), rows.filter((r) => r[series] === s)]);
}

function asList(y: string | readonly string[], what: string): string[] {
  const list = typeof y === "string" ? [y] : [...y];
  if (list.length === 0) throw new RftlabError(`${what}: y must name at least one column; got []`);
  return list;
}

function traceName(group: string, y: string, ys: string[]): string {
  if (!group) return y;
  return ys.length > 1 ? `${group} · ${y}` : group;
}

const colour = (i: number) => HOUSE_COLORWAY[i % HOUSE_COLORWAY.length];
/** "#rrggbb" → "rgba(r, g, b, a)": a band's fill must be translucent itself (a trace's opacity is not applied to fills in static renders). */
const translucent = (hex: string, alpha: number) => `rgba(${[1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)).join(", ")}, ${alpha})`;

/** Exponential moving average (TensorBoard-style, debiased) over the non-null values. */
export function emaSmooth(values: readonly unknown[], weight: number): (number | null)[] {
  if (!(weight >= 0 && weight < 1)) throw new RftlabError(`emaSmooth: weight must be in [0, 1); got ${weight}`);
  let acc = 0;
  let n = 0;
  return values.map((v) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    acc = weight * acc + (1 - weight) * v;
    n += 1;
    return acc / (1 - weight ** n);
  });
}

export interface LineFigureOptions extends FigureOptions {
  /** Column on the x axis, e.g. "step". */
  x: string;
  /** One or more metric columns, e.g. "reward" or ["train/reward", "eval/reward"]. */
  y: string | readonly string[];
  /** Column whose values split rows into series (long format), e.g. "method" or "seed". */
  series?: string;
  markers?: boolean;
  /** EMA weight in [0, 1): draws the smoothed curve over a faint raw one. */
  smoothing?: number;
  /** Columns with the lower and upper bound of a confidence interval, drawn as a band (single y column). */
  ciLow?: string;
  ciHigh?: string;
}

export function lineFigure(data: TableInput, opts: LineFigureOptions): Figure {
  const rows = toRows(data, "lineFigure(data)");
  const ys = asList(opts.y, "lineFigure");
  const ci = intervalColumns("lineFigure", opts.ciLow, opts.ciHigh, ys);
  requireColumns(rows, [opts.x, ...ys, opts.series, ...(ci ?? [])], "lineFigure");
  const traces: PlotlyTrace[] = [];
  // Every band goes below every line, so one series' band never hides another's line.
  const bands: PlotlyTrace[] = [];
  for (const [group, gRows] of groups(rows, opts.series)) {
    for (const y of ys) {
      const i = traces.filter((t) => t.showlegend !== false).length;
      const name = traceName(group, y, ys);
      const xs = column(gRows, opts.x);
      const vs = column(gRows, y);
      const line = { color: colour(i) };
      if (ci) {
        // The band: upper bound, then the lower bound filled up to it, in the line's colour.
        const band = {
          type: "scatter",
          mode: "lines",
          x: xs,
          legendgroup: name,
          showlegend: false,
          hoverinfo: "skip",
          line: { width: 0, color: colour(i) },
        };
        bands.push({ ...band, y: column(gRows, ci[1]) });
        bands.push({ ...band, y: column(gRows, ci[0]), fill: "tonexty", fillcolor: translucent(colour(i), 0.2) });
      }
      const mode = opts.markers ? "lines+markers" : "lines";
      if (opts.smoothing) {
        traces.push({
          type: "scatter",
          mode: "lines",
          x: xs,
          y: vs,
          name,
          legendgroup: name,
          showlegend: false,
          opacity: 0.25,
          line,
          hoverinfo: "skip",
        });
        traces.push({ type: "scatter", mode, x: xs, y: emaSmooth(vs, opts.smoothing), name, legendgroup: name, line });
      } else {
        traces.push({ type: "scatter", mode, x: xs, y: vs, name, line, connectgaps: true });
      }
    }
  }
  const yTitle = ys.length === 1 ? ys[0] : undefined;
  const shown = traces.filter((t) => t.showlegend !== false).length;
  return new Figure({
    data: [...bands, ...traces],
    layout: layoutFor(opts, opts.x, yTitle, { showlegend: shown > 1 }, column(rows, opts.x), opts.series),
  });
}

export interface BarFigureOptions extends FigureOptions {
  /** Category column on the x axis (the y axis when horizontal). */
  x: string;
  y: string | readonly string[];
  /** Column splitting rows into grouped bars, e.g. "method". */
  series?: string;
  /** Column holding the error bar half-width (e.g. std over seeds). Only with a single y column. */
  error?: string;
  /** Columns with a confidence interval's bounds, drawn as asymmetric error bars (single y column). */
  ciLow?: string;
  ciHigh?: string;
  horizontal?: boolean;
}

/** Grouped bars: one bar per category and per series value (or per y column). */
export function barFigure(data: TableInput, opts: BarFigureOptions): Figure {
  const rows = toRows(data, "barFigure(data)");
  const ys = asList(opts.y, "barFigure");
  if (opts.error && ys.length > 1) {
    throw new RftlabError(`barFigure: error="${opts.error}" needs a single y column; got y=${JSON.stringify(ys)}`);
  }
  const ci = intervalColumns("barFigure", opts.ciLow, opts.ciHigh, ys);
  if (ci && opts.error) throw new RftlabError(`barFigure: pass error or ciLow/ciHigh, not both; got error="${opts.error}"`);
  requireColumns(rows, [opts.x, ...ys, opts.series, opts.error, ...(ci ?? [])], "barFigure");
  const traces: PlotlyTrace[] = [];
  for (const [group, gRows] of groups(rows, opts.series)) {
    for (const y of ys) {
      const cats = column(gRows, opts.x).map((c) => (c === null ? "" : String(c)));
      const vals = column(gRows, y);
      const t: PlotlyTrace = {
        type: "bar",
        name: traceName(group, y, ys),
        marker: { color: colour(traces.length) },
        ...(opts.horizontal ? { orientation: "h", y: cats, x: vals } : { x: cats, y: vals }),
      };
      const errorKey = opts.horizontal ? "error_x" : "error_y";
      if (opts.error) t[errorKey] = { type: "data", array: column(gRows, opts.error), visible: true, color: "#333333", thickness: 1.2 };
      if (ci) t[errorKey] = intervalBars(gRows, y, ci);
      traces.push(t);
    }
  }
  const valueTitle = ys.length === 1 ? ys[0] : undefined;
  const [xTitle, yTitle] = opts.horizontal ? [valueTitle, opts.x] : [opts.x, valueTitle];
  const catAxis = { type: "category", showgrid: false };
  return new Figure({
    data: traces,
    layout: layoutFor(
      opts,
      xTitle,
      yTitle,
      {
        barmode: "group",
        showlegend: traces.length > 1,
        ...(opts.horizontal ? { yaxis: catAxis } : { xaxis: catAxis }),
      },
      undefined,
      opts.series,
    ),
  });
}

/** A matrix given directly: z[i][j] is the cell in row y[i], column x[j]. */
export interface HeatmapMatrix {
  z: readonly (readonly (number | null)[])[];
  x?: readonly unknown[];
  y?: readonly unknown[];
}

export interface HeatmapFigureOptions extends FigureOptions {
  /** With rows: the columns holding the column label, row label and cell value. */
  x?: string;
  y?: string;
  value?: string;
  /** Write each cell's value on it; default when there are at most 400 cells. */
  annotate?: boolean;
  /** Decimals in annotations; default 2. */
  digits?: number;
  zmin?: number;
  zmax?: number;
  colorscale?: string | [number, string][];
  /** Title of the colour bar, e.g. "accuracy". */
  colorbarTitle?: string;
}

function isMatrix(data: unknown): data is HeatmapMatrix {
  return !Array.isArray(data) && Array.isArray((data as Partial<HeatmapMatrix>)?.z);
}

/** A plain matrix of numbers (rows of cells), e.g. an accuracy matrix `a[t][i]`. */
function isPlainMatrix(data: unknown): data is readonly (readonly (number | null)[])[] {
  return (
    Array.isArray(data) && data.length > 0 && data.every((r) => Array.isArray(r) && r.every((v) => v === null || typeof v === "number"))
  );
}

/** Builds the matrix from long rows: one cell per (y, x) pair, in order of first appearance. */
function matrixFromRows(data: TableInput, opts: HeatmapFigureOptions): Required<HeatmapMatrix> {
  const { x, y, value } = opts;
  if (!x || !y || !value) {
    throw new RftlabError(`heatmapFigure: with rows, pass the column names x, y and value; got x=${x}, y=${y}, value=${value}`);
  }
  const rows = toRows(data, "heatmapFigure(data)");
  requireColumns(rows, [x, y, value], "heatmapFigure");
  const xs = distinct(rows, x);
  const ys = distinct(rows, y);
  const z = ys.map(() => xs.map((): number | null => null));
  for (const r of rows) z[ys.indexOf(r[y])][xs.indexOf(r[x])] = plotValue(r[value]) as number | null;
  return { z, x: xs, y: ys };
}

/** Accuracy matrices, per-layer sparsity, …: a heatmap with each cell's value written on it. */
export function heatmapFigure(
  data: HeatmapMatrix | readonly (readonly (number | null)[])[] | TableInput,
  opts: HeatmapFigureOptions = {},
): Figure {
  const m = isMatrix(data) ? data : isPlainMatrix(data) ? { z: data } : matrixFromRows(data as TableInput, opts);
  const nRows = m.z.length;
  const nCols = Math.max(0, ...m.z.map((r) => r.length));
  const xLabels = (m.x ?? Array.from({ length: nCols }, (_, j) => j)).map(String);
  const yLabels = (m.y ?? Array.from({ length: nRows }, (_, i) => i)).map(String);
  if (xLabels.length !== nCols || yLabels.length !== nRows) {
    throw new RftlabError(`heatmapFigure: z is ${nRows}x${nCols} but got ${yLabels.length} y labels and ${xLabels.length} x labels`);
  }
  const z = m.z.map((r) => Array.from({ length: nCols }, (_, j) => plotValue(r[j]) as number | null));
  const finite = z.flat().filter((v): v is number => v !== null);
  const zmin = opts.zmin ?? (finite.length ? Math.min(...finite) : 0);
  const zmax = opts.zmax ?? (finite.length ? Math.max(...finite) : 1);
  const digits = opts.digits ?? 2;
  const annotate = opts.annotate ?? nRows * nCols <= 400;
  const annotations: Record<string, unknown>[] = [];
  if (annotate) {
    z.forEach((r, i) =>
      r.forEach((v, j) => {
        if (v === null) return;
        const level = zmax > zmin ? (v - zmin) / (zmax - zmin) : 0.5;
        annotations.push({
          x: xLabels[j],
          y: yLabels[i],
          text: v.toFixed(digits),
          showarrow: false,
          font: { color: level > 0.55 ? "#ffffff" : "#222222", size: 12 },
        });
      }),
    );
  }
  const trace: PlotlyTrace = {
    type: "heatmap",
    z,
    x: xLabels,
    y: yLabels,
    zmin,
    zmax,
    colorscale: opts.colorscale ?? HOUSE_SEQUENTIAL,
    xgap: 1,
    ygap: 1,
    colorbar: { thickness: 14, outlinewidth: 0, ...(opts.colorbarTitle ? { title: { text: opts.colorbarTitle } } : {}) },
    hovertemplate: "%{y} / %{x}: %{z}<extra></extra>",
  };
  const axis = { type: "category", showgrid: false, showline: false, ticks: "" };
  return new Figure({
    data: [trace],
    layout: layoutFor(opts, opts.x, opts.y, {
      xaxis: { ...axis, side: "bottom" },
      yaxis: { ...axis, autorange: "reversed" },
      annotations,
      plot_bgcolor: "#ffffff",
    }),
  });
}

export interface HistogramFigureOptions extends FigureOptions {
  /** With rows: the column to bin. */
  x?: string;
  series?: string;
  nbins?: number;
  histnorm?: "" | "percent" | "probability" | "density" | "probability density";
}

/** Distribution of a column (or of a plain number array), overlaid per series. */
export function histogramFigure(data: readonly number[] | TableInput, opts: HistogramFigureOptions = {}): Figure {
  const plain = Array.isArray(data) && data.every((v) => typeof v === "number");
  let groupsOf: [string, unknown[]][];
  if (plain) {
    groupsOf = [["", (data as number[]).map(plotValue)]];
  } else {
    if (!opts.x) throw new RftlabError("histogramFigure: with rows, pass the column to bin as x; got x=undefined");
    const rows = toRows(data as TableInput, "histogramFigure(data)");
    requireColumns(rows, [opts.x, opts.series], "histogramFigure");
    groupsOf = groups(rows, opts.series).map(([g, r]) => [g, column(r, opts.x!)]);
  }
  const overlay = groupsOf.length > 1;
  const traces = groupsOf.map(
    ([name, xs], i): PlotlyTrace => ({
      type: "histogram",
      x: xs,
      name: name || opts.x || "value",
      marker: { color: colour(i) },
      bingroup: 1, // overlaid series share bin edges, so their bars line up
      ...(overlay ? { opacity: 0.55 } : {}),
      ...(opts.nbins ? { nbinsx: opts.nbins } : {}),
      ...(opts.histnorm ? { histnorm: opts.histnorm } : {}),
    }),
  );
  const yTitle = opts.histnorm || "count";
  return new Figure({
    data: traces,
    layout: layoutFor(opts, opts.x, yTitle, { barmode: "overlay", bargap: 0.03, showlegend: overlay }, undefined, opts.series),
  });
}

export interface ScatterFigureOptions extends FigureOptions {
  x: string;
  y: string;
  series?: string;
  /** Column shown on hover for each point (e.g. a run name). */
  text?: string;
  /** Marker size in px, or a column scaled to 6–24 px. */
  size?: number | string;
  /** Columns with a confidence interval's bounds on y, drawn as error bars. */
  ciLow?: string;
  ciHigh?: string;
  /** Columns with a confidence interval's bounds on x (e.g. an accuracy on the x axis), drawn as horizontal error bars. */
  xCiLow?: string;
  xCiHigh?: string;
}

/** Points: one colour per series value, optional hover labels and sized markers. */
export function scatterFigure(data: TableInput, opts: ScatterFigureOptions): Figure {
  const rows = toRows(data, "scatterFigure(data)");
  const sizeColumn = typeof opts.size === "string" ? opts.size : undefined;
  const ci = intervalColumns("scatterFigure", opts.ciLow, opts.ciHigh, [opts.y]);
  const xCi = intervalColumns("scatterFigure", opts.xCiLow, opts.xCiHigh, [opts.x]);
  requireColumns(rows, [opts.x, opts.y, opts.series, opts.text, sizeColumn, ...(ci ?? []), ...(xCi ?? [])], "scatterFigure");
  const sizes = sizeColumn ? rows.map((r) => Number(r[sizeColumn])).filter(Number.isFinite) : [];
  const [lo, hi] = [Math.min(...sizes), Math.max(...sizes)];
  const sizeOf = (r: Row): number => {
    if (!sizeColumn) return typeof opts.size === "number" ? opts.size : 8;
    const v = Number(r[sizeColumn]);
    return Number.isFinite(v) ? 6 + (hi > lo ? (18 * (v - lo)) / (hi - lo) : 6) : 6;
  };
  const traces = groups(rows, opts.series).map(
    ([name, g], i): PlotlyTrace => ({
      type: "scatter",
      mode: "markers",
      name: name || opts.y,
      x: column(g, opts.x),
      y: column(g, opts.y),
      marker: { color: colour(i), size: g.map(sizeOf), opacity: 0.85, line: { width: 0.5, color: "#ffffff" } },
      ...(opts.text ? { text: g.map((r) => String(r[opts.text!] ?? "")), hovertemplate: "%{text}<br>%{x}, %{y}<extra></extra>" } : {}),
      ...(ci ? { error_y: intervalBars(g, opts.y, ci) } : {}),
      ...(xCi ? { error_x: intervalBars(g, opts.x, xCi) } : {}),
    }),
  );
  return new Figure({ data: traces, layout: layoutFor(opts, opts.x, opts.y, { showlegend: traces.length > 1 }, undefined, opts.series) });
}
