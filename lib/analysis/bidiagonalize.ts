/**
 * Blocked Householder bidiagonalisation A = Q·B·Pᵀ (LAPACK dgebrd/dlabrd) of a column-major m×n
 * Float64 array, m ≥ n. Each panel of NB columns reduces with matrix-vector products against the
 * not-yet-updated trailing matrix (corrected by the panel's X, Y), then the trailing matrix takes one
 * rank-2·NB update: half the flops move from BLAS-2 passes into a cache-friendly GEMM.
 */
import { axpyColumns, dotColumns, subtractProduct } from "./dense-kernels";
import { householder } from "./reflectors";

/** Panel width: large enough for the GEMM to dominate, small enough for X, Y to stay in cache. */
const NB = 32;

export interface Bidiagonal {
  /** Diagonal of B (length n; entries may be negative). */
  d: Float64Array;
  /** Superdiagonal of B: e[i] = B[i, i+1] (length n, e[n−1] = 0). */
  e: Float64Array;
  /**
   * Q's reflectors H_i = I − tauq[i]·u·uᵀ with u[i] = 1 and u[i+1:m] in column i of `a` below the
   * diagonal; P's reflectors G_i = I − taup[i]·v·vᵀ with v[i+1] = 1 and v[i+2:n] in row i of `a`.
   */
  tauq: Float64Array;
  taup: Float64Array;
}

/** Reduces column-major `a` (m×n, m ≥ n) to upper bidiagonal form in place; see Bidiagonal for what `a` then holds. */
export function bidiagonalize(a: Float64Array, m: number, n: number): Bidiagonal {
  const out: Bidiagonal = { d: new Float64Array(n), e: new Float64Array(n), tauq: new Float64Array(n), taup: new Float64Array(n) };
  const x = new Float64Array(m * NB); // X [m, NB] column-major
  const y = new Float64Array(n * NB); // Y [n, NB] column-major
  const w = new Float64Array(m * 2 * NB);
  const c = new Float64Array(n * 2 * NB);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const nb = Math.min(NB, n - k0);
    reducePanel(a, m, n, k0, nb, out, x, y);
    const r0 = k0 + nb;
    if (r0 >= n) break;
    // A[r0:m, r0:n] −= [U X]·[Y Vᵀ]ᵀ with U = A[r0:m, k0:r0] and V = A[k0:r0, r0:n] (dgebrd's two GEMMs in one).
    const rows = m - r0;
    const cols = n - r0;
    const kk = 2 * nb;
    for (let i = 0; i < rows; i++) {
      for (let q = 0; q < nb; q++) {
        w[i * kk + q] = a[(k0 + q) * m + r0 + i];
        w[i * kk + nb + q] = x[q * m + r0 + i];
      }
    }
    for (let j = 0; j < cols; j++) {
      for (let q = 0; q < nb; q++) {
        c[j * kk + q] = y[q * n + r0 + j];
        c[j * kk + nb + q] = a[(r0 + j) * m + k0 + q];
      }
    }
    subtractProduct(a, m, r0, r0, rows, cols, w, c, kk);
  }
  return out;
}

/**
 * LAPACK dlabrd for m ≥ n: reduces columns/rows k0 … k0+nb−1, leaving the trailing matrix
 * unchanged and returning X [m, nb], Y [n, nb] such that the trailing update is A −= U·Yᵀ + X·V.
 * Rows i of U and columns i+1 of V hold their implicit 1 on return (the trailing update needs it).
 */
function reducePanel(a: Float64Array, m: number, n: number, k0: number, nb: number, out: Bidiagonal, x: Float64Array, y: Float64Array): void {
  const t = new Float64Array(nb + 1);
  const v = new Float64Array(n);
  for (let p = 0; p < nb; p++) {
    const i = k0 + p;
    const ci = i * m;
    // Column i: A[i:m, i] −= U[i:m, :p]·Y[i, :p]ᵀ + X[i:m, :p]·V[:p, i].
    for (let q = 0; q < p; q++) {
      const fy = y[q * n + i];
      const fv = a[ci + k0 + q];
      const cu = (k0 + q) * m;
      const cx = q * m;
      for (let r = i; r < m; r++) a[ci + r] -= a[cu + r] * fy + x[cx + r] * fv;
    }
    out.tauq[i] = householder(a, ci + i, m - i, 1);
    out.d[i] = a[ci + i];
    if (i === n - 1) break;
    a[ci + i] = 1;

    // Y[i+1:n, p] = τq·(A[i:m, i+1:n]ᵀu − Y[i+1:n, :p]·(U[i:m, :p]ᵀu) − V[:p, i+1:n]ᵀ·(X[i:m, :p]ᵀu)).
    const yp = p * n;
    dotColumns(a, m, i, m, i + 1, n, a, ci, y, yp);
    dotColumns(a, m, i, m, k0, i, a, ci, t, -k0);
    for (let q = 0; q < p; q++) for (let j = i + 1; j < n; j++) y[yp + j] -= y[q * n + j] * t[q];
    dotColumns(x, m, i, m, 0, p, a, ci, t, 0);
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let q = 0; q < p; q++) s += a[j * m + k0 + q] * t[q];
      y[yp + j] = (y[yp + j] - s) * out.tauq[i];
    }

    // Row i: A[i, i+1:n] −= Y[i+1:n, :p+1]·U[i, :p+1]ᵀ + V[:p, i+1:n]ᵀ·X[i, :p]ᵀ.
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let q = 0; q <= p; q++) s += y[q * n + j] * a[(k0 + q) * m + i];
      for (let q = 0; q < p; q++) s += a[j * m + k0 + q] * x[q * m + i];
      a[j * m + i] -= s;
    }
    out.taup[i] = householder(a, (i + 1) * m + i, n - i - 1, m);
    out.e[i] = a[(i + 1) * m + i];
    a[(i + 1) * m + i] = 1;

    // X[i+1:m, p] = τp·(A[i+1:m, i+1:n]·v − U[i+1:m, :p+1]·(Y[i+1:n, :p+1]ᵀv) − X[i+1:m, :p]·(V[:p, i+1:n]·v)).
    for (let j = i + 1; j < n; j++) v[j] = a[j * m + i];
    const xp = p * m;
    x.fill(0, xp + i + 1, xp + m);
    axpyColumns(a, m, i + 1, m, i + 1, n, v, 0, x, xp);
    dotColumns(y, n, i + 1, n, 0, p + 1, v, 0, t, 0);
    for (let q = 0; q <= p; q++) t[q] = -t[q];
    axpyColumns(a, m, i + 1, m, k0, i + 1, t, -k0, x, xp);
    t.fill(0, 0, p);
    for (let j = i + 1; j < n; j++) for (let q = 0; q < p; q++) t[q] -= a[j * m + k0 + q] * v[j];
    axpyColumns(x, m, i + 1, m, 0, p, t, 0, x, xp);
    for (let r = i + 1; r < m; r++) x[xp + r] *= out.taup[i];
  }
}
