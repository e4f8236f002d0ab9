/**
 * Update size, for comparing runs at matched size instead of matched steps (spec/analyses.md §1: "RL
 * sparser than SFT" only means something when both moved the weights, or the output distribution,
 * by the same amount). The size is ‖Δ‖/‖θ₀‖ here, or the mean token KL to the base that
 * lib/forgetting measures; matchedBySize works with either.
 */
import * as aq from "arquero";
import { RftlabError } from "../errors";
import { layerIndex, moduleType, type ModuleType } from "./modules";
import { assertSameLayout, type WeightMap } from "./weights";

export interface UpdateNormRow {
  name: string;
  module: ModuleType;
  layer: number | null;
  /** ‖θ₁ − θ₀‖_F. */
  deltaNorm: number;
  /** ‖θ₀‖_F. */
  baseNorm: number;
  /** deltaNorm / baseNorm (Infinity when θ₀ = 0 and Δ ≠ 0; 0 when both are 0). */
  relative: number;
}

function normRow(name: string, d2: number, b2: number): UpdateNormRow {
  const deltaNorm = Math.sqrt(d2);
  const baseNorm = Math.sqrt(b2);
  return {
    name,
    module: moduleType(name),
    layer: layerIndex(name),
    deltaNorm,
    baseNorm,
    relative: deltaNorm === 0 ? 0 : deltaNorm / baseNorm,
  };
}

/** Relative update norm ‖Δ‖/‖θ₀‖ per tensor and over the whole model (float64 sums of the values as given). */
export function relativeUpdateNorm(
  base: WeightMap,
  tuned: WeightMap,
): { rows: UpdateNormRow[]; table: aq.ColumnTable; overall: UpdateNormRow } {
  assertSameLayout(base, tuned, "relativeUpdateNorm");
  const rows: UpdateNormRow[] = [];
  let d2All = 0;
  let b2All = 0;
  for (const [name, b] of base) {
    const t = tuned.get(name)!.data;
    let d2 = 0;
    let b2 = 0;
    for (let i = 0; i < t.length; i++) {
      d2 += (t[i] - b.data[i]) ** 2;
      b2 += b.data[i] ** 2;
    }
    rows.push(normRow(name, d2, b2));
    d2All += d2;
    b2All += b2;
  }
  return { rows, table: aq.from(rows), overall: normRow("overall", d2All, b2All) };
}

/** One logged point of a run: its size so far (KL to base or ‖Δ‖/‖θ₀‖) and the metric compared. */
export interface TrajectoryPoint {
  step: number;
  size: number;
  metric: number;
}

/**
 * Step and metric at the first time a run's size reaches `size`, linearly interpolated between the
 * logged points around that crossing (points are taken in step order). Size is not monotone in
 * training (KL estimates are noisy), so "first reached" is the definition. NaN when the run never
 * reaches `size` or starts above it.
 */
export function atSize(trajectory: readonly TrajectoryPoint[], size: number): { step: number; metric: number } {
  const pts = [...trajectory].sort((a, b) => a.step - b.step);
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    if (p.size < size) continue;
    if (p.size === size) return { step: p.step, metric: p.metric };
    if (i === 0) break;
    const q = pts[i - 1]; // q.size < size < p.size
    const t = (size - q.size) / (p.size - q.size);
    return { step: q.step + t * (p.step - q.step), metric: q.metric + t * (p.metric - q.metric) };
  }
  return { step: NaN, metric: NaN };
}

export interface MatchedRow {
  size: number;
  run: string;
  /** Interpolated step at which the run first reached the size. */
  step: number;
  metric: number;
}

/**
 * Each run's metric at matched sizes. `sizes` default: `points` values evenly spaced over the range
 * every run covers, [max of the runs' first sizes, min of their largest sizes]. Long format (one row
 * per size and run) for tables and plots.
 */
export function matchedBySize(runs: Record<string, readonly TrajectoryPoint[]>, sizes?: readonly number[], points = 5): MatchedRow[] {
  const names = Object.keys(runs);
  if (names.length === 0) throw new RftlabError("matchedBySize: runs is empty; pass one trajectory per run");
  for (const n of names)
    if (runs[n].length === 0) throw new RftlabError(`matchedBySize: run "${n}" has no points; log (step, size, metric) at least once`);
  let grid = sizes;
  if (!grid) {
    if (!Number.isInteger(points) || points < 1) throw new RftlabError(`matchedBySize: points must be an integer ≥ 1; got ${points}`);
    const first = (t: readonly TrajectoryPoint[]) => t.reduce((a, p) => (p.step < a.step ? p : a)).size;
    const lo = Math.max(...names.map((n) => first(runs[n])));
    const hi = Math.min(...names.map((n) => Math.max(...runs[n].map((p) => p.size))));
    if (!(lo <= hi)) {
      throw new RftlabError(
        `matchedBySize: the runs cover no common size range (starts up to ${lo}, largest sizes down to ${hi}); train longer or pass sizes`,
      );
    }
    grid = points === 1 ? [hi] : Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  }
  return grid.flatMap((size) => names.map((run) => ({ size, run, ...atSize(runs[run], size) })));
}
