/**
 * The house look of rftlab figures: one font stack, one colour cycle, white background, light grid,
 * outside ticks, left-aligned titles. Applied through plotly's own `layout.template`, so anything a
 * figure sets in its layout wins over the template.
 */

/** Colour cycle: a colour-blind-friendly palette (Okabe–Ito order, slightly deepened for white paper). */
export const HOUSE_COLORWAY = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#8C6D31",
  "#555555",
  "#B8A800",
  "#7B3294",
] as const;

export const HOUSE_FONT = "Inter, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/** Default figure size in CSS pixels (PNG pixels = size × scale). */
export const HOUSE_SIZE = { width: 800, height: 450 } as const;

/** Sequential scale for heatmaps (accuracy, sparsity): white → deep blue. */
export const HOUSE_SEQUENTIAL: [number, string][] = [
  [0, "#f7fbff"],
  [0.25, "#c6dbef"],
  [0.5, "#6baed6"],
  [0.75, "#2171b5"],
  [1, "#08306b"],
];

const axis = {
  showgrid: true,
  gridcolor: "#e8e8e8",
  zeroline: false,
  showline: true,
  linecolor: "#444444",
  ticks: "outside",
  tickcolor: "#444444",
  automargin: true,
  title: { standoff: 8 },
};

/** The plotly template object placed at `layout.template`. */
export function houseTemplate(): Record<string, unknown> {
  return {
    layout: {
      font: { family: HOUSE_FONT, size: 13, color: "#222222" },
      title: { x: 0.01, xanchor: "left", font: { size: 17 } },
      colorway: [...HOUSE_COLORWAY],
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff",
      margin: { l: 70, r: 30, t: 60, b: 60 },
      xaxis: axis,
      yaxis: axis,
      legend: { bgcolor: "rgba(255,255,255,0.8)", borderwidth: 0, tracegroupgap: 4 },
      hoverlabel: { font: { family: HOUSE_FONT } },
      bargap: 0.2,
      bargroupgap: 0.05,
    },
    data: {
      scatter: [{ line: { width: 2 }, marker: { size: 6 } }],
      histogram: [{ marker: { line: { width: 0 } } }],
    },
  };
}
