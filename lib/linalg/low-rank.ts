/**
 * Linear algebra for weight analyses: numerical rank, randomized truncated SVD, low-rank
 * reconstruction and principal angles. Dense SVD itself lives in svd.ts.
 */
import { RftlabError } from "../errors";
import { fillNormals, mulberry32 } from "../base/random";
import { checkMatrix, type Matrix, singularValues, svd, type SvdResult } from "./svd";
import { deepFreeze } from "../base/freeze";

export { svd, singularValues } from "./svd";
export type { Matrix, SvdResult } from "./svd";

/** float32 machine epsilon 2⁻²³, the eps of torch.linalg.matrix_rank on float32 input. */
export const EPS_FLOAT32 = 1.1920928955078125e-7;

/** Default rank tolerance σ_max·max(m, n)·eps(float32) (numpy/torch convention). */
export function defaultRankTol(s: ArrayLike<number>, m: number, n: number): number {
  return (s.length ? s[0] : 0) * Math.max(m, n) * EPS_FLOAT32;
}

export interface RankResult {
  rank: number;
  /** min(m, n). */
  maxRank: number;
  rankFraction: number;
  tol: number;
  /** Singular values, descending. */
  s: Float64Array;
}

/**
 * Numerical rank: the number of singular values > tol (default σ_max·max(m,n)·eps32).
 * Singular values come from Householder bidiagonalisation in Float64 (no Gram matrix, so the
 * condition number is not squared).
 */
export function numericalRank(a: Matrix, tol?: number): RankResult {
  if (tol !== undefined && !(tol >= 0 && tol < Infinity))
    throw new RftlabError(`numericalRank: tol must be a finite number ≥ 0 (or omitted for the default); got ${tol}`);
  const s = singularValues(a);
  const t = tol ?? defaultRankTol(s, a.rows, a.cols);
  let rank = 0;
  for (const x of s) if (x > t) rank++;
  const maxRank = Math.min(a.rows, a.cols);
  return { rank, maxRank, rankFraction: rank / maxRank, tol: t, s };
}

/** C = A·B for row-major Float64 operands ([m,k]·[k,n]); i-k-j order keeps the inner loop contiguous. */
export function matmulF64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
  return c;
}

/** Aᵀ·B without forming Aᵀ, for row-major A [k,m], B [k,n] → [m,n]. */
export function matmulF64TN(a: ArrayLike<number>, b: ArrayLike<number>, k: number, m: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const x = a[ap + i];
      if (x === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
    }
  }
  return c;
}

/** Orthonormalises the columns of a row-major [m, r] matrix in place (modified Gram–Schmidt, twice). */
export function orthonormalizeColumns(q: Float64Array, m: number, r: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < r; j++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += q[i * r + p] * q[i * r + j];
        for (let i = 0; i < m; i++) q[i * r + j] -= d * q[i * r + p];
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += q[i * r + j] * q[i * r + j];
      nrm = Math.sqrt(nrm);
      const inv = nrm > 0 ? 1 / nrm : 0;
      for (let i = 0; i < m; i++) q[i * r + j] *= inv;
    }
  }
}

/** Seeded standard normals (mulberry32 + Box–Muller): randomized SVD is deterministic per seed. */
export function seededNormals(count: number, seed: number): Float64Array {
  return fillNormals(new Float64Array(count), mulberry32(seed));
}

export interface TruncatedSvdConfig {
  /** Extra random directions beyond k (Halko et al. use 5–10). */
  oversample: number;
  /** Power iterations (A·Aᵀ)^q sharpen a slowly decaying spectrum. */
  powerIters: number;
  seed: number;
}
export const DEFAULT_TRUNCATED_SVD_CONFIG: Readonly<TruncatedSvdConfig> = deepFreeze({ oversample: 10, powerIters: 4, seed: 0 });

/**
 * Top-k SVD by the randomized range finder (Halko, Martinsson, Tropp 2011): Q = orth((AAᵀ)^q·A·Ω),
 * then the dense SVD of the small QᵀA. Cost O(mn(k+p)(2q+2)) instead of O(mn·min(m,n)).
 */
export function truncatedSvd(a: Matrix, k: number, cfg: Partial<TruncatedSvdConfig> = {}): SvdResult {
  checkMatrix(a, "truncatedSvd");
  const c = { ...DEFAULT_TRUNCATED_SVD_CONFIG, ...cfg };
  const { rows: m, cols: n } = a;
  const r = Math.min(m, n);
  if (!Number.isInteger(k) || k < 1 || k > r) throw new RftlabError(`truncatedSvd: k must be an integer in [1, min(m,n)=${r}]; got ${k}`);
  if (!Number.isInteger(c.powerIters) || c.powerIters < 0)
    throw new RftlabError(`truncatedSvd: powerIters must be an integer ≥ 0; got ${c.powerIters}`);
  const l = Math.min(r, k + Math.max(0, Math.floor(c.oversample)));
  if (l === r) return sliceSvd(svd(a), k);
  const omega = seededNormals(n * l, c.seed); // [n, l]
  let y = matmulF64(a.data, omega, m, n, l); // [m, l]
  orthonormalizeColumns(y, m, l);
  for (let q = 0; q < c.powerIters; q++) {
    const z = matmulF64TN(a.data, y, m, n, l); // Aᵀ·Y [n, l]
    orthonormalizeColumns(z, n, l);
    y = matmulF64(a.data, z, m, n, l);
    orthonormalizeColumns(y, m, l);
  }
  const bT = matmulF64TN(a.data, y, m, n, l); // (QᵀA)ᵀ = AᵀQ [n, l]
  const small = svd({ rows: n, cols: l, data: bT }); // AᵀQ = V_b S U_bᵀ  ⇒  QᵀA = U_b S V_bᵀ
  const ub = small.v!; // [l, l]
  const u = matmulF64(y, ub, m, l, l); // [m, l]
  return sliceSvd({ s: small.s, u, v: small.u, m, n }, k);
}

/** Keeps the top k triplets of an SVD. */
export function sliceSvd(res: SvdResult, k: number): SvdResult {
  const r = res.s.length;
  const pick = (x: Float64Array | null, rows: number) => {
    if (!x) return null;
    const out = new Float64Array(rows * k);
    for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[i * k + j] = x[i * r + j];
    return out;
  };
  return { s: res.s.slice(0, k), u: pick(res.u, res.m), v: pick(res.v, res.n), m: res.m, n: res.n };
}

/** U_r·diag(s_r)·V_rᵀ as a row-major Float64Array [m, n] from the first r triplets. */
export function lowRankReconstruct(res: SvdResult, r: number): Float64Array {
  const { m, n } = res;
  if (!res.u || !res.v) throw new RftlabError("lowRankReconstruct: the SVD has no singular vectors; use svd(), not singularValues()");
  const k = res.s.length;
  if (r > k) throw new RftlabError(`lowRankReconstruct: r = ${r} exceeds the ${k} triplets available`);
  const us = new Float64Array(m * r);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) us[i * r + j] = res.u[i * k + j] * res.s[j];
  const vt = new Float64Array(r * n);
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) vt[j * n + i] = res.v[i * k + j];
  return matmulF64(us, vt, m, r, n);
}

/**
 * Cosines of the principal angles between the column spaces of two row-major [m, k] bases with
 * orthonormal columns: singular values of AᵀB. 1 = same subspace.
 */
export function principalAngleCosines(a: Float64Array, b: Float64Array, m: number, k: number): Float64Array {
  const c = matmulF64TN(a, b, m, k, k);
  return singularValues({ rows: k, cols: k, data: c });
}

export interface SpectrumRow {
  index: number;
  sigma: number;
  /** σ_i / σ_max. */
  relative: number;
  /** Σ_{j≤i} σ_j² / Σ σ²: energy captured by the top i+1 directions. */
  cumulativeEnergy: number;
}

/** Singular-value spectrum rows (for plots of decay and effective rank). */
export function singularSpectrum(s: ArrayLike<number>): SpectrumRow[] {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  let acc = 0;
  const rows: SpectrumRow[] = [];
  for (let i = 0; i < s.length; i++) {
    acc += s[i] * s[i];
    rows.push({ index: i, sigma: s[i], relative: s[0] ? s[i] / s[0] : 0, cumulativeEnergy: total ? acc / total : 0 });
  }
  return rows;
}
