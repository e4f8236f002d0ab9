// Update sparsity vs training step, overall and per module type, as in the RL-subnetworks paper's
// trajectory figure (arXiv 2505.11711; spec/analyses.md §1). Takes lab.analysis.weightTrajectory's result
// structurally (display does not import analysis).
import type { FigureOptions } from "./chart-layout";
import { lineFigure } from "./charts";
import type { Figure } from "./figure";

/** The parts of a weight trajectory the figure reads. */
export interface TrajectoryLike {
  checkpoints: readonly {
    step: number;
    overall: { sparsity: number; relativeNorm: number };
    tensors: readonly { module: string; layer: number | null; numel: number; unchanged: number }[];
  }[];
}

export interface TrajectoryFigureOptions extends FigureOptions {
  /** One line for the whole model, one per module type (pooled over entries), or one per layer. Default "module". */
  by?: "overall" | "module" | "layer";
  /** Plot the relative update norm ‖Δ‖/‖θ₀‖ instead of sparsity (overall only). */
  metric?: "sparsity" | "relativeNorm";
}

/** Long-format rows {step, series, value}: pooled sparsity per group of tensors at each step. */
function pooledRows(t: TrajectoryLike, key: "module" | "layer"): { step: number; series: string; value: number }[] {
  return t.checkpoints.flatMap((c) => {
    const groups = new Map<string, { numel: number; unchanged: number }>();
    for (const x of c.tensors) {
      if (key === "layer" && x.layer === null) continue;
      const g = key === "module" ? x.module : `layer ${x.layer}`;
      const acc = groups.get(g) ?? { numel: 0, unchanged: 0 };
      acc.numel += x.numel;
      acc.unchanged += x.unchanged;
      groups.set(g, acc);
    }
    return [...groups].map(([series, g]) => ({ step: c.step, series, value: g.numel ? g.unchanged / g.numel : 1 }));
  });
}

/** Sparsity (or relative update norm) vs step; pooled over entries within each module type or layer. */
export function trajectoryFigure(t: TrajectoryLike, opts: TrajectoryFigureOptions = {}): Figure {
  const { by = "module", metric = "sparsity", ...fig } = opts;
  const overall = t.checkpoints.map((c) => ({ step: c.step, series: "overall", value: c.overall[metric] }));
  const rows = metric === "relativeNorm" || by === "overall" ? overall : [...overall, ...pooledRows(t, by)];
  return lineFigure(rows, {
    x: "step",
    y: "value",
    series: "series",
    markers: true,
    xTitle: "step",
    yTitle: metric === "sparsity" ? "update sparsity (fraction of |Δ| ≤ tol)" : "‖Δ‖ / ‖θ₀‖",
    legendTitle: by === "layer" ? "layer" : "module",
    title: metric === "sparsity" ? "Update sparsity vs step" : "Relative update norm vs step",
    ...fig,
  });
}
