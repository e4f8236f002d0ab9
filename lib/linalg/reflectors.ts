/** Householder reflectors: generating one (dlarfg) and multiplying a sequence out (dorg2r). */
import { dotColumns } from "./dense-kernels";

/** Columns formed per pass of reflectorProduct: the block (rows×32 doubles) stays in cache while every reflector streams past. */
const BLOCK = 32;

/**
 * LAPACK dlarfg: chooses H = I − τ·w·wᵀ with w = [1; w₂] such that H·[α; x₂] = [β; 0], where α is
 * x[off] and x₂ the len−1 entries at stride `stride` after it. Overwrites α with β, x₂ with w₂; returns τ.
 */
export function householder(x: Float64Array, off: number, len: number, stride: number): number {
  const end = off + len * stride;
  let scale = 0;
  for (let i = off + stride; i < end; i += stride) scale = Math.max(scale, Math.abs(x[i]));
  if (scale === 0) return 0;
  let ss = 0;
  for (let i = off + stride; i < end; i += stride) {
    const t = x[i] / scale;
    ss += t * t;
  }
  const alpha = x[off];
  const norm = Math.hypot(alpha, scale * Math.sqrt(ss));
  const beta = alpha >= 0 ? -norm : norm;
  const inv = 1 / (alpha - beta);
  for (let i = off + stride; i < end; i += stride) x[i] *= inv;
  x[off] = beta;
  return (beta - alpha) / beta;
}

/**
 * M = H_0·H_1·…·H_{count−1}·I[:, :cols] (LAPACK dorg2r), where H_k = I − tau[k]·w·wᵀ with w[k+offset] = 1,
 * w[r] = refl[k·ld + r] for r > k+offset and 0 above. Returns M column-major [rows, cols].
 */
export function reflectorProduct(
  refl: Float64Array,
  ld: number,
  rows: number,
  count: number,
  offset: number,
  tau: Float64Array,
  cols: number,
): Float64Array {
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) q[j * rows + j] = 1;
  const t = new Float64Array(BLOCK);
  for (let j0 = 0; j0 < cols; j0 += BLOCK) {
    const j1 = Math.min(cols, j0 + BLOCK);
    // Column j is touched only by reflectors with k + offset ≤ j (the others see zeros): apply those last-to-first.
    for (let k = Math.min(count, j1 - offset) - 1; k >= 0; k--) {
      const h = k + offset;
      const tk = tau[k];
      if (tk === 0) continue;
      const js = Math.max(j0, h);
      const ro = k * ld;
      dotColumns(q, rows, h + 1, rows, js, j1, refl, ro, t, -js);
      for (let j = js; j < j1; j++) {
        const o = j * rows;
        const f = tk * (t[j - js] + q[o + h]);
        q[o + h] -= f;
        for (let r = h + 1; r < rows; r++) q[o + r] -= f * refl[ro + r];
      }
    }
  }
  return q;
}
