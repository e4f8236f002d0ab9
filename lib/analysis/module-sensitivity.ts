/**
 * Module forgetting sensitivity (spec/analyses.md §9, FPF, arXiv 2304.04158): per module, the relative
 * change summed over task boundaries Σ_t ‖θ_m^t − θ_m^{t−1}‖ / ‖θ_m^{t−1}‖, ranked.
 */
import * as aq from "arquero";
import { RftlabError } from "../errors";
import { layerIndex, moduleType, type ModuleType } from "./modules";
import { assertSameLayout, type WeightMap } from "./weights";

export interface SensitivityRow {
  /** Tensor name, or the module type for the grouped view. */
  name: string;
  module: ModuleType;
  layer: number | null;
  /** Σ_t ‖Δ_t‖ / ‖θ^{t−1}‖. */
  sensitivity: number;
  /** Relative change at each boundary t = 1..T. */
  perStage: number[];
  /** 1 = most sensitive. */
  rank: number;
}

function rankRows(rows: Omit<SensitivityRow, "rank">[]): SensitivityRow[] {
  const order = [...rows].sort((a, b) => b.sensitivity - a.sensitivity || (a.name < b.name ? -1 : 1));
  return order.map((r, i) => ({ ...r, rank: i + 1 }));
}

/**
 * Sensitivity per tensor and per module type (pooled: norms over all tensors of that type) from a
 * sequence θ⁰, θ¹, …, θᵀ of weights (at least two).
 */
export function moduleSensitivity(stages: WeightMap[]): { rows: SensitivityRow[]; perModule: SensitivityRow[]; table: aq.ColumnTable } {
  if (stages.length < 2) throw new RftlabError(`moduleSensitivity: needs weights of at least 2 stages (θ⁰ and θ¹); got ${stages.length}`);
  stages.slice(1).forEach((s, i) => assertSameLayout(stages[0], s, "moduleSensitivity", `stage ${i + 1}`));
  const tensorRows: Omit<SensitivityRow, "rank">[] = [];
  // Squared norms per module type and stage: [Σ‖Δ‖², Σ‖θ^{t−1}‖²].
  const groups = new Map<ModuleType, { d: number[]; p: number[] }>();
  for (const name of stages[0].keys()) {
    const module = moduleType(name);
    const g = groups.get(module) ?? { d: new Array(stages.length - 1).fill(0), p: new Array(stages.length - 1).fill(0) };
    groups.set(module, g);
    const perStage: number[] = [];
    for (let t = 1; t < stages.length; t++) {
      const prev = stages[t - 1].get(name)!.data;
      const cur = stages[t].get(name)!.data;
      let dd = 0;
      let pp = 0;
      for (let i = 0; i < prev.length; i++) {
        const d = cur[i] - prev[i];
        dd += d * d;
        pp += prev[i] * prev[i];
      }
      g.d[t - 1] += dd;
      g.p[t - 1] += pp;
      perStage.push(pp > 0 ? Math.sqrt(dd / pp) : dd > 0 ? Infinity : 0);
    }
    tensorRows.push({ name, module, layer: layerIndex(name), sensitivity: perStage.reduce((a, b) => a + b, 0), perStage });
  }
  const moduleRows = [...groups].map(([module, g]) => {
    const perStage = g.d.map((dd, i) => (g.p[i] > 0 ? Math.sqrt(dd / g.p[i]) : dd > 0 ? Infinity : 0));
    return { name: module, module, layer: null, sensitivity: perStage.reduce((a, b) => a + b, 0), perStage };
  });
  const rows = rankRows(tensorRows);
  return { rows, perModule: rankRows(moduleRows), table: aq.from(rows.map(({ perStage, ...r }) => r)) };
}
