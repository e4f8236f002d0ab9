/**
 * Model merging of task vectors τ_t = θ_t − θ₀ (spec/analyses.md §5, §6): task arithmetic, TIES-style
 * trimming, Model Breadcrumbs and LiNeS layer scaling. Each returns a new WeightMap; inputs are untouched.
 */
import { RftlabError } from "../errors";
import { layerIndex } from "./modules";
import { assertSameLayout, type WeightMap } from "./weights";
import { deepFreeze } from "../base/freeze";
import { checkConfig, nullable } from "../base/strict-config";

export type MergeMethod = "task-arithmetic" | "ties" | "breadcrumbs" | "lines";
export const MERGE_METHODS: readonly MergeMethod[] = ["task-arithmetic", "ties", "breadcrumbs", "lines"];

export interface MergeConfig {
  method: MergeMethod;
  /** λ: scale of the merged task vector (task arithmetic, TIES, Breadcrumbs; Breadcrumbs paper ≈ 0.4). */
  lambda: number;
  /** TIES: fraction of entries kept per task and tensor, by |τ| (TIES paper: top 20%). */
  density: number;
  /** Breadcrumbs γ: fraction of each row's largest |τ| dropped as outliers (paper 0.01). */
  gamma: number;
  /** Breadcrumbs β: fraction of each row kept after the outliers (paper 0.1–0.2). */
  beta: number;
  /** LiNeS α: scale of the first block and of parameters outside the blocks. */
  alpha: number;
  /** LiNeS β: extra scale reached at the last block; null = 1 − α (single-task setting of the paper). */
  linesBeta: number | null;
  /** LiNeS L: number of blocks; null = inferred from tensor names (max layer index + 1). */
  numLayers: number | null;
}

export const DEFAULT_MERGE_CONFIG: Readonly<MergeConfig> = deepFreeze({
  method: "task-arithmetic",
  lambda: 1,
  density: 0.2,
  gamma: 0.01,
  beta: 0.1,
  alpha: 0.5,
  linesBeta: null,
  numLayers: null,
});

export function resolveMergeConfig(partial: Partial<MergeConfig> = {}): MergeConfig {
  checkConfig("MergeConfig", partial, { ...DEFAULT_MERGE_CONFIG, linesBeta: nullable(0), numLayers: nullable(0) });
  const c = { ...DEFAULT_MERGE_CONFIG, ...partial };
  if (!MERGE_METHODS.includes(c.method))
    throw new RftlabError(`MergeConfig.method must be one of ${MERGE_METHODS.join(", ")}; got "${c.method}"`);
  if (!Number.isFinite(c.lambda)) throw new RftlabError(`MergeConfig.lambda must be finite; got ${c.lambda}`);
  if (!(c.density > 0 && c.density <= 1)) throw new RftlabError(`MergeConfig.density must lie in (0, 1]; got ${c.density}`);
  if (!(c.gamma >= 0 && c.beta > 0 && c.gamma + c.beta <= 1)) {
    throw new RftlabError(
      `MergeConfig.gamma ≥ 0, beta > 0 and gamma + beta ≤ 1 are required (Breadcrumbs); got gamma ${c.gamma}, beta ${c.beta}`,
    );
  }
  if (!Number.isFinite(c.alpha)) throw new RftlabError(`MergeConfig.alpha must be finite; got ${c.alpha}`);
  if (c.numLayers !== null && (!Number.isInteger(c.numLayers) || c.numLayers < 1))
    throw new RftlabError(`MergeConfig.numLayers must be an integer ≥ 1 or null; got ${c.numLayers}`);
  return c;
}

function checkTasks(base: WeightMap, tuned: WeightMap[], fn: string): void {
  if (tuned.length === 0) throw new RftlabError(`${fn}: pass at least one fine-tuned model`);
  tuned.forEach((t, i) => assertSameLayout(base, t, fn, `tuned[${i}]`));
}

/** Applies θ = θ₀ + λ·merge(τ_1..τ_T) tensor by tensor; `combine` gets the task vectors of one tensor. */
function mergeTensors(
  base: WeightMap,
  tuned: WeightMap[],
  lambda: (name: string) => number,
  combine: (taus: Float32Array[], shape: number[]) => Float32Array,
): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, b] of base) {
    const taus = tuned.map((t) => {
      const d = t.get(name)!.data;
      const tau = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) tau[i] = d[i] - b.data[i];
      return tau;
    });
    const merged = combine(taus, b.shape);
    const l = lambda(name);
    const data = new Float32Array(b.data.length);
    for (let i = 0; i < data.length; i++) data[i] = b.data[i] + l * merged[i];
    out.set(name, { shape: [...b.shape], data });
  }
  return out;
}

function sumTaus(taus: Float32Array[]): Float32Array {
  const s = new Float32Array(taus[0].length);
  for (const t of taus) for (let i = 0; i < s.length; i++) s[i] += t[i];
  return s;
}

/** Indices sorted by |x| descending, ties by lower index (deterministic). */
function orderByMagnitude(x: ArrayLike<number>, start: number, len: number): Uint32Array {
  const idx = new Uint32Array(len);
  for (let i = 0; i < len; i++) idx[i] = start + i;
  return idx.sort((a, b) => Math.abs(x[b]) - Math.abs(x[a]) || a - b);
}

/** Task arithmetic: θ = θ₀ + λ·Σ_t τ_t. */
export function taskArithmetic(base: WeightMap, tuned: WeightMap[], lambda = 1): WeightMap {
  checkTasks(base, tuned, "taskArithmetic");
  if (!Number.isFinite(lambda)) throw new RftlabError(`taskArithmetic: lambda (λ) must be a finite number; got ${lambda}`);
  return mergeTensors(base, tuned, () => lambda, sumTaus);
}

/** Keeps the top floor(density·n) entries of τ by |τ| (per tensor), zeroing the rest. */
export function trimTopK(tau: Float32Array, density: number): Float32Array {
  if (!(density >= 0 && density <= 1)) throw new RftlabError(`trimTopK: density must lie in [0, 1] (fraction kept); got ${density}`);
  const keep = Math.floor(density * tau.length);
  const order = orderByMagnitude(tau, 0, tau.length);
  const out = new Float32Array(tau.length);
  for (let i = 0; i < keep; i++) out[order[i]] = tau[order[i]];
  return out;
}

/**
 * TIES-style merge: trim each τ_t to its top-density entries, elect the sign per entry as the sign of
 * Σ_t τ̂_t, then average only the τ̂_t that agree with it (disjoint mean); θ = θ₀ + λ·τ_m.
 */
export function tiesMerge(base: WeightMap, tuned: WeightMap[], cfg: Partial<MergeConfig> = {}): WeightMap {
  const c = resolveMergeConfig({ ...cfg, method: "ties" });
  checkTasks(base, tuned, "tiesMerge");
  return mergeTensors(
    base,
    tuned,
    () => c.lambda,
    (taus) => {
      const trimmed = taus.map((t) => trimTopK(t, c.density));
      const n = taus[0].length;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let total = 0;
        for (const t of trimmed) total += t[i];
        const sign = Math.sign(total);
        if (sign === 0) continue;
        let sum = 0;
        let count = 0;
        for (const t of trimmed) {
          if (t[i] !== 0 && Math.sign(t[i]) === sign) {
            sum += t[i];
            count++;
          }
        }
        out[i] = count ? sum / count : 0;
      }
      return out;
    },
  );
}

/**
 * Breadcrumbs mask of one task vector: per row (last axis; a 1-D tensor is one row), sort by |τ|
 * descending, drop the first floor(γ·n) (outliers), keep the next floor(β·n).
 */
export function breadcrumbsMask(tau: Float32Array, shape: number[], gamma: number, beta: number): Uint8Array {
  const n = shape.length ? shape[shape.length - 1] : 1;
  const rows = n ? tau.length / n : 0;
  const drop = Math.floor(gamma * n);
  const keep = Math.floor(beta * n);
  const mask = new Uint8Array(tau.length);
  for (let r = 0; r < rows; r++) {
    const order = orderByMagnitude(tau, r * n, n);
    for (let i = drop; i < Math.min(n, drop + keep); i++) mask[order[i]] = 1;
  }
  return mask;
}

/** Model Breadcrumbs: θ = θ₀ + λ·Σ_t m_t⊙τ_t with per-row masks m_t (arXiv 2312.06795). */
export function breadcrumbsMerge(base: WeightMap, tuned: WeightMap[], cfg: Partial<MergeConfig> = {}): WeightMap {
  const c = resolveMergeConfig({ lambda: 0.4, ...cfg, method: "breadcrumbs" });
  checkTasks(base, tuned, "breadcrumbsMerge");
  return mergeTensors(
    base,
    tuned,
    () => c.lambda,
    (taus, shape) => {
      const out = new Float32Array(taus[0].length);
      for (const t of taus) {
        const m = breadcrumbsMask(t, shape, c.gamma, c.beta);
        for (let i = 0; i < out.length; i++) if (m[i]) out[i] += t[i];
      }
      return out;
    },
  );
}

/** Number of blocks: max layer index + 1 over the tensor names. */
export function inferNumLayers(w: WeightMap): number {
  let max = -1;
  for (const name of w.keys()) max = Math.max(max, layerIndex(name) ?? -1);
  return max + 1;
}

/** LiNeS scale of one tensor: α + β·ℓ/(L−1) inside block ℓ, α outside the blocks. */
export function linesScale(name: string, alpha: number, beta: number, numLayers: number): number {
  const l = layerIndex(name);
  if (l === null) return alpha;
  return alpha + (numLayers > 1 ? (beta * l) / (numLayers - 1) : 0);
}

/**
 * LiNeS (arXiv 2410.17146): τ_ℓ ← (α + β·ℓ/(L−1))·τ_ℓ with τ = Σ_t τ_t; parameters outside the blocks
 * (embeddings, head, final norm) get α. Single-task default β = 1 − α.
 */
export function linesMerge(base: WeightMap, tuned: WeightMap[], cfg: Partial<MergeConfig> = {}): WeightMap {
  const c = resolveMergeConfig({ ...cfg, method: "lines" });
  checkTasks(base, tuned, "linesMerge");
  const L = c.numLayers ?? inferNumLayers(base);
  const beta = c.linesBeta ?? 1 - c.alpha;
  return mergeTensors(base, tuned, (name) => linesScale(name, c.alpha, beta, L), sumTaus);
}

/** Dispatches on cfg.method. */
export function mergeModels(base: WeightMap, tuned: WeightMap[], cfg: Partial<MergeConfig> = {}): WeightMap {
  const c = resolveMergeConfig(cfg);
  switch (c.method) {
    case "task-arithmetic":
      return taskArithmetic(base, tuned, c.lambda);
    case "ties":
      return tiesMerge(base, tuned, c);
    case "breadcrumbs":
      return breadcrumbsMerge(base, tuned, c);
    case "lines":
      return linesMerge(base, tuned, c);
  }
}
