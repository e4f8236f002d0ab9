/**
 * Parameter masks: LIFT principal weights (§4), magnitude and random baselines, subnetwork masks from
 * an update (§1), grafting (§7). A mask is 1 where a parameter is selected.
 */
import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import { lowRankReconstruct, svd, truncatedSvd } from "../linalg";
import { seededNormals } from "../linalg/low-rank";
import { type MaskMap, updateMasks, type SparsityConfig } from "./sparsity";
import { isBlockMatrix } from "./modules";
import { binCounts, magnitudeBins, type BinnedChanceConfig } from "./binned-chance";
import { assertSameLayout, type WeightMap, weightDelta } from "./weights";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/**
 * Mask of the k largest |scores| (ties broken by lower index, so the count is exactly k).
 * Uses a selection of the k-th largest value then one pass.
 */
export function topKMask(scores: ArrayLike<number>, k: number): Uint8Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 0) throw new RftlabError(`topKMask: k must be an integer ≥ 0; got ${k}`);
  const mask = new Uint8Array(n);
  if (k === 0) return mask;
  if (k >= n) return mask.fill(1);
  const abs = new Float64Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(scores[i]);
  const sorted = Float64Array.from(abs).sort();
  const thr = sorted[n - k];
  let above = 0;
  for (let i = 0; i < n; i++) if (abs[i] > thr) above++;
  let tiesLeft = k - above;
  for (let i = 0; i < n; i++) {
    if (abs[i] > thr) mask[i] = 1;
    else if (abs[i] === thr && tiesLeft > 0) {
      mask[i] = 1;
      tiesLeft--;
    }
  }
  return mask;
}

export interface PrincipalMaskConfig {
  /** Rank of the low-rank approximation W_r (LIFT's r). */
  rank: number;
  /** LoRA rank whose parameter count sets k = (m+n)·loraRank. */
  loraRank: number;
  /** "principal": top-k |W_r| (LIFT); "magnitude": top-k |W|; "random": k entries uniformly. */
  method: "principal" | "magnitude" | "random";
  /** Randomized SVD for W_r (fast on large matrices); exact dense SVD otherwise. */
  randomized: boolean;
  seed: number;
}
export const DEFAULT_PRINCIPAL_MASK_CONFIG: Readonly<PrincipalMaskConfig> = deepFreeze({
  rank: 128,
  loraRank: 128,
  method: "principal",
  randomized: true,
  seed: 0,
});

export function resolvePrincipalMaskConfig(partial: Partial<PrincipalMaskConfig> = {}): PrincipalMaskConfig {
  checkConfig("PrincipalMaskConfig", partial, DEFAULT_PRINCIPAL_MASK_CONFIG);
  const c = { ...DEFAULT_PRINCIPAL_MASK_CONFIG, ...partial };
  if (!Number.isInteger(c.rank) || c.rank < 1) throw new RftlabError(`PrincipalMaskConfig.rank must be an integer ≥ 1; got ${c.rank}`);
  if (!Number.isInteger(c.loraRank) || c.loraRank < 1)
    throw new RftlabError(`PrincipalMaskConfig.loraRank must be an integer ≥ 1; got ${c.loraRank}`);
  if (!["principal", "magnitude", "random"].includes(c.method))
    throw new RftlabError(`PrincipalMaskConfig.method must be principal, magnitude or random; got "${c.method}"`);
  return c;
}

/** Seeded random mask with exactly k ones. */
export function randomMask(n: number, k: number, seed: number): Uint8Array {
  return topKMask(seededNormals(n, seed), Math.min(k, n));
}

/**
 * Random masks with the same number of ones as `like` in every tensor, at uniformly random positions:
 * the control of a subnetwork run (same per-tensor density, positions not learned). Seeded per tensor.
 */
export function randomMasksLike(like: MaskMap, seed: number): MaskMap {
  const rng = createRng(seed);
  const out: MaskMap = new Map();
  for (const [name, m] of like) {
    let k = 0;
    for (let i = 0; i < m.length; i++) if (m[i]) k++;
    out.set(name, randomMask(m.length, k, rng.int(0, 0x7fffffff)));
  }
  return out;
}

/**
 * Random masks that select as many entries as `like` in every magnitude bin (quantile bins of |magnitudes|,
 * e.g. of θ_ft − θ₀; BinnedChanceConfig, per tensor by default): the control that keeps a mask's
 * magnitude profile and draws its positions at random. Seeded.
 */
export function binMatchedRandomMasks(like: MaskMap, magnitudes: WeightMap, seed: number, cfg: Partial<BinnedChanceConfig> = {}): MaskMap {
  const names = [...like.keys()];
  for (const n of names) {
    const m = magnitudes.get(n);
    if (!m || m.data.length !== like.get(n)!.length)
      throw new RftlabError(
        `binMatchedRandomMasks: magnitudes need "${n}" with ${like.get(n)!.length} entries; got ${m ? m.data.length : "none"}`,
      );
  }
  const bins = magnitudeBins(
    names.map((n) => magnitudes.get(n)!.data),
    cfg,
  );
  const wanted = binCounts(
    names.map((n) => like.get(n)!),
    bins,
  );
  const members: number[][] = Array.from({ length: bins.sizes.length }, () => []);
  const offsets: number[] = [];
  let off = 0;
  bins.ids.forEach((ids) => {
    offsets.push(off);
    for (let i = 0; i < ids.length; i++) if (wanted[ids[i]] > 0) members[ids[i]].push(off + i);
    off += ids.length;
  });
  const rng = createRng(seed);
  const out: MaskMap = new Map(names.map((n) => [n, new Uint8Array(like.get(n)!.length)]));
  const part = (g: number) => {
    let p = offsets.length - 1;
    while (offsets[p] > g) p--;
    return p;
  };
  members.forEach((idx, b) => {
    // Partial Fisher–Yates: the first k of a shuffled bin.
    for (let j = 0; j < wanted[b]; j++) {
      const r = rng.int(j, idx.length - 1);
      [idx[j], idx[r]] = [idx[r], idx[j]];
      const p = part(idx[j]);
      out.get(names[p])![idx[j] - offsets[p]] = 1;
    }
  });
  return out;
}

/** LIFT mask of one [m, n] matrix: top-k |W_r| with k = (m+n)·loraRank (capped at m·n). */
export function principalMaskOf(w: { shape: number[]; data: Float32Array }, cfg: Partial<PrincipalMaskConfig> = {}): Uint8Array {
  const c = resolvePrincipalMaskConfig(cfg);
  if (w.shape.length !== 2) throw new RftlabError(`principalMaskOf: needs a 2-D weight; got shape [${w.shape}]`);
  const [m, n] = w.shape;
  const k = Math.min(m * n, (m + n) * c.loraRank);
  if (c.method === "magnitude") return topKMask(w.data, k);
  if (c.method === "random") return randomMask(m * n, k, c.seed);
  const r = Math.min(c.rank, m, n);
  const a = { rows: m, cols: n, data: w.data };
  const res = c.randomized && r < Math.min(m, n) ? truncatedSvd(a, r, { seed: c.seed }) : svd(a);
  return topKMask(lowRankReconstruct(res, r), k);
}

/** LIFT masks for the block matrices (LM head, embeddings, norms and biases excluded, as in the paper). */
export function principalMasks(weights: WeightMap, cfg: Partial<PrincipalMaskConfig> = {}): MaskMap {
  const out: MaskMap = new Map();
  for (const [name, t] of weights) if (isBlockMatrix(name, t.shape)) out.set(name, principalMaskOf(t, cfg));
  return out;
}

/** Subnetwork mask m = 1[θ_full − θ_init ≠ 0] (after the cast/tolerance of SparsityConfig), spec §1. */
export function subnetworkMasks(init: WeightMap, full: WeightMap, cfg: Partial<SparsityConfig> = {}): MaskMap {
  return updateMasks(init, full, { tol: 0, precision: "native", ...cfg });
}

/** Fraction of selected entries over all tensors of a mask map. */
export function maskDensity(masks: MaskMap): number {
  let on = 0;
  let all = 0;
  for (const m of masks.values()) {
    all += m.length;
    for (let i = 0; i < m.length; i++) on += m[i];
  }
  return all ? on / all : 0;
}

/** Grafting baseline γ = top-s |θ_ft − θ₀| over the whole model (§7, arXiv 2302.06600). */
export function graftTopSMask(base: WeightMap, tuned: WeightMap, s: number): MaskMap {
  const delta = weightDelta(base, tuned);
  const names = [...delta.keys()];
  const flat = new Float32Array(names.reduce((a, n) => a + delta.get(n)!.data.length, 0));
  let off = 0;
  for (const n of names) {
    flat.set(delta.get(n)!.data, off);
    off += delta.get(n)!.data.length;
  }
  const all = topKMask(flat, Math.min(s, flat.length));
  const out: MaskMap = new Map();
  off = 0;
  for (const n of names) {
    const len = delta.get(n)!.data.length;
    out.set(n, all.slice(off, off + len));
    off += len;
  }
  return out;
}

/** θ_graft = θ₀ + γ⊙(θ_ft − θ₀) for a binary or real mask γ (new weights; inputs untouched). */
export function graft(base: WeightMap, tuned: WeightMap, gamma: Map<string, ArrayLike<number>>): WeightMap {
  assertSameLayout(base, tuned, "graft");
  const out: WeightMap = new Map();
  for (const [name, b] of base) {
    const t = tuned.get(name)!.data;
    const g = gamma.get(name);
    const d = b.data.slice();
    if (g) {
      if (g.length !== d.length) throw new RftlabError(`graft: mask for "${name}" has ${g.length} entries, the tensor ${d.length}`);
      for (let i = 0; i < d.length; i++) if (g[i] !== 0) d[i] = b.data[i] + g[i] * (t[i] - b.data[i]);
    }
    out.set(name, { shape: [...b.shape], data: d });
  }
  return out;
}

/** Grafting's learned-mask parametrisation γ = γ_base + (1 − 2γ_base)⊙σ(S − b), paper b = 10. */
export function graftMaskFromScores(scores: ArrayLike<number>, gammaBase: ArrayLike<number>, b = 10): Float32Array {
  if (scores.length !== gammaBase.length)
    throw new RftlabError(`graftMaskFromScores: scores (${scores.length}) and gammaBase (${gammaBase.length}) differ in length`);
  const out = new Float32Array(scores.length);
  for (let i = 0; i < out.length; i++) {
    const sig = 1 / (1 + Math.exp(-(scores[i] - b)));
    out[i] = gammaBase[i] + (1 - 2 * gammaBase[i]) * sig;
  }
  return out;
}

/** Rounds a learned γ to binary (γ ≥ 0.5 → 1). */
export function roundGraftMask(gamma: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(gamma.length);
  for (let i = 0; i < out.length; i++) out[i] = gamma[i] >= 0.5 ? 1 : 0;
  return out;
}
