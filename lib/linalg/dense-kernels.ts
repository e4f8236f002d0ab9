/**
 * Float64 kernels for the SVD in plain JS on column-major arrays (element (r, j) at a[j·lda + r]):
 * matrix-vector products eight columns per pass (one load of the shared vector feeds eight
 * multiply-adds). bidiagonal-simd.ts has their wasm versions for the long passes.
 */

/** y[yOff + j] = Σ_{r ∈ [r0, r1)} a[j·lda + r]·x[xOff + r] for j ∈ [c0, c1) (Aᵀx over a block). */
export function dotColumns(
  a: Float64Array,
  lda: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  x: Float64Array,
  xOff: number,
  y: Float64Array,
  yOff: number,
): void {
  let j = c0;
  // Eight independent sums: four would wait on the add latency rather than on memory.
  for (; j + 7 < c1; j += 8) {
    const o0 = j * lda;
    const o1 = o0 + lda;
    const o2 = o1 + lda;
    const o3 = o2 + lda;
    const o4 = o3 + lda;
    const o5 = o4 + lda;
    const o6 = o5 + lda;
    const o7 = o6 + lda;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    for (let r = r0; r < r1; r++) {
      const w = x[xOff + r];
      s0 += a[o0 + r] * w;
      s1 += a[o1 + r] * w;
      s2 += a[o2 + r] * w;
      s3 += a[o3 + r] * w;
      s4 += a[o4 + r] * w;
      s5 += a[o5 + r] * w;
      s6 += a[o6 + r] * w;
      s7 += a[o7 + r] * w;
    }
    y[yOff + j] = s0;
    y[yOff + j + 1] = s1;
    y[yOff + j + 2] = s2;
    y[yOff + j + 3] = s3;
    y[yOff + j + 4] = s4;
    y[yOff + j + 5] = s5;
    y[yOff + j + 6] = s6;
    y[yOff + j + 7] = s7;
  }
  for (; j < c1; j++) {
    const o = j * lda;
    let s = 0;
    for (let r = r0; r < r1; r++) s += a[o + r] * x[xOff + r];
    y[yOff + j] = s;
  }
}

/** y[yOff + r] += Σ_{j ∈ [c0, c1)} a[j·lda + r]·v[vOff + j] for r ∈ [r0, r1) (Av over a block). */
export function axpyColumns(
  a: Float64Array,
  lda: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  v: Float64Array,
  vOff: number,
  y: Float64Array,
  yOff: number,
): void {
  let j = c0;
  for (; j + 7 < c1; j += 8) {
    const o0 = j * lda;
    const o1 = o0 + lda;
    const o2 = o1 + lda;
    const o3 = o2 + lda;
    const o4 = o3 + lda;
    const o5 = o4 + lda;
    const o6 = o5 + lda;
    const o7 = o6 + lda;
    const vj = vOff + j;
    const v0 = v[vj],
      v1 = v[vj + 1],
      v2 = v[vj + 2],
      v3 = v[vj + 3],
      v4 = v[vj + 4],
      v5 = v[vj + 5],
      v6 = v[vj + 6],
      v7 = v[vj + 7];
    for (let r = r0; r < r1; r++) {
      y[yOff + r] +=
        a[o0 + r] * v0 +
        a[o1 + r] * v1 +
        a[o2 + r] * v2 +
        a[o3 + r] * v3 +
        a[o4 + r] * v4 +
        a[o5 + r] * v5 +
        a[o6 + r] * v6 +
        a[o7 + r] * v7;
    }
  }
  for (; j < c1; j++) {
    const o = j * lda;
    const vj = v[vOff + j];
    for (let r = r0; r < r1; r++) y[yOff + r] += a[o + r] * vj;
  }
}
