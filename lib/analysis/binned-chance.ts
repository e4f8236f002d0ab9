/**
 * Magnitude-binned chance overlap of two update masks (spec/analyses.md §1, a control beyond the paper).
 *
 * After a bf16 cast, whether an entry registers an update depends on |θ₀|: bf16 spacing grows with
 * magnitude, so small weights show small updates and large weights hide them. Two unrelated updates
 * then overlap more than independent masks would (chance = density of I₂). The null "independent given
 * the magnitude bin" is
 *   chance_b(I₁|I₂) = Σ_b |I₁ ∩ B_b| · (|I₂ ∩ B_b| / |B_b|) / |I₁|
 * over quantile bins B_b of |θ₀|. With one pooled bin it is the plain chance |I₂| / n.
 */
import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** "tensor": B quantile bins inside every tensor (also conditions on the tensor); "pooled": B bins over the whole model. */
export type ChanceBinning = "tensor" | "pooled";

export interface BinnedChanceConfig {
  /** Number of quantile bins of |θ₀| (per tensor or pooled); fewer when a tensor has fewer entries. */
  bins: number;
  binning: ChanceBinning;
}
export const DEFAULT_BINNED_CHANCE_CONFIG: Readonly<BinnedChanceConfig> = deepFreeze({ bins: 20, binning: "tensor" });

export function resolveBinnedChanceConfig(partial: Partial<BinnedChanceConfig> = {}): BinnedChanceConfig {
  checkConfig("BinnedChanceConfig", partial, DEFAULT_BINNED_CHANCE_CONFIG);
  const c = { ...DEFAULT_BINNED_CHANCE_CONFIG, ...partial };
  if (!Number.isInteger(c.bins) || c.bins < 1) throw new RftlabError(`BinnedChanceConfig.bins must be an integer ≥ 1; got ${c.bins}`);
  if (c.binning !== "tensor" && c.binning !== "pooled")
    throw new RftlabError(`BinnedChanceConfig.binning must be "tensor" or "pooled"; got "${c.binning}"`);
  return c;
}

/** Bin id of every entry (one array per part, ids global across parts) and the size of every bin. */
export interface MagnitudeBins {
  ids: Uint32Array[];
  sizes: Float64Array;
}

/**
 * Edges e_k = k-th B-quantile of |x| (k = 1..B−1, from the sorted values); an entry's bin is the number
 * of edges ≤ |x|, so equal magnitudes always share a bin (ties can leave some bins empty).
 */
function quantileEdges(parts: readonly Float32Array[], bins: number): Float32Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const sorted = new Float32Array(n);
  let off = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) sorted[off + i] = Math.abs(p[i]);
    off += p.length;
  }
  sorted.sort();
  const b = Math.min(bins, n);
  const edges = new Float32Array(Math.max(0, b - 1));
  for (let k = 1; k < b; k++) edges[k - 1] = sorted[Math.floor((k * n) / b)];
  return edges;
}

function binOf(v: number, edges: Float32Array): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Quantile bins of |θ₀| for the parts (tensors, in mask order) of a model. */
export function magnitudeBins(parts: readonly Float32Array[], cfg: Partial<BinnedChanceConfig> = {}): MagnitudeBins {
  const c = resolveBinnedChanceConfig(cfg);
  const groups = c.binning === "pooled" ? [parts] : parts.map((p) => [p]);
  const ids: Uint32Array[] = [];
  const sizes: number[] = [];
  for (const group of groups) {
    const edges = quantileEdges(group, c.bins);
    const first = sizes.length;
    for (let k = 0; k <= edges.length; k++) sizes.push(0);
    for (const p of group) {
      const id = new Uint32Array(p.length);
      for (let i = 0; i < p.length; i++) {
        id[i] = first + binOf(Math.abs(p[i]), edges);
        sizes[id[i]]++;
      }
      ids.push(id);
    }
  }
  return { ids, sizes: Float64Array.from(sizes) };
}

/** Number of selected entries of a mask (given as parts aligned with the bins) in every bin. */
export function binCounts(mask: readonly Uint8Array[], bins: MagnitudeBins): Float64Array {
  if (mask.length !== bins.ids.length)
    throw new RftlabError(
      `binCounts: the mask has ${mask.length} parts, the bins ${bins.ids.length}; pass masks and magnitudes of the same tensors`,
    );
  const out = new Float64Array(bins.sizes.length);
  mask.forEach((m, p) => {
    const id = bins.ids[p];
    if (m.length !== id.length)
      throw new RftlabError(
        `binCounts: part ${p} has ${m.length} mask entries but ${id.length} magnitudes; pass masks and magnitudes of the same tensors`,
      );
    for (let i = 0; i < m.length; i++) if (m[i]) out[id[i]]++;
  });
  return out;
}

/** chance_b(I₁|I₂) = Σ_b c₁[b]·c₂[b]/|B_b| / Σ_b c₁[b] from per-bin counts (0 when I₁ is empty). */
export function binnedChance(countsA: Float64Array, countsB: Float64Array, sizes: Float64Array): number {
  let expected = 0;
  let sizeA = 0;
  for (let b = 0; b < sizes.length; b++) {
    sizeA += countsA[b];
    if (sizes[b] > 0) expected += (countsA[b] * countsB[b]) / sizes[b];
  }
  return sizeA ? expected / sizeA : 0;
}
