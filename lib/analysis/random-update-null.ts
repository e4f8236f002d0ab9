/**
 * Random-update null for update sparsity and overlap (spec/analyses.md §1, a control beyond the paper).
 *
 * θ_null = θ₀ + Δ_rand per tensor, Δ_rand Gaussian with ‖Δ_rand‖_F = ‖θ₁ − θ₀‖_F of the real run. Any
 * sparsity or seed overlap the null also shows after the bf16 cast comes from the precision and the
 * update's size, not from training. Matching per tensor keeps which tensors moved (untouched norms stay
 * untouched); only the direction inside each tensor is random.
 */
import { RftlabError } from "../errors";
import { createRng, fillNormals } from "../base/random";
import { deepFreeze } from "../base/freeze";
import type { BinnedChanceConfig } from "./binned-chance";
import { maskDensity } from "./masks";
import { type MaskMap, maskOverlap, type SparsityConfig, updateMasks } from "./sparsity";
import { assertSameLayout, type WeightMap } from "./weights";
import { checkConfig } from "../base/strict-config";

/**
 * Where Δ_rand lives:
 * - "dense": every entry (the reviewer's null: a structureless update of the same size per tensor).
 * - "support": only the entries the real update changed (θ₁ ≠ θ₀ exactly, before any cast), so the
 *   per-entry RMS there matches the real one. Controls for entries training cannot reach (e.g. embedding
 *   rows of tokens never seen get exactly zero gradient); randomises magnitudes and signs only. Its
 *   overlap across seeds includes the shared support, so compare it with the dense null, not alone.
 */
export type NullSpread = "dense" | "support";
export const NULL_SPREADS: readonly NullSpread[] = ["dense", "support"];

export interface RandomUpdateNullConfig {
  spread: NullSpread;
  seed: number;
}
export const DEFAULT_RANDOM_UPDATE_NULL_CONFIG: Readonly<RandomUpdateNullConfig> = deepFreeze({ spread: "dense", seed: 0 });

export function resolveRandomUpdateNullConfig(partial: Partial<RandomUpdateNullConfig> = {}): RandomUpdateNullConfig {
  checkConfig("RandomUpdateNullConfig", partial, DEFAULT_RANDOM_UPDATE_NULL_CONFIG);
  const c = { ...DEFAULT_RANDOM_UPDATE_NULL_CONFIG, ...partial };
  if (!NULL_SPREADS.includes(c.spread))
    throw new RftlabError(`RandomUpdateNullConfig.spread must be one of ${NULL_SPREADS.join(", ")}; got "${c.spread}"`);
  if (!Number.isInteger(c.seed)) throw new RftlabError(`RandomUpdateNullConfig.seed must be an integer; got ${c.seed}`);
  return c;
}

/** θ_null = θ₀ + Δ_rand with ‖Δ_rand‖_F = ‖θ₁ − θ₀‖_F per tensor (new weights; inputs untouched). */
export function randomUpdateNull(base: WeightMap, tuned: WeightMap, cfg: Partial<RandomUpdateNullConfig> = {}): WeightMap {
  const c = resolveRandomUpdateNullConfig(cfg);
  assertSameLayout(base, tuned, "randomUpdateNull");
  const rng = createRng(c.seed);
  const out: WeightMap = new Map();
  for (const [name, b] of base) {
    const t = tuned.get(name)!.data;
    let norm2 = 0;
    const support: number[] = [];
    for (let i = 0; i < t.length; i++) {
      const d = t[i] - b.data[i];
      norm2 += d * d;
      if (c.spread === "support" && d !== 0) support.push(i);
    }
    const data = b.data.slice();
    const at = c.spread === "dense" ? null : support;
    const g = fillNormals(new Float64Array(at ? at.length : data.length), rng.next);
    let g2 = 0;
    for (const x of g) g2 += x * x;
    const scale = g2 > 0 ? Math.sqrt(norm2 / g2) : 0;
    for (let j = 0; j < g.length; j++) {
      const i = at ? at[j] : j;
      data[i] = b.data[i] + scale * g[j];
    }
    out.set(name, { shape: [...b.shape], data });
  }
  return out;
}

/** A real statistic against its null distribution (one value per null seed). */
export interface NullComparison {
  real: number;
  /** Number of null draws. */
  n: number;
  nullMean: number;
  /** Sample standard deviation (n − 1); NaN for n = 1. */
  nullSd: number;
  /** Empirical 2.5% and 97.5% quantiles of the null draws (linear interpolation; min/max for small n). */
  nullLo: number;
  nullHi: number;
  /** (real − nullMean) / nullSd. */
  z: number;
  /** Monte-Carlo p-value of "real is above the null": (1 + #{null ≥ real}) / (n + 1); never below 1/(n+1). */
  pAbove: number;
  /** Same for "real is below the null": (1 + #{null ≤ real}) / (n + 1). */
  pBelow: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]) - sorted[lo]);
}

/** Summarises null draws and places the real value among them. */
export function compareToNull(real: number, nulls: readonly number[]): NullComparison {
  const n = nulls.length;
  if (n === 0) throw new RftlabError("compareToNull: nulls is empty; pass one value per null seed");
  const mean = nulls.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(nulls.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const sorted = [...nulls].sort((a, b) => a - b);
  return {
    real,
    n,
    nullMean: mean,
    nullSd: sd,
    nullLo: quantile(sorted, 0.025),
    nullHi: quantile(sorted, 0.975),
    z: (real - mean) / sd,
    pAbove: (1 + nulls.filter((x) => x >= real).length) / (n + 1),
    pBelow: (1 + nulls.filter((x) => x <= real).length) / (n + 1),
  };
}

export interface NullControlConfig {
  /** Number of null draws per run (each with its own seed). */
  draws: number;
  spread: NullSpread;
  /** First seed; draw r of run i uses seed + r·(number of runs) + i, so no two nulls share a stream. */
  seed: number;
  /** Cast and tolerance of the sparsity and masks (paper: bf16, 1e-5). */
  sparsity: Partial<SparsityConfig>;
  /** Binning of the magnitude-binned chance in the overlap rows. */
  chance: Partial<BinnedChanceConfig>;
}
/** The random-update null's defaults, 5 draws, and the sparsity / chance defaults of their own modules ({} = theirs). */
export const DEFAULT_NULL_CONTROL_CONFIG: Readonly<NullControlConfig> = deepFreeze({
  ...DEFAULT_RANDOM_UPDATE_NULL_CONFIG,
  draws: 5,
  sparsity: {},
  chance: {},
});

export interface NullSparsityRow extends NullComparison {
  run: string;
}
export interface NullOverlapRow extends NullComparison {
  a: string;
  b: string;
  /** Density of I_b (independent masks). */
  chance: number;
  /** Chance given the |θ₀| bin (binned-chance.ts). */
  binnedChance: number;
}

/**
 * The random-update null for every run: overall sparsity of each run vs its nulls, and the one-sided
 * overlap o(I_a|I_b) of each ordered pair of runs vs the overlap of their nulls (drawn independently).
 * `samples` holds every null draw for plots.
 */
export function randomUpdateNullControl(
  base: WeightMap,
  runs: Record<string, WeightMap>,
  cfg: Partial<NullControlConfig> = {},
): { sparsity: NullSparsityRow[]; overlap: NullOverlapRow[]; samples: { draw: number; run: string; sparsity: number }[] } {
  const c = { ...DEFAULT_NULL_CONTROL_CONFIG, ...cfg };
  if (!Number.isInteger(c.draws) || c.draws < 1)
    throw new RftlabError(`NullControlConfig.draws must be an integer ≥ 1 (use ≥ 3 for an interval); got ${c.draws}`);
  const names = Object.keys(runs);
  if (names.length === 0) throw new RftlabError("randomUpdateNullControl: runs is empty; pass at least one tuned WeightMap");
  const realMasks = Object.fromEntries(names.map((n) => [n, updateMasks(base, runs[n], c.sparsity)]));
  // Sparsity = share of entries with |Δ| ≤ tol = 1 − density of the update mask.
  const realSparsity = names.map((n) => 1 - maskDensity(realMasks[n]));
  const realOverlap = names.length > 1 ? maskOverlap(realMasks, { magnitudes: base, ...c.chance }).rows : [];
  const samples: { draw: number; run: string; sparsity: number }[] = [];
  const nullOverlaps = realOverlap.map(() => [] as number[]);
  for (let r = 0; r < c.draws; r++) {
    const masks: Record<string, MaskMap> = {};
    names.forEach((n, i) => {
      const nul = randomUpdateNull(base, runs[n], { spread: c.spread, seed: c.seed + r * names.length + i });
      masks[n] = updateMasks(base, nul, c.sparsity);
      samples.push({ draw: r, run: n, sparsity: 1 - maskDensity(masks[n]) });
    });
    if (names.length > 1) maskOverlap(masks).rows.forEach((row, k) => nullOverlaps[k].push(row.overlap));
  }
  return {
    sparsity: names.map((run, i) => ({
      run,
      ...compareToNull(
        realSparsity[i],
        samples.filter((s) => s.run === run).map((s) => s.sparsity),
      ),
    })),
    overlap: realOverlap.map((row, k) => ({
      a: row.a,
      b: row.b,
      chance: row.chance,
      binnedChance: row.binnedChance,
      ...compareToNull(row.overlap, nullOverlaps[k]),
    })),
    samples,
  };
}
