// Layout pieces shared by the chart helpers: axis titles, integer step ticks, reference lines, legend titles
// and confidence intervals (bands and asymmetric error bars), so every figure shows what a reader needs.
import { RftlabError } from "../errors";
import type { PlotlyLayout } from "./figure";
import type { Row } from "./tabular";

export interface FigureOptions {
  title?: string;
  /** Axis titles; default to the column names. */
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  logX?: boolean;
  logY?: boolean;
  /** Legend title; default the `series` column's name. */
  legendTitle?: string;
  /** Integer ticks on x (steps, stages): default when every x value is an integer. */
  integerX?: boolean;
  /** Horizontal reference lines (ln V, base accuracy, chance). */
  hlines?: readonly ReferenceLine[];
  /** Vertical reference lines (a stage boundary, a chosen λ). */
  vlines?: readonly ReferenceLine[];
  /** Merged last into the layout (plotly layout keys). */
  layout?: PlotlyLayout;
}

/** A dashed reference line at `at`, labelled at its end. */
export interface ReferenceLine {
  at: number;
  label?: string;
  color?: string;
}

/** Plotly shapes and labels for the reference lines (paper coordinates along the other axis). */
function referenceLines(opts: FigureOptions): PlotlyLayout {
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const add = (l: ReferenceLine, horizontal: boolean) => {
    if (!Number.isFinite(l.at))
      throw new RftlabError(`reference line: at must be a finite number; got ${l.at}${l.label ? ` (${l.label})` : ""}`);
    const line = { color: l.color ?? "#555555", width: 1.2, dash: "dash" };
    shapes.push(
      horizontal
        ? { type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: l.at, y1: l.at, line }
        : { type: "line", yref: "paper", y0: 0, y1: 1, xref: "x", x0: l.at, x1: l.at, line },
    );
    if (l.label) {
      annotations.push(
        horizontal
          ? {
              xref: "paper",
              x: 1,
              xanchor: "right",
              yref: "y",
              y: l.at,
              yanchor: "bottom",
              text: l.label,
              showarrow: false,
              font: { size: 11, color: line.color },
            }
          : {
              yref: "paper",
              y: 1,
              yanchor: "bottom",
              xref: "x",
              x: l.at,
              text: l.label,
              showarrow: false,
              font: { size: 11, color: line.color },
            },
      );
    }
  };
  for (const l of opts.hlines ?? []) add(l, true);
  for (const l of opts.vlines ?? []) add(l, false);
  return shapes.length ? { shapes, annotations } : {};
}

/** A tick step of 1, 2 or 5 × 10ⁿ (at least 1) giving about eight ticks over integer x values. */
function integerTicks(xs: readonly unknown[]): PlotlyLayout {
  const nums = xs.filter((v): v is number => typeof v === "number");
  if (nums.length === 0) return {};
  const span = Math.max(...nums) - Math.min(...nums);
  const raw = Math.max(1, span / 8);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const dtick = [1, 2, 5, 10].map((m) => m * pow).find((d) => d >= raw)!;
  return { dtick, tick0: 0, tickformat: "d" };
}

const allIntegers = (xs: readonly unknown[]) => xs.length > 0 && xs.every((v) => v === null || Number.isInteger(v));

export function layoutFor(
  opts: FigureOptions,
  xTitle: string | undefined,
  yTitle: string | undefined,
  extra: PlotlyLayout = {},
  xs?: readonly unknown[],
  series?: string,
): PlotlyLayout {
  const axis = (title: string | undefined, log: boolean | undefined, more: unknown) => ({
    ...(title ? { title: { text: title } } : {}),
    ...(log ? { type: "log" } : {}),
    ...(more as object),
  });
  const { xaxis, yaxis, ...rest } = extra;
  const integerX = xs !== undefined && (opts.integerX ?? allIntegers(xs));
  const legendTitle = opts.legendTitle ?? series;
  const refs = referenceLines(opts);
  const annotations = [...((rest.annotations as unknown[]) ?? []), ...((refs.annotations as unknown[]) ?? [])];
  return {
    ...(opts.title ? { title: { text: opts.title } } : {}),
    ...(opts.width ? { width: opts.width } : {}),
    ...(opts.height ? { height: opts.height } : {}),
    xaxis: axis(opts.xTitle ?? xTitle, opts.logX, { ...(integerX ? integerTicks(xs!) : {}), ...(xaxis as object) }),
    yaxis: axis(opts.yTitle ?? yTitle, opts.logY, yaxis),
    ...rest,
    ...(legendTitle ? { legend: { title: { text: legendTitle } } } : {}),
    ...(refs.shapes ? { shapes: refs.shapes } : {}),
    ...(annotations.length ? { annotations } : {}),
    ...opts.layout,
  };
}

/** Plot-ready value: finite numbers, strings, null for gaps (NaN, ±Infinity, missing). */
export function plotValue(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

export function column(rows: readonly Row[], name: string): unknown[] {
  return rows.map((r) => plotValue(r[name]));
}

/** Checks a pair of interval columns: both or neither, and only with a single y column. */
export function intervalColumns(
  what: string,
  low: string | undefined,
  high: string | undefined,
  ys: readonly string[],
): [string, string] | undefined {
  if (low === undefined && high === undefined) return undefined;
  if (low === undefined || high === undefined)
    throw new RftlabError(`${what}: pass both interval columns (low and high); got low=${low}, high=${high}`);
  if (ys.length > 1) throw new RftlabError(`${what}: an interval needs a single y column; got y=${JSON.stringify(ys)}`);
  return [low, high];
}

/** Metrics vs step: one line per y column and per series value. */
/** Plotly error bars from the interval columns: the distances from each value to its bounds. */
export function intervalBars(rows: readonly Row[], y: string, [low, high]: [string, string]): Record<string, unknown> {
  const dist = (bound: string, sign: number) =>
    rows.map((r) => {
      const v = plotValue(r[y]);
      const b = plotValue(r[bound]);
      return typeof v === "number" && typeof b === "number" ? Math.max(0, sign * (b - v)) : null;
    });
  return {
    type: "data",
    symmetric: false,
    array: dist(high, 1),
    arrayminus: dist(low, -1),
    visible: true,
    color: "#333333",
    thickness: 1.2,
  };
}
