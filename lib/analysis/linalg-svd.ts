/**
 * Dense SVD in Float64: Householder bidiagonalisation + implicit-shift QR on the bidiagonal
 * (Golub–Kahan–Reinsch, the algorithm of LAPACK's dgesvd / JAMA). Storage is column-major inside so
 * every inner loop runs over contiguous memory; inputs are row-major.
 */
import { RftlabError } from "../errors";

/** A row-major dense matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

/** A = U·diag(s)·Vᵀ with U [m, r] and V [n, r] row-major, r = min(m, n), s descending. */
export interface SvdResult {
  s: Float64Array;
  /** [m, r] row-major left singular vectors (null when not requested). */
  u: Float64Array | null;
  /** [n, r] row-major right singular vectors (null when not requested). */
  v: Float64Array | null;
  m: number;
  n: number;
}

export function checkMatrix(a: Matrix, fn: string): void {
  if (!Number.isInteger(a.rows) || !Number.isInteger(a.cols) || a.rows < 1 || a.cols < 1 || a.data.length !== a.rows * a.cols) {
    throw new RftlabError(`${fn}: matrix must be rows×cols with data.length = rows·cols; got ${a.rows}×${a.cols} with ${a.data.length} values`);
  }
}

/**
 * Golub–Kahan–Reinsch on a column-major m×n array `a` (m ≥ n), overwritten. Returns s (length n) and,
 * when wanted, column-major U [m, n] and V [n, n].
 */
function gkr(a: Float64Array, m: number, n: number, wantU: boolean, wantV: boolean): { s: Float64Array; U: Float64Array | null; V: Float64Array | null } {
  const nu = n;
  const s = new Float64Array(n + 1);
  const U = wantU ? new Float64Array(m * nu) : null;
  const V = wantV ? new Float64Array(n * n) : null;
  const e = new Float64Array(n);
  const work = new Float64Array(m);
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  const colNorm = (x: Float64Array, off: number, len: number): number => {
    let scale = 0;
    for (let i = 0; i < len; i++) scale = Math.max(scale, Math.abs(x[off + i]));
    if (scale === 0) return 0;
    let ss = 0;
    for (let i = 0; i < len; i++) {
      const t = x[off + i] / scale;
      ss += t * t;
    }
    return scale * Math.sqrt(ss);
  };

  // Reduce A to bidiagonal form: s on the diagonal, e on the superdiagonal.
  for (let k = 0; k < Math.max(nct, nrt); k++) {
    const ck = k * m;
    if (k < nct) {
      s[k] = colNorm(a, ck + k, m - k);
      if (s[k] !== 0) {
        if (a[ck + k] < 0) s[k] = -s[k];
        const inv = 1 / s[k];
        for (let i = k; i < m; i++) a[ck + i] *= inv;
        a[ck + k] += 1;
      }
      s[k] = -s[k];
    }
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += a[ck + i] * a[cj + i];
        t = -t / a[ck + k];
        for (let i = k; i < m; i++) a[cj + i] += t * a[ck + i];
      }
      e[j] = a[cj + k];
    }
    if (U && k < nct) for (let i = k; i < m; i++) U[ck + i] = a[ck + i];
    if (k < nrt) {
      e[k] = colNorm(e, k + 1, n - k - 1);
      if (e[k] !== 0) {
        if (e[k + 1] < 0) e[k] = -e[k];
        const inv = 1 / e[k];
        for (let i = k + 1; i < n; i++) e[i] *= inv;
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] !== 0) {
        work.fill(0, k + 1, m);
        for (let j = k + 1; j < n; j++) {
          const ej = e[j];
          const cj = j * m;
          for (let i = k + 1; i < m; i++) work[i] += ej * a[cj + i];
        }
        for (let j = k + 1; j < n; j++) {
          const t = -e[j] / e[k + 1];
          const cj = j * m;
          for (let i = k + 1; i < m; i++) a[cj + i] += t * work[i];
        }
      }
      if (V) for (let i = k + 1; i < n; i++) V[k * n + i] = e[i];
    }
  }

  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = a[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = a[(p - 1) * m + nrt];
  e[p - 1] = 0;

  if (U) {
    for (let j = nct; j < nu; j++) {
      U.fill(0, j * m, (j + 1) * m);
      U[j * m + j] = 1;
    }
    for (let k = nct - 1; k >= 0; k--) {
      const ck = k * m;
      if (s[k] !== 0) {
        for (let j = k + 1; j < nu; j++) {
          const cj = j * m;
          let t = 0;
          for (let i = k; i < m; i++) t += U[ck + i] * U[cj + i];
          t = -t / U[ck + k];
          for (let i = k; i < m; i++) U[cj + i] += t * U[ck + i];
        }
        for (let i = k; i < m; i++) U[ck + i] = -U[ck + i];
        U[ck + k] = 1 + U[ck + k];
        for (let i = 0; i < k - 1; i++) U[ck + i] = 0;
      } else {
        U.fill(0, ck, ck + m);
        U[ck + k] = 1;
      }
    }
  }
  if (V) {
    for (let k = n - 1; k >= 0; k--) {
      const ck = k * n;
      if (k < nrt && e[k] !== 0) {
        for (let j = k + 1; j < nu; j++) {
          const cj = j * n;
          let t = 0;
          for (let i = k + 1; i < n; i++) t += V[ck + i] * V[cj + i];
          t = -t / V[ck + k + 1];
          for (let i = k + 1; i < n; i++) V[cj + i] += t * V[ck + i];
        }
      }
      V.fill(0, ck, ck + n);
      V[ck + k] = 1;
    }
  }

  // Rotates columns j and q of a column-major matrix with `rows` rows: (xj, xq) ← (c·xj + s·xq, −s·xj + c·xq).
  const rot = (X: Float64Array, rows: number, j: number, q: number, cs: number, sn: number) => {
    const oj = j * rows;
    const oq = q * rows;
    for (let i = 0; i < rows; i++) {
      const xj = X[oj + i];
      const xq = X[oq + i];
      X[oj + i] = cs * xj + sn * xq;
      X[oq + i] = -sn * xj + cs * xq;
    }
  };
  const hyp = (x: number, y: number) => Math.sqrt(x * x + y * y);

  const pp = p - 1;
  const eps = Math.pow(2, -52);
  const tiny = Math.pow(2, -966);
  let iter = 0;
  while (p > 0) {
    let k: number;
    let kase: number;
    // Find the largest k with e[k] negligible: [k+1, p) is an unreduced block.
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      if (Math.abs(e[k]) <= tiny + eps * (Math.abs(s[k]) + Math.abs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) kase = 4;
    else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= tiny + eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    if (iter > 75 * n) throw new RftlabError(`svd: QR iteration did not converge for a ${m}×${n} matrix; check the input for NaN/Inf`);

    if (kase === 1) {
      // Deflate a negligible s[p-1].
      let f = e[p - 2];
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        const t = hyp(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * e[j - 1];
          e[j - 1] = cs * e[j - 1];
        }
        if (V) rot(V, n, j, p - 1, cs, sn);
      }
    } else if (kase === 2) {
      // Split at a negligible s[k-1].
      let f = e[k - 1];
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        const t = hyp(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * e[j];
        e[j] = cs * e[j];
        if (U) rot(U, m, j, k - 1, cs, sn);
      }
    } else if (kase === 3) {
      // One implicit-shift QR step on the block [k, p).
      const scale = Math.max(Math.abs(s[p - 1]), Math.abs(s[p - 2]), Math.abs(e[p - 2]), Math.abs(s[k]), Math.abs(e[k]));
      const sp = s[p - 1] / scale;
      const spm1 = s[p - 2] / scale;
      const epm1 = e[p - 2] / scale;
      const sk = s[k] / scale;
      const ek = e[k] / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = sp * epm1 * (sp * epm1);
      let shift = 0;
      if (b !== 0 || c !== 0) {
        shift = Math.sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      for (let j = k; j < p - 1; j++) {
        let t = hyp(f, g);
        let cs = f / t;
        let sn = g / t;
        if (j !== k) e[j - 1] = t;
        f = cs * s[j] + sn * e[j];
        e[j] = cs * e[j] - sn * s[j];
        g = sn * s[j + 1];
        s[j + 1] = cs * s[j + 1];
        if (V) rot(V, n, j, j + 1, cs, sn);
        t = hyp(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j] + sn * s[j + 1];
        s[j + 1] = -sn * e[j] + cs * s[j + 1];
        g = sn * e[j + 1];
        e[j + 1] = cs * e[j + 1];
        if (U && j < m - 1) rot(U, m, j, j + 1, cs, sn);
      }
      e[p - 2] = f;
      iter++;
    } else {
      // Converged: make s[k] positive and move it into descending order.
      if (s[k] <= 0) {
        s[k] = s[k] < 0 ? -s[k] : 0;
        if (V) for (let i = 0; i <= pp; i++) V[k * n + i] = -V[k * n + i];
      }
      while (k < pp) {
        if (s[k] >= s[k + 1]) break;
        const t = s[k];
        s[k] = s[k + 1];
        s[k + 1] = t;
        if (V && k < n - 1) swapCols(V, n, k, k + 1);
        if (U && k < m - 1) swapCols(U, m, k, k + 1);
        k++;
      }
      iter = 0;
      p--;
    }
  }
  return { s: s.subarray(0, n), U, V };
}

function swapCols(X: Float64Array, rows: number, j: number, q: number): void {
  for (let i = 0; i < rows; i++) {
    const t = X[j * rows + i];
    X[j * rows + i] = X[q * rows + i];
    X[q * rows + i] = t;
  }
}

/** Column-major [rows, r] → row-major [rows, r]. */
function toRowMajor(X: Float64Array, rows: number, r: number): Float64Array {
  const out = new Float64Array(rows * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < rows; i++) out[i * r + j] = X[j * rows + i];
  return out;
}

function svdImpl(a: Matrix, wantVectors: boolean, fn: string): SvdResult {
  checkMatrix(a, fn);
  const { rows: m, cols: n } = a;
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new RftlabError(`${fn}: matrix entry ${i} is ${a.data[i]}; SVD needs finite values`);
  }
  const r = Math.min(m, n);
  if (m >= n) {
    // Column-major copy of A (m×n).
    const cm = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cm[j * m + i] = a.data[i * n + j];
    const { s, U, V } = gkr(cm, m, n, wantVectors, wantVectors);
    return { s: Float64Array.from(s), u: U && toRowMajor(U, m, r), v: V && toRowMajor(V, n, r), m, n };
  }
  // m < n: the row-major data of A is the column-major storage of Aᵀ (n×m); Aᵀ = V·S·Uᵀ.
  const { s, U, V } = gkr(Float64Array.from(a.data), n, m, wantVectors, wantVectors);
  return { s: Float64Array.from(s), u: V && toRowMajor(V, m, r), v: U && toRowMajor(U, n, r), m, n };
}

/** Full (thin) SVD: singular values and left/right singular vectors, Float64 throughout. */
export function svd(a: Matrix): SvdResult {
  return svdImpl(a, true, "svd");
}

/** Singular values only (descending), ~3× cheaper than `svd`. */
export function singularValues(a: Matrix): Float64Array {
  return svdImpl(a, false, "singularValues").s;
}
