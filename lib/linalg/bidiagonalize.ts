/**
 * Blocked Householder bidiagonalisation A = Q·B·Pᵀ (LAPACK dgebrd/dlabrd) of a column-major m×n
 * Float64 array, m ≥ n. Each panel of NB columns reduces with matrix-vector products against the
 * not-yet-updated trailing matrix (corrected by the panel's X, Y), then the trailing matrix takes one
 * rank-2·NB update: half the flops move from BLAS-2 passes into a cache-friendly GEMM.
 */
import { axpyColumns, dotColumns } from "./dense-kernels";
import { BidiagonalWorkspace } from "./bidiagonal-simd";
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

/** Reduces column-major `input` (m×n, m ≥ n) to upper bidiagonal form in place; see Bidiagonal for what it then holds. */
export function bidiagonalize(input: Float64Array, m: number, n: number): Bidiagonal {
  const out: Bidiagonal = { d: new Float64Array(n), e: new Float64Array(n), tauq: new Float64Array(n), taup: new Float64Array(n) };
  const ws = new BidiagonalWorkspace(m, n, NB);
  const { a, x, y, w, c } = ws;
  a.set(input);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const nb = Math.min(NB, n - k0);
    reducePanel(ws, k0, nb, out);
    const r0 = k0 + nb;
    if (r0 >= n) break;
    // A[r0:m, r0:n] −= [U X]·[Y Vᵀ]ᵀ with U = A[r0:m, k0:r0] and V = A[k0:r0, r0:n] (dgebrd's two GEMMs in one),
    // packed in the kernel's 4-row / 4-column tiles with zeros past the edges.
    const rows = m - r0;
    const cols = n - r0;
    const kk = 2 * nb;
    w.fill(0, 0, Math.ceil(rows / 4) * 4 * kk);
    c.fill(0, 0, Math.ceil(cols / 4) * 4 * kk);
    for (let i = 0; i < rows; i++) {
      const base = (i >> 2) * kk * 4 + (i & 3);
      for (let q = 0; q < nb; q++) {
        w[base + 4 * q] = a[(k0 + q) * m + r0 + i];
        w[base + 4 * (nb + q)] = x[q * m + r0 + i];
      }
    }
    for (let j = 0; j < cols; j++) {
      const base = (j >> 2) * kk * 4 + (j & 3);
      for (let q = 0; q < nb; q++) {
        c[base + 4 * q] = y[q * n + r0 + j];
        c[base + 4 * (nb + q)] = a[(r0 + j) * m + k0 + q];
      }
    }
    ws.subtractProduct(r0, r0, rows, cols, kk);
  }
  input.set(a.subarray(0, m * n));
  return out;
}

/**
 * LAPACK dlabrd for m ≥ n: reduces columns/rows k0 … k0+nb−1, leaving the trailing matrix
 * unchanged and returning X [m, nb], Y [n, nb] such that the trailing update is A −= U·Yᵀ + X·V.
 * Rows i of U and columns i+1 of V hold their implicit 1 on return (the trailing update needs it).
 */
function reducePanel(ws: BidiagonalWorkspace, k0: number, nb: number, out: Bidiagonal): void {
  const { a, m, n, x, y, v } = ws;
  const t = new Float64Array(nb + 1);
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
    ws.dotColumns(i, m, i + 1, n, ci, yp);
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
    ws.axpyColumns(i + 1, m, i + 1, n, xp);
    dotColumns(y, n, i + 1, n, 0, p + 1, v, 0, t, 0);
    for (let q = 0; q <= p; q++) t[q] = -t[q];
    axpyColumns(a, m, i + 1, m, k0, i + 1, t, -k0, x, xp);
    t.fill(0, 0, p);
    for (let j = i + 1; j < n; j++) for (let q = 0; q < p; q++) t[q] -= a[j * m + k0 + q] * v[j];
    axpyColumns(x, m, i + 1, m, 0, p, t, 0, x, xp);
    for (let r = i + 1; r < m; r++) x[xp + r] *= out.taup[i];
  }
}
