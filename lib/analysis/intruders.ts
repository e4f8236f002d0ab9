/**
 * Intruder dimensions (spec/analyses.md §3, "LoRA vs Full Fine-tuning: An Illusion of Equivalence",
 * arXiv 2410.21228): top singular vectors of W_ft that are far from every singular vector of W₀.
 */
import * as aq from "arquero";
import { RftlabError } from "../errors";
import { type Matrix, svd, type SvdResult } from "../linalg";
import { assertSameLayout, cloneWeights, type WeightMap } from "./weights";
import { deepFreeze } from "../base/freeze";
import type { SvdCache } from "../io/svd-cache";
import { baseSvd } from "./base-svd";
import { checkConfig } from "../base/strict-config";

export interface IntruderConfig {
  /** Number of top singular vectors of W_ft examined (paper: 10). */
  k: number;
  /** u_i is an intruder when max_j |⟨u_i, u_j⁽⁰⁾⟩| < eps (paper: 0.5). */
  eps: number;
  /** Extra thresholds to count intruders at (paper sweeps 0.1…0.9). */
  epsSweep: number[];
}
export const DEFAULT_INTRUDER_CONFIG: Readonly<IntruderConfig> = deepFreeze({
  k: 10,
  eps: 0.5,
  epsSweep: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
});

export function resolveIntruderConfig(partial: Partial<IntruderConfig> = {}): IntruderConfig {
  checkConfig("IntruderConfig", partial, DEFAULT_INTRUDER_CONFIG);
  const c = { ...DEFAULT_INTRUDER_CONFIG, ...partial };
  if (!Number.isInteger(c.k) || c.k < 1) throw new RftlabError(`IntruderConfig.k must be an integer ≥ 1; got ${c.k}`);
  for (const e of [c.eps, ...c.epsSweep]) {
    if (!(e > 0 && e <= 1)) throw new RftlabError(`IntruderConfig.eps and epsSweep values must lie in (0, 1]; got ${e}`);
  }
  return c;
}

/** Similarities s_i = max_j |⟨u_i, u_j⁽⁰⁾⟩| of the top-k left singular vectors of W_ft against ALL of W₀'s. */
export function intruderSimilarities(base: SvdResult, tuned: SvdResult, k: number): Float64Array {
  if (!base.u || !tuned.u) throw new RftlabError("intruderSimilarities: both SVDs need left singular vectors; use svd()");
  if (base.m !== tuned.m) throw new RftlabError(`intruderSimilarities: row counts differ (${base.m} vs ${tuned.m})`);
  const m = base.m;
  const r0 = base.s.length;
  const r1 = tuned.s.length;
  const kk = Math.min(k, r1);
  const out = new Float64Array(kk);
  const dots = new Float64Array(r0);
  for (let i = 0; i < kk; i++) {
    dots.fill(0);
    for (let row = 0; row < m; row++) {
      const ui = tuned.u[row * r1 + i];
      const b = row * r0;
      for (let j = 0; j < r0; j++) dots[j] += ui * base.u[b + j];
    }
    let best = 0;
    for (let j = 0; j < r0; j++) best = Math.max(best, Math.abs(dots[j]));
    out[i] = best;
  }
  return out;
}

export interface IntruderRow {
  name: string;
  shape: number[];
  /** Number of the top-k vectors with similarity < eps. */
  intruders: number;
  /** s_i for i = 0..k−1 (descending σ of W_ft). */
  similarities: number[];
  /** Indices (into W_ft's singular triplets) of the intruders. */
  intruderIndices: number[];
  /** Intruder counts at each epsSweep threshold, keyed by the threshold. */
  sweep: Record<string, number>;
}

function asMatrix(t: { shape: number[]; data: Float32Array }): Matrix {
  return { rows: t.shape[0], cols: t.shape[1], data: t.data };
}

/** Where W₀'s SVD may come from: an on-disk cache shared by every analysis against the same base. */
export interface BaseSvdOptions {
  baseSvdCache?: SvdCache;
  /** Recorded with a new cache entry (e.g. the base file and tensor name). */
  source?: string;
}

/**
 * Intruder analysis of one matrix pair; returns the row, W_ft's SVD (for the λ intervention) and whether W₀'s
 * SVD came from `options.baseSvdCache`.
 */
export function intruderDimensionsOf(
  name: string,
  w0: Matrix,
  wft: Matrix,
  cfg: Partial<IntruderConfig> = {},
  options: BaseSvdOptions = {},
): { row: IntruderRow; tunedSvd: SvdResult; baseCached: boolean } {
  const c = resolveIntruderConfig(cfg);
  if (w0.rows !== wft.rows || w0.cols !== wft.cols)
    throw new RftlabError(`intruderDimensions: "${name}" is ${w0.rows}×${w0.cols} in base but ${wft.rows}×${wft.cols} in tuned`);
  const { svd: s0, cached: baseCached } = baseSvd(w0, options.baseSvdCache, options.source ?? name);
  const s1 = svd(wft);
  const sims = Array.from(intruderSimilarities(s0, s1, c.k));
  const idx = sims.flatMap((s, i) => (s < c.eps ? [i] : []));
  const sweep: Record<string, number> = {};
  for (const e of c.epsSweep) sweep[String(e)] = sims.filter((s) => s < e).length;
  return {
    row: { name, shape: [w0.rows, w0.cols], intruders: idx.length, similarities: sims, intruderIndices: idx, sweep },
    tunedSvd: s1,
    baseCached,
  };
}

/** Intruder counts for every 2-D tensor that `filter` keeps (default: all matrices). */
export function intruderDimensions(
  base: WeightMap,
  tuned: WeightMap,
  cfg: Partial<IntruderConfig> = {},
  filter: (name: string, shape: number[]) => boolean = (_, s) => s.length === 2,
): { rows: IntruderRow[]; table: aq.ColumnTable } {
  assertSameLayout(base, tuned, "intruderDimensions");
  const rows: IntruderRow[] = [];
  for (const [name, b] of base) {
    if (!filter(name, b.shape)) continue;
    rows.push(intruderDimensionsOf(name, asMatrix(b), asMatrix(tuned.get(name)!), cfg).row);
  }
  return { rows, table: aq.from(rows.map((r) => ({ name: r.name, intruders: r.intruders, minSimilarity: Math.min(...r.similarities) }))) };
}

/** Singular triplets of one W_ft chosen for the λ intervention (intruders, or a control's picks). */
export interface DirectionSelection {
  name: string;
  /** The intruder analysis of this matrix. */
  row: IntruderRow;
  /** Full SVD of W_ft. */
  tunedSvd: SvdResult;
  /** Indices of the chosen triplets (into tunedSvd). */
  indices: number[];
}

/**
 * The intruders of every 2-D tensor (of `names`, default all), with W_ft's SVD: compute once, then
 * scaleDirections for each λ (and derive controls from the same SVDs).
 */
export function intruderSelections(
  base: WeightMap,
  tuned: WeightMap,
  cfg: Partial<IntruderConfig> = {},
  names?: string[],
): DirectionSelection[] {
  assertSameLayout(base, tuned, "intruderSelections");
  const out: DirectionSelection[] = [];
  for (const [name, b] of base) {
    if (b.shape.length !== 2 || (names && !names.includes(name))) continue;
    const { row, tunedSvd } = intruderDimensionsOf(name, asMatrix(b), asMatrix(tuned.get(name)!), cfg);
    out.push({ name, row, tunedSvd, indices: row.intruderIndices });
  }
  return out;
}

/**
 * W′ = W_ft + (λ−1)·Σ_i σ_i·u_i·v_iᵀ over the selected triplets of each matrix (λ = 0 removes them,
 * λ = 1 leaves W_ft, λ = 2 doubles them). Returns new weights; inputs are untouched.
 */
export function scaleDirections(tuned: WeightMap, selections: readonly DirectionSelection[], lambda: number): WeightMap {
  if (!Number.isFinite(lambda)) throw new RftlabError(`scaleDirections: lambda must be finite (paper sweeps [0, 2]); got ${lambda}`);
  const out = cloneWeights(tuned);
  for (const { name, tunedSvd, indices } of selections) {
    const t = out.get(name);
    if (!t)
      throw new RftlabError(
        `scaleDirections: tensor "${name}" of the selections is missing from tuned; pass the weights the selections came from`,
      );
    const { m, n } = tunedSvd;
    if (t.data.length !== m * n)
      throw new RftlabError(
        `scaleDirections: "${name}" has ${t.data.length} entries but its SVD is ${m}×${n}; pass the weights the selections came from`,
      );
    const r = tunedSvd.s.length;
    for (const i of indices) {
      const f = (lambda - 1) * tunedSvd.s[i];
      for (let a = 0; a < m; a++) {
        const ua = f * tunedSvd.u![a * r + i];
        for (let c = 0; c < n; c++) t.data[a * n + c] += ua * tunedSvd.v![c * r + i];
      }
    }
  }
  return out;
}

/**
 * The λ-scaling intervention of arXiv 2410.21228 on the intruders (ε of cfg) of every 2-D tensor of
 * `names`. For a λ sweep, compute intruderSelections once and call scaleDirections per λ.
 */
export function scaleIntruders(
  base: WeightMap,
  tuned: WeightMap,
  lambda: number,
  cfg: Partial<IntruderConfig> = {},
  names?: string[],
): WeightMap {
  if (!Number.isFinite(lambda)) throw new RftlabError(`scaleIntruders: lambda must be finite (paper sweeps [0, 2]); got ${lambda}`);
  return scaleDirections(tuned, intruderSelections(base, tuned, cfg, names), lambda);
}
