import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  lowRankReconstruct,
  numericalRank,
  principalAngleCosines,
  singularSpectrum,
  singularValues,
  sliceSvd,
  svd,
  truncatedSvd,
} from "../../lib/linalg";
import { seededNormals } from "../../lib/linalg/low-rank";
import { matmulF64 } from "../../lib/linalg/low-rank";
import type { Matrix } from "../../lib/linalg";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { expectClose } from "../helpers/expect";

interface RefSvd {
  s: number[];
  u: number[][] | null;
  v: number[][] | null;
  rank: number;
}

function randomMatrix(m: number, n: number, seed: number): Matrix {
  return { rows: m, cols: n, data: Float32Array.from(seededNormals(m * n, seed)) };
}

/** Rank-r matrix plus noise of the given scale (float32). */
function lowRankPlusNoise(m: number, n: number, r: number, noise: number, seed: number): Matrix {
  const a = seededNormals(m * r, seed);
  const b = seededNormals(r * n, seed + 1);
  const e = seededNormals(m * n, seed + 2);
  const ab = matmulF64(a, b, m, r, n);
  return { rows: m, cols: n, data: Float32Array.from(ab, (x, i) => x + noise * e[i]) };
}

function reference(mats: Matrix[], vectors = true): RefSvd[] {
  return runPython<{ results: RefSvd[] }>(referenceScript("analysis-linalg.py"), {
    matrices: mats.map((a) => ({ rows: a.rows, cols: a.cols, data: Array.from(a.data) })),
    vectors,
  }).results;
}

describe("SVD against torch.linalg.svd", { skip: !torchAvailable() && "torch not available" }, () => {
  test("singular values to 1e-6 relative and subspaces via principal angles (tall, wide, square)", () => {
    // 131×70 and 70×131 span several 32-column panels with odd trailing blocks (the GEMM's ragged edges).
    const mats = [
      randomMatrix(60, 25, 1),
      randomMatrix(25, 60, 2),
      randomMatrix(80, 80, 3),
      randomMatrix(131, 70, 4),
      randomMatrix(70, 131, 5),
    ];
    const refs = reference(mats);
    mats.forEach((a, i) => {
      const r = svd(a);
      const ref = refs[i];
      const k = Math.min(a.rows, a.cols);
      expectClose(r.s, ref.s, { rtol: 1e-6, atol: 1e-9 * ref.s[0], what: `s of ${a.rows}×${a.cols}` });
      // Top-10 left/right subspaces agree: all principal-angle cosines ≈ 1.
      const top = 10;
      const mine = sliceSvd(r, top);
      const theirsU = Float64Array.from(ref.u!.flatMap((row) => row.slice(0, top)));
      const theirsV = Float64Array.from(ref.v!.flatMap((row) => row.slice(0, top)));
      expectClose(principalAngleCosines(mine.u!, theirsU, a.rows, top), new Array(top).fill(1), { atol: 1e-8, what: "cos U" });
      expectClose(principalAngleCosines(mine.v!, theirsV, a.cols, top), new Array(top).fill(1), { atol: 1e-8, what: "cos V" });
      // Reconstruction U·S·Vᵀ = A.
      expectClose(lowRankReconstruct(r, k), a.data, { atol: 1e-10, what: "reconstruction" });
    });
  });

  test("numerical rank agrees with torch.linalg.matrix_rank on low-rank + noise", () => {
    const mats = [
      lowRankPlusNoise(64, 48, 7, 1e-6, 10), // noise below tol → rank 7
      lowRankPlusNoise(48, 64, 12, 0, 20),
      lowRankPlusNoise(40, 30, 5, 1e-2, 30), // noise above tol → full rank
      randomMatrix(30, 50, 40),
      lowRankPlusNoise(150, 119, 9, 1e-6, 50), // several panels → rank 9
    ];
    const refs = reference(mats, false);
    mats.forEach((a, i) => {
      const r = numericalRank(a);
      assert.equal(r.rank, refs[i].rank, `rank of matrix ${i}: ${r.rank} vs torch ${refs[i].rank}`);
      expectClose(singularValues(a), refs[i].s, { rtol: 1e-6, atol: 1e-9 * refs[i].s[0], what: `svdvals ${i}` });
    });
    assert.deepEqual([numericalRank(mats[0]).rank, numericalRank(mats[2]).rank], [7, 30]);
  });
});

describe("SVD properties", () => {
  test("hand-worked 2×2 and rank-deficient cases", () => {
    const r = svd({ rows: 2, cols: 2, data: new Float32Array([3, 0, 0, -4]) });
    expectClose(r.s, [4, 3], { what: "s" });
    // Hand-worked spectrum of σ = [3, 2, 1]: relative [1, 2/3, 1/3], energy [9, 13, 14] / 14.
    const spec = singularSpectrum([3, 2, 1]);
    expectClose(
      spec.flatMap((r) => [r.index, r.sigma, r.relative, r.cumulativeEnergy]),
      [0, 3, 1, 9 / 14, 1, 2, 2 / 3, 13 / 14, 2, 1, 1 / 3, 1],
      { atol: 1e-15, what: "spectrum" },
    );
    const z = numericalRank({ rows: 3, cols: 3, data: new Float32Array([1, 2, 3, 2, 4, 6, 0, 0, 0]) });
    assert.deepEqual([z.rank, z.maxRank], [1, 3]);
    assert.throws(() => svd({ rows: 2, cols: 2, data: new Float32Array([1, NaN, 0, 1]) }), /entry 1 is NaN/);
    assert.throws(() => svd({ rows: 2, cols: 3, data: new Float32Array(4) }), /data.length = rows·cols/);
  });

  test("randomized truncated SVD matches the dense top-k on a decaying spectrum", () => {
    const m = 120;
    const n = 90;
    // A = U·diag(0.7^i)·Vᵀ from orthonormalised random factors.
    const u = svd({ rows: m, cols: n, data: Float32Array.from(seededNormals(m * n, 5)) }).u!;
    const v = svd({ rows: n, cols: n, data: Float32Array.from(seededNormals(n * n, 6)) }).u!;
    const s = Float64Array.from({ length: n }, (_, i) => 0.7 ** i);
    const a = { rows: m, cols: n, data: lowRankReconstruct({ s, u, v, m, n }, n) };
    const k = 8;
    const t = truncatedSvd(a, k, { seed: 3 });
    const d = sliceSvd(svd(a), k);
    expectClose(t.s, d.s, { rtol: 1e-6, what: "top-k σ" });
    expectClose(principalAngleCosines(t.u!, d.u!, m, k), new Array(k).fill(1), { atol: 1e-6, what: "top-k U subspace" });
    // σ_i = 0.7^i: relative σ_i/σ_0 = 0.7^i, cumulative energy (1 − 0.49^(i+1)) / (1 − 0.49^k) over the top k.
    const spec = singularSpectrum(d.s);
    expectClose(
      spec.map((r) => r.relative),
      Array.from({ length: k }, (_, i) => 0.7 ** i),
      { rtol: 1e-6, what: "relative" },
    );
    expectClose(
      spec.map((r) => r.cumulativeEnergy),
      Array.from({ length: k }, (_, i) => (1 - 0.49 ** (i + 1)) / (1 - 0.49 ** k)),
      { rtol: 1e-6, what: "cumulative energy" },
    );
  });
});

test("numericalRank rejects a negative or NaN tolerance", () => {
  const a: Matrix = { rows: 2, cols: 2, data: Float32Array.from([1, 0, 0, 1]) };
  assert.throws(() => numericalRank(a, -1), /numericalRank: tol must be a finite number ≥ 0 .*; got -1/);
  assert.throws(() => numericalRank(a, NaN), /got NaN/);
  assert.equal(numericalRank(a, 0.5).rank, 2);
});
