/**
 * SVD of an upper bidiagonal matrix by implicit-shift QR (Golub–Kahan–Reinsch as in LAPACK dbdsqr /
 * JAMA), optionally accumulating the rotations into U [m, n] and V [n, n]. The rotations of a QR
 * sweep are collected and handed over as one sweep (RotatedColumns batches and applies them in SIMD).
 */
import { RftlabError } from "../errors";
import type { RotatedColumns } from "./bidiagonal-simd";

/**
 * Overwrites s (diagonal, length n) with the singular values of B = diag(s) + superdiag(e) in
 * descending order and e with zeros; B = Ub·diag(s)·Vbᵀ and U ← U·Ub, V ← V·Vb when given.
 */
export function bidiagonalQr(s: Float64Array, e: Float64Array, n: number, u: RotatedColumns | null, v: RotatedColumns | null): void {
  const hyp = (x: number, y: number) => Math.sqrt(x * x + y * y);
  const csU = new Float64Array(n);
  const snU = new Float64Array(n);
  const csV = new Float64Array(n);
  const snV = new Float64Array(n);
  let p = n;
  const eps = 2 ** -52;
  const tiny = 2 ** -966;
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
    if (iter > 75 * n)
      throw new RftlabError(`svd: QR iteration did not converge for a bidiagonal of order ${n}; check the input for NaN/Inf`);

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
        if (v) v.rotate(j, p - 1, cs, sn);
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
        if (u) u.rotate(j, k - 1, cs, sn);
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
        csV[j - k] = cs;
        snV[j - k] = sn;
        t = hyp(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j] + sn * s[j + 1];
        s[j + 1] = -sn * e[j] + cs * s[j + 1];
        g = sn * e[j + 1];
        e[j + 1] = cs * e[j + 1];
        csU[j - k] = cs;
        snU[j - k] = sn;
      }
      e[p - 2] = f;
      if (v) v.rotateSweep(k, p - 1 - k, csV, snV);
      if (u) u.rotateSweep(k, p - 1 - k, csU, snU);
      iter++;
    } else {
      // Converged: make s[k] non-negative (V's column k flips with it; no later rotation touches it).
      if (s[k] <= 0) {
        s[k] = s[k] < 0 ? -s[k] : 0;
        if (v) v.negate(k);
      }
      iter = 0;
      p--;
    }
  }
  // Descending order (stable), applied to U and V's columns when they are read out.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[j] - s[i]);
  const sorted = order.map((i) => s[i]);
  s.set(sorted);
  u?.permute(order);
  v?.permute(order);
}
