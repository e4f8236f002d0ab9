/** Numerical rank of weight updates ΔW = W₁ − W₀ (spec/analyses.md §1: RL updates are nearly full rank). */
import * as aq from "arquero";
import { numericalRank } from "../linalg";
import { layerIndex, moduleType, type ModuleType } from "./modules";
import { assertSameLayout, type WeightMap } from "./weights";

export interface UpdateRankRow {
  name: string;
  module: ModuleType;
  layer: number | null;
  rank: number;
  /** min(m, n). */
  maxRank: number;
  rankFraction: number;
  /** Tolerance used: σ_max·max(m,n)·eps32 unless given. */
  tol: number;
  sigmaMax: number;
}

/** Rank of ΔW (float32 difference) for every 2-D tensor that `filter` keeps. */
export function updateRank(
  base: WeightMap,
  tuned: WeightMap,
  filter: (name: string, shape: number[]) => boolean = (_, s) => s.length === 2,
  onTensor?: (name: string) => void,
): { rows: UpdateRankRow[]; table: aq.ColumnTable } {
  assertSameLayout(base, tuned, "updateRank");
  const rows: UpdateRankRow[] = [];
  for (const [name, b] of base) {
    if (!filter(name, b.shape)) continue;
    onTensor?.(name);
    const t = tuned.get(name)!.data;
    const d = new Float32Array(b.data.length);
    for (let i = 0; i < d.length; i++) d[i] = t[i] - b.data[i];
    const r = numericalRank({ rows: b.shape[0], cols: b.shape[1], data: d });
    rows.push({
      name,
      module: moduleType(name),
      layer: layerIndex(name),
      rank: r.rank,
      maxRank: r.maxRank,
      rankFraction: r.rankFraction,
      tol: r.tol,
      sigmaMax: r.s[0] ?? 0,
    });
  }
  return { rows, table: aq.from(rows) };
}
