/**
 * Dense SVD in Float64, the algorithm of LAPACK's dgesvd: blocked Householder bidiagonalisation
 * (bidiagonalize.ts), Q and P multiplied out (reflectors.ts), implicit-shift QR on the bidiagonal
 * (bidiagonal-qr.ts); the hot loops run as WebAssembly SIMD (bidiagonal-simd.ts). Inputs are
 * row-major; the work is column-major so inner loops are contiguous.
 */
import { RftlabError } from "../errors";
import { bidiagonalize } from "./bidiagonalize";
import { bidiagonalQr } from "./bidiagonal-qr";
import { RotatedColumns } from "./bidiagonal-simd";
import { reflectorProduct } from "./reflectors";

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
    throw new RftlabError(
      `${fn}: matrix must be rows×cols with data.length = rows·cols; got ${a.rows}×${a.cols} with ${a.data.length} values`,
    );
  }
}

/**
 * SVD of a column-major m×n array `a` (m ≥ n, overwritten): returns s (length n, descending) and,
 * when wanted, row-major U [m, n] and V [n, n].
 */
function svdColumnMajor(
  a: Float64Array,
  m: number,
  n: number,
  wantVectors: boolean,
): { s: Float64Array; u: Float64Array | null; v: Float64Array | null } {
  const { d, e, tauq, taup } = bidiagonalize(a, m, n);
  let u: RotatedColumns | null = null;
  let v: RotatedColumns | null = null;
  if (wantVectors) {
    u = new RotatedColumns(reflectorProduct(a, m, m, n, 0, tauq, n), m, n);
    // P's reflectors sit in the rows of `a`; copy them into columns so they stream contiguously.
    const rows = new Float64Array(n * n);
    for (let k = 0; k + 2 < n; k++) for (let j = k + 2; j < n; j++) rows[k * n + j] = a[j * m + k];
    v = new RotatedColumns(reflectorProduct(rows, n, n, Math.max(0, n - 1), 1, taup, n), n, n);
  }
  bidiagonalQr(d, e, n, u, v);
  return { s: d, u: u && u.toRowMajor(), v: v && v.toRowMajor() };
}

function svdImpl(a: Matrix, wantVectors: boolean, fn: string): SvdResult {
  checkMatrix(a, fn);
  const { rows: m, cols: n } = a;
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new RftlabError(`${fn}: matrix entry ${i} is ${a.data[i]}; SVD needs finite values`);
  }
  if (m >= n) {
    // Column-major copy of A (m×n).
    const cm = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cm[j * m + i] = a.data[i * n + j];
    const { s, u, v } = svdColumnMajor(cm, m, n, wantVectors);
    return { s, u, v, m, n };
  }
  // m < n: the row-major data of A is the column-major storage of Aᵀ (n×m); Aᵀ = V·S·Uᵀ.
  const { s, u, v } = svdColumnMajor(Float64Array.from(a.data), n, m, wantVectors);
  return { s, u: v, v: u, m, n };
}

/** Full (thin) SVD: singular values and left/right singular vectors, Float64 throughout. */
export function svd(a: Matrix): SvdResult {
  return svdImpl(a, true, "svd");
}

/** Singular values only (descending): bidiagonalisation plus an O(n²) QR, without forming U, V. */
export function singularValues(a: Matrix): Float64Array {
  return svdImpl(a, false, "singularValues").s;
}
