import { describe, test } from "node:test";
import { lowRankReconstruct, sliceSvd, svd } from "../../lib/linalg";
import { seededNormals } from "../../lib/linalg/low-rank";
import { householder, reflectorProduct } from "../../lib/linalg/reflectors";
import type { Matrix } from "../../lib/linalg";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";

/**
 * Unblocked reference: M = H_0·…·H_{count−1}·I[:, :cols] with each H_k = I − τ_k·w·wᵀ applied densely, last first
 * (the definition the blocked WY product must reproduce).
 */
function denseProduct(refl: Float64Array, ld: number, rows: number, count: number, offset: number, tau: Float64Array, cols: number) {
  const m = Array.from({ length: rows }, (_, r) => Float64Array.from({ length: cols }, (_, j) => (r === j ? 1 : 0)));
  for (let k = count - 1; k >= 0; k--) {
    const h = k + offset;
    const w = Float64Array.from({ length: rows }, (_, r) => (r < h ? 0 : r === h ? 1 : refl[k * ld + r]));
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += w[r] * m[r][j];
      for (let r = 0; r < rows; r++) m[r][j] -= tau[k] * s * w[r];
    }
  }
  // column-major, as reflectorProduct returns it
  return Float64Array.from({ length: rows * cols }, (_, i) => m[i % rows][Math.floor(i / rows)]);
}

/** Reflectors from Householder QR of a random rows×count block (column k below row k+offset), as bidiagonalisation stores them. */
function randomReflectors(rows: number, count: number, offset: number, seed: number) {
  const refl = Float64Array.from(seededNormals(rows * count, seed));
  const tau = new Float64Array(count);
  for (let k = 0; k < count; k++) if (k + offset < rows) tau[k] = householder(refl, k * rows + k + offset, rows - k - offset, 1);
  return { refl, tau };
}

describe("blocked (WY) reflector product", () => {
  // Block size 32: one partial block, exact multiples, several blocks with a ragged last one; offset 1 as P uses.
  const cases: [rows: number, cols: number, count: number, offset: number][] = [
    [7, 5, 5, 0],
    [70, 37, 37, 0],
    [64, 64, 64, 0],
    [131, 70, 70, 0],
    [45, 45, 44, 1],
    [97, 97, 96, 1],
    [33, 33, 33, 0],
  ];
  for (const [rows, cols, count, offset] of cases) {
    test(`${rows}×${cols}, ${count} reflectors, offset ${offset}: equals the one-at-a-time product and is orthonormal`, () => {
      const { refl, tau } = randomReflectors(rows, count, offset, rows + cols);
      const got = reflectorProduct(refl, rows, rows, count, offset, tau, cols);
      expectClose(got, denseProduct(refl, rows, rows, count, offset, tau, cols), { atol: 1e-13, what: "M" });
      const gram = new Float64Array(cols * cols);
      for (let a = 0; a < cols; a++)
        for (let b = 0; b < cols; b++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += got[a * rows + r] * got[b * rows + r];
          gram[a * cols + b] = s;
        }
      expectClose(
        gram,
        Float64Array.from({ length: cols * cols }, (_, i) => (i % (cols + 1) === 0 ? 1 : 0)),
        { atol: 1e-13, what: "MᵀM" },
      );
    });
  }
});

describe("SVD on sizes around the WY block against torch.linalg.svd", { skip: !torchAvailable() && "torch not available" }, () => {
  test("σ, all left/right singular subspaces and reconstruction (odd, tall, wide, one past a block)", () => {
    const mats: Matrix[] = [
      [33, 33],
      [97, 33],
      [33, 97],
      [65, 64],
      [150, 99],
      [99, 150],
    ].map(([m, n], i) => ({ rows: m, cols: n, data: Float32Array.from(seededNormals(m * n, 100 + i)) }));
    const refs = runPython<{ results: { s: number[]; u: number[][]; v: number[][] }[] }>(referenceScript("analysis-linalg.py"), {
      matrices: mats.map((a) => ({ rows: a.rows, cols: a.cols, data: Array.from(a.data) })),
      vectors: true,
    }).results;
    mats.forEach((a, i) => {
      const r = svd(a);
      const k = Math.min(a.rows, a.cols);
      expectClose(r.s, refs[i].s, { rtol: 1e-6, atol: 1e-9 * refs[i].s[0], what: `s of ${a.rows}×${a.cols}` });
      // Every singular pair: random Gaussian spectra are well separated, so each column matches up to sign.
      const top = sliceSvd(r, k);
      const cosines = (mine: Float64Array, theirs: number[][], rows: number) =>
        Array.from({ length: k }, (_, c) => {
          let s = 0;
          for (let q = 0; q < rows; q++) s += mine[q * k + c] * theirs[q][c];
          return Math.abs(s);
        });
      expectClose(cosines(top.u!, refs[i].u, a.rows), new Array(k).fill(1), { atol: 1e-6, what: `|cos| U columns ${a.rows}×${a.cols}` });
      expectClose(cosines(top.v!, refs[i].v, a.cols), new Array(k).fill(1), { atol: 1e-6, what: `|cos| V columns ${a.rows}×${a.cols}` });
      expectClose(lowRankReconstruct(r, k), a.data, { atol: 1e-10, what: "reconstruction" });
    });
  });
});
