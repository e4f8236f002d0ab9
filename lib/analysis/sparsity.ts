/**
 * Update sparsity of a fine-tuned model against its base (spec/analyses.md §1, arXiv 2505.11711):
 * the fraction of entries with |θ₁ − θ₀| ≤ tol, measured after casting both sides to a precision.
 */
import * as aq from "arquero";
import { RftlabError } from "../errors";
import { roundToPrecision } from "../tensor/dtype";
import { binCounts, type BinnedChanceConfig, binnedChance, magnitudeBins } from "./binned-chance";
import { layerIndex, moduleType, type ModuleType } from "./modules";
import { assertSameLayout, type WeightMap } from "./weights";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** Precision both sides are rounded to before differencing; "native" keeps the values as given/stored. */
export type DiffPrecision = "bf16" | "fp16" | "fp32" | "native";
export const DIFF_PRECISIONS: readonly DiffPrecision[] = ["bf16", "fp16", "fp32", "native"];

export interface SparsityConfig {
  /** Entries with |Δ| ≤ tol count as unchanged (paper: 1e-5). Compared in float32, like torch. */
  tol: number;
  /** Cast both sides first (paper: bf16 — weights as stored). */
  precision: DiffPrecision;
}
export const DEFAULT_SPARSITY_CONFIG: Readonly<SparsityConfig> = deepFreeze({ tol: 1e-5, precision: "bf16" });

export function resolveSparsityConfig(partial: Partial<SparsityConfig> = {}): SparsityConfig {
  checkConfig("SparsityConfig", partial, DEFAULT_SPARSITY_CONFIG);
  const c = { ...DEFAULT_SPARSITY_CONFIG, ...partial };
  if (!(c.tol >= 0) || !Number.isFinite(c.tol)) throw new RftlabError(`SparsityConfig.tol must be a finite number ≥ 0; got ${c.tol}`);
  if (!DIFF_PRECISIONS.includes(c.precision)) {
    throw new RftlabError(`SparsityConfig.precision must be one of ${DIFF_PRECISIONS.join(", ")}; got "${c.precision}"`);
  }
  return c;
}

/** Counts over one tensor (or a chunk of one). */
export interface UpdateCounts {
  numel: number;
  /** Entries with |Δ| ≤ tol. */
  unchanged: number;
  /** Entries with Δ == 0 exactly. */
  exactZero: number;
  /** Entries whose Δ is NaN (a NaN on either side, or ∞ − ∞): neither changed nor unchanged, so no sparsity holds. */
  nanDelta: number;
}

/** Values as compared: rounded to `precision` unless it is fp32 of float32 data or native. */
export function castForDiff(data: Float32Array, precision: DiffPrecision): Float32Array {
  return precision === "native" || precision === "fp32" ? data : roundToPrecision(data, precision);
}

/**
 * Counts unchanged and exactly-equal entries of two equal-length arrays (already cast).
 * Δ is rounded to float32 and tol is float32, as torch computes `(t.float() - b.float()).abs() <= tol`.
 */
export function countUpdates(base: Float32Array, tuned: Float32Array, tol: number): UpdateCounts {
  if (base.length !== tuned.length)
    throw new RftlabError(`countUpdates: lengths differ (${base.length} vs ${tuned.length}); pass tensors of the same shape`);
  const tol32 = Math.fround(tol);
  let unchanged = 0;
  let exactZero = 0;
  let nanDelta = 0;
  for (let i = 0; i < base.length; i++) {
    const d = Math.fround(tuned[i] - base[i]);
    if (d === 0) exactZero++;
    if (Math.abs(d) <= tol32) unchanged++;
    if (Number.isNaN(d)) nanDelta++;
  }
  return { numel: base.length, unchanged, exactZero, nanDelta };
}

let bf16Table: Float32Array | null = null;
/** All 65536 bf16 bit patterns as float32 (exact: bf16 is the top half of an f32). */
export function bf16Lut(): Float32Array {
  if (!bf16Table) {
    const bits = new Uint32Array(65536);
    for (let i = 0; i < 65536; i++) bits[i] = i << 16;
    bf16Table = new Float32Array(bits.buffer);
  }
  return bf16Table;
}

/**
 * countUpdates for raw bf16 bit patterns, without decoding: equal finite patterns are unchanged and
 * exactly zero (most entries of a sparse update); only differing ones are converted (exactly) and
 * subtracted. Same results as decoding both sides to f32 and calling countUpdates.
 */
export function countUpdatesBf16(base: Uint16Array, tuned: Uint16Array, tol: number): UpdateCounts {
  if (base.length !== tuned.length)
    throw new RftlabError(`countUpdatesBf16: lengths differ (${base.length} vs ${tuned.length}); pass tensors of the same shape`);
  const lut = bf16Lut();
  const tol32 = Math.fround(tol);
  let unchanged = 0;
  let exactZero = 0;
  let nanDelta = 0;
  for (let i = 0; i < base.length; i++) {
    const a = base[i];
    const b = tuned[i];
    if (a === b) {
      // Equal Inf or NaN patterns give Inf − Inf = NaN / NaN in torch: not unchanged.
      if ((a & 0x7fff) < 0x7f80) {
        unchanged++;
        exactZero++;
      } else nanDelta++;
      continue;
    }
    const d = Math.fround(lut[b] - lut[a]);
    if (d === 0) exactZero++;
    if (Math.abs(d) <= tol32) unchanged++;
    if (Number.isNaN(d)) nanDelta++;
  }
  return { numel: base.length, unchanged, exactZero, nanDelta };
}

/** Mask of updated entries: 1 where |Δ| > tol (after the cast), the complement of "unchanged". */
export function updateMaskOf(base: Float32Array, tuned: Float32Array, cfg: Partial<SparsityConfig> = {}): Uint8Array {
  const c = resolveSparsityConfig(cfg);
  const b = castForDiff(base, c.precision);
  const t = castForDiff(tuned, c.precision);
  const tol32 = Math.fround(c.tol);
  const m = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) m[i] = Math.abs(Math.fround(t[i] - b[i])) <= tol32 ? 0 : 1;
  return m;
}

/** Name-keyed binary masks (1 = selected/updated). */
export type MaskMap = Map<string, Uint8Array>;

/** Nonzero-update masks I = 1[|θ₁ − θ₀| > tol] of every tensor. */
export function updateMasks(base: WeightMap, tuned: WeightMap, cfg: Partial<SparsityConfig> = {}): MaskMap {
  assertSameLayout(base, tuned, "updateMasks");
  const out: MaskMap = new Map();
  for (const [name, b] of base) out.set(name, updateMaskOf(b.data, tuned.get(name)!.data, cfg));
  return out;
}

export interface SparsityRow extends UpdateCounts {
  name: string;
  module: ModuleType;
  layer: number | null;
  /** unchanged / numel. */
  sparsity: number;
  /** exactZero / numel. */
  exactZeroFraction: number;
  /** 1 − sparsity: fraction of entries updated. */
  density: number;
}

export function sparsityRow(name: string, c: UpdateCounts): SparsityRow {
  const sparsity = c.numel ? c.unchanged / c.numel : 1;
  return {
    name,
    module: moduleType(name),
    layer: layerIndex(name),
    ...c,
    sparsity,
    exactZeroFraction: c.numel ? c.exactZero / c.numel : 1,
    density: 1 - sparsity,
  };
}

export interface SparsityReport {
  /** One row per tensor. */
  rows: SparsityRow[];
  table: aq.ColumnTable;
  /** Per block: meanSparsity = mean over the layer's tensors (sparsity, not density); pooled over entries too. */
  perLayer: aq.ColumnTable;
  /** Per module type, pooled over entries. */
  perModule: aq.ColumnTable;
  overall: SparsityRow;
}

/** Update sparsity per tensor, per layer, per module type and overall (spec §1). */
export function updateSparsity(base: WeightMap, tuned: WeightMap, cfg: Partial<SparsityConfig> = {}): SparsityReport {
  const c = resolveSparsityConfig(cfg);
  assertSameLayout(base, tuned, "updateSparsity");
  const rows: SparsityRow[] = [];
  for (const [name, b] of base) {
    const counts = countUpdates(castForDiff(b.data, c.precision), castForDiff(tuned.get(name)!.data, c.precision), c.tol);
    rows.push(sparsityRow(name, counts));
  }
  return summarizeSparsity(rows);
}

/** Pools counts of many rows. */
export function poolCounts(rows: readonly UpdateCounts[]): UpdateCounts {
  const p = { numel: 0, unchanged: 0, exactZero: 0, nanDelta: 0 };
  for (const r of rows) {
    p.numel += r.numel;
    p.unchanged += r.unchanged;
    p.exactZero += r.exactZero;
    p.nanDelta += r.nanDelta;
  }
  return p;
}

/** Groups per-tensor rows into the per-layer / per-module / overall views. */
export function summarizeSparsity(rows: SparsityRow[]): SparsityReport {
  const table = aq.from(rows);
  const groupView = (key: "layer" | "module") =>
    rows.length === 0
      ? aq.from([])
      : table
          .filter(key === "layer" ? (d: { layer: number | null }) => d.layer !== null : () => true)
          .groupby(key)
          .rollup({
            tensors: aq.op.count(),
            meanSparsity: (d: { sparsity: number }) => aq.op.mean(d.sparsity),
            numel: (d: { numel: number }) => aq.op.sum(d.numel),
            unchanged: (d: { unchanged: number }) => aq.op.sum(d.unchanged),
            exactZero: (d: { exactZero: number }) => aq.op.sum(d.exactZero),
          })
          .derive({
            pooledSparsity: (d: { unchanged: number; numel: number }) => d.unchanged / d.numel,
            exactZeroFraction: (d: { exactZero: number; numel: number }) => d.exactZero / d.numel,
          })
          .orderby(key);
  return { rows, table, perLayer: groupView("layer"), perModule: groupView("module"), overall: sparsityRow("overall", poolCounts(rows)) };
}

export interface OverlapRow {
  a: string;
  b: string;
  /** o(I_a | I_b) = |I_a ∩ I_b| / |I_a|. */
  overlap: number;
  /** Chance value of o(I_a | I_b) for independent masks: the density of I_b. */
  chance: number;
  /** Chance for masks independent given the |θ₀| quantile bin (binned-chance.ts); NaN when no magnitudes were passed. */
  binnedChance: number;
  /** |I_a ∩ I_b| / |I_a ∪ I_b|. */
  jaccard: number;
  sizeA: number;
  sizeB: number;
  intersection: number;
}

/** Flattens a MaskMap (tensor order of the first map) so whole-model overlaps can be taken. */
function maskSize(m: MaskMap | Uint8Array): number {
  return m instanceof Uint8Array ? m.length : [...m.values()].reduce((s, x) => s + x.length, 0);
}

function maskArrays(m: MaskMap | Uint8Array, order: string[] | null): Uint8Array[] {
  if (m instanceof Uint8Array) return [m];
  if (!order) return [...m.values()];
  return order.map((n) => {
    const x = m.get(n);
    if (!x) throw new RftlabError(`maskOverlap: tensor "${n}" is missing from one of the masks; pass masks of the same model`);
    return x;
  });
}

/** Options of maskOverlap: θ₀ (same tensors as the masks) turns on the magnitude-binned chance. */
export interface OverlapOptions extends Partial<BinnedChanceConfig> {
  magnitudes?: WeightMap | Float32Array;
}

function magnitudeParts(mag: WeightMap | Float32Array, order: string[] | null): Float32Array[] {
  if (mag instanceof Float32Array) return [mag];
  if (!order)
    throw new RftlabError("maskOverlap: magnitudes is a WeightMap but the masks are flat arrays; pass a Float32Array of |θ₀| or MaskMaps");
  return order.map((n) => {
    const t = mag.get(n);
    if (!t) throw new RftlabError(`maskOverlap: tensor "${n}" of the masks is missing from magnitudes; pass θ₀ of the same model`);
    return t.data;
  });
}

/**
 * Overlap of two or more update masks (spec §1): one row per ordered pair (a, b), with the one-sided
 * overlap o(I_a|I_b), its chance baseline (density of I_b), the magnitude-binned chance when θ₀ is
 * given as `magnitudes` (bins per tensor by default), and Jaccard.
 */
export function maskOverlap(
  masks: Record<string, MaskMap | Uint8Array>,
  opts: OverlapOptions = {},
): { rows: OverlapRow[]; table: aq.ColumnTable } {
  const names = Object.keys(masks);
  if (names.length < 2) throw new RftlabError(`maskOverlap: needs at least 2 masks; got ${names.length}`);
  const first = masks[names[0]];
  const order = first instanceof Uint8Array ? null : [...first.keys()];
  const arrays = names.map((n) => maskArrays(masks[n], order));
  const total = maskSize(first);
  for (const n of names) {
    if (maskSize(masks[n]) !== total)
      throw new RftlabError(
        `maskOverlap: mask "${n}" has ${maskSize(masks[n])} entries, "${names[0]}" has ${total}; pass masks of the same model`,
      );
  }
  const sizes = arrays.map((parts) => parts.reduce((s, p) => s + p.reduce((a, v) => a + (v ? 1 : 0), 0), 0));
  const { magnitudes, ...binning } = opts;
  const bins = magnitudes ? magnitudeBins(magnitudeParts(magnitudes, order), binning) : null;
  const counts = bins ? arrays.map((parts) => binCounts(parts, bins)) : null;
  const rows: OverlapRow[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = 0; j < names.length; j++) {
      if (i === j) continue;
      let inter = 0;
      arrays[i].forEach((p, k) => {
        const q = arrays[j][k];
        if (p.length !== q.length)
          throw new RftlabError(`maskOverlap: part ${k} of "${names[i]}" and "${names[j]}" differ in size (${p.length} vs ${q.length})`);
        for (let e = 0; e < p.length; e++) if (p[e] && q[e]) inter++;
      });
      const union = sizes[i] + sizes[j] - inter;
      rows.push({
        a: names[i],
        b: names[j],
        overlap: sizes[i] ? inter / sizes[i] : 0,
        chance: total ? sizes[j] / total : 0,
        binnedChance: bins && counts ? binnedChance(counts[i], counts[j], bins.sizes) : NaN,
        jaccard: union ? inter / union : 0,
        sizeA: sizes[i],
        sizeB: sizes[j],
        intersection: inter,
      });
    }
  }
  return { rows, table: aq.from(rows) };
}
