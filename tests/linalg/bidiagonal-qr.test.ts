import assert from "node:assert/strict";
import { test } from "node:test";
import { svd } from "../../lib/linalg";
import { bidiagonalQr } from "../../lib/linalg/bidiagonal-qr";
import { RotatedColumns } from "../../lib/linalg/bidiagonal-simd";
import { expectClose } from "../helpers/expect";

/** Runs the QR on B = diag(s) + superdiag(e) with U = V = I; returns σ and B's rebuild U·diag(σ)·Vᵀ. */
function qr(s0: number[], e0: number[]) {
  const n = s0.length;
  const identity = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const u = new RotatedColumns(identity, n, n);
  const v = new RotatedColumns(identity, n, n);
  const s = Float64Array.from(s0);
  const e = Float64Array.from([...e0, 0]); // e[n-1] = 0, as bidiagonalize leaves it
  bidiagonalQr(s, e, n, u, v);
  const U = u.toRowMajor();
  const V = v.toRowMajor();
  const rebuilt = Array.from({ length: n * n }, (_, ij) => {
    const [i, j] = [Math.floor(ij / n), ij % n];
    let sum = 0;
    for (let c = 0; c < n; c++) sum += U[i * n + c] * s[c] * V[j * n + c];
    return sum;
  });
  const gram = (X: Float64Array) =>
    Array.from({ length: n * n }, (_, ij) => {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += X[r * n + Math.floor(ij / n)] * X[r * n + (ij % n)];
      return sum;
    });
  const bidiagonal = Array.from({ length: n * n }, (_, ij) => {
    const [i, j] = [Math.floor(ij / n), ij % n];
    return j === i ? s0[i] : j === i + 1 ? e0[i] : 0;
  });
  return { s: Array.from(s), e: Array.from(e), rebuilt, bidiagonal, uGram: gram(U), vGram: gram(V), identity };
}

// B = U·diag(σ)·Vᵀ with U, V orthogonal and σ ≥ 0 descending is the SVD, whatever path the QR took.
function assertSvd(r: ReturnType<typeof qr>, what: string) {
  expectClose(r.rebuilt, r.bidiagonal, { atol: 1e-13, what: `${what}: U·diag(σ)·Vᵀ = B` });
  expectClose(r.uGram, r.identity, { atol: 1e-14, what: `${what}: UᵀU = I` });
  expectClose(r.vGram, r.identity, { atol: 1e-14, what: `${what}: VᵀV = I` });
  assert.ok(
    r.s.every((x, i) => x >= 0 && (i === 0 || x <= r.s[i - 1])),
    `${what}: σ non-negative, descending: ${r.s}`,
  );
  assert.ok(
    r.e.every((x) => x === 0),
    `${what}: e zeroed: ${r.e}`,
  );
}

test("a zero last diagonal entry (deflation rotations across the block): hand-worked σ, U·diag(σ)·Vᵀ = B", () => {
  // B = [[3,1,0],[0,2,1],[0,0,0]]: B·Bᵀ = [[10,2,0],[2,5,0],[0,0,0]], σ² = (15 ± √41)/2 and 0.
  const r = qr([3, 2, 0], [1, 1]);
  expectClose(r.s, [Math.sqrt((15 + Math.sqrt(41)) / 2), Math.sqrt((15 - Math.sqrt(41)) / 2), 0], { atol: 1e-14, what: "σ" });
  assertSvd(r, "s = [3, 2, 0]");
  // Four by four, zero at the end after a longer block.
  assertSvd(qr([1, 2, 3, 0], [0.5, -1, 2]), "s = [1, 2, 3, 0]");
});

test("a zero diagonal entry inside the block (split rotations): hand-worked σ, U·diag(σ)·Vᵀ = B", () => {
  // B = [[3,1,0],[0,0,1],[0,0,2]]: B·Bᵀ = [[10,0,0],[0,1,2],[0,2,4]], σ² = 10, 5, 0.
  const r = qr([3, 0, 2], [1, 1]);
  expectClose(r.s, [Math.sqrt(10), Math.sqrt(5), 0], { atol: 1e-14, what: "σ" });
  assertSvd(r, "s = [3, 0, 2]");
  assertSvd(qr([2, 0, 1, 3], [1, -2, 0.5]), "s = [2, 0, 1, 3]");
});

test("negative and zero entries without splits: σ = |entries| sorted, U·diag(σ)·Vᵀ = B", () => {
  // Diagonal B: σ are the |s| in descending order; the signs go into V.
  const r = qr([-1, 3, -2], [0, 0]);
  expectClose(r.s, [3, 2, 1], { atol: 0, what: "σ" });
  assertSvd(r, "diagonal with signs");
  assertSvd(qr([1, -2, 3, -4, 5], [1, 1, 1, 1]), "unreduced 5×5");
});

test("deflation: a diagonal entry with |s_k| ≤ ε·(|e_k−1| + |e_k|) counts as zero, so σ_min is exactly 0", () => {
  // |s_1| = 3e-16 is below ε·(1 + 1) = 4.4e-16 but above ε·1: the criterion must sum both neighbours (JAMA,
  // LINPACK dsvdc). B is singular to working precision; the rebuild still equals B to rounding.
  const r = qr([1, 3e-16, 1], [1, 1]);
  assert.equal(r.s[2], 0);
  // With s_1 = 0: B·Bᵀ = [[2,0,0],[0,1,1],[0,1,1]], σ² = 2, 2, 0.
  expectClose(r.s.slice(0, 2), [Math.SQRT2, Math.SQRT2], { atol: 1e-14, what: "σ" });
  assertSvd(r, "s = [1, 3e-16, 1]");
});

test("svd of a single column, a single row and a 1×1: σ = ‖a‖, U·σ·Vᵀ = A, unit singular vectors", () => {
  for (const [rows, cols, data] of [
    [3, 1, [3, 0, -4]],
    [1, 3, [0, -4, 3]],
    [1, 1, [-2]],
  ] as const) {
    const r = svd({ rows, cols, data: Float64Array.from(data) });
    expectClose(r.s, [5 * (rows * cols > 1 ? 1 : 0.4)], { atol: 1e-15, what: `σ of ${rows}×${cols}` });
    expectClose(
      data.map((_, i) => r.u![Math.floor(i / cols)] * r.s[0] * r.v![i % cols]),
      data,
      { atol: 1e-15, what: `U·σ·Vᵀ of ${rows}×${cols}` },
    );
    expectClose([r.u!.reduce((a, x) => a + x * x, 0), r.v!.reduce((a, x) => a + x * x, 0)], [1, 1], { atol: 1e-15, what: "‖u‖², ‖v‖²" });
  }
});
