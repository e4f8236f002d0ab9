import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { intruderDimensions, scaleIntruders, resolveIntruderConfig } from "../../lib/analysis";
import { svd } from "../../lib/linalg";
import { seededNormals } from "../../lib/linalg/low-rank";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

const NAME = "model.layers.0.self_attn.q_proj.weight";

/**
 * W₀ = diag(1, 1.1, …): its singular vectors are the coordinate axes. W_ft = W₀ + 5·dir·e₀ᵀ with dir a
 * random unit vector spread over all axes, so max |cos(dir, axis)| ≈ max|dir_i| < 0.5: an intruder.
 */
function setup(d: number): { base: WeightMap; tuned: WeightMap; dir: Float64Array } {
  const w0 = new Float32Array(d * d);
  for (let i = 0; i < d; i++) w0[i * d + i] = 1 + i * 0.01;
  const x = seededNormals(d, 7);
  const nrm = Math.hypot(...x);
  const dir = x.map((v) => v / nrm);
  const wft = w0.slice();
  for (let i = 0; i < d; i++) wft[i * d + 0] += 5 * dir[i];
  const mk = (data: Float32Array): WeightMap => new Map([[NAME, { shape: [d, d], data }]]);
  return { base: mk(w0), tuned: mk(wft), dir };
}

describe("intruder dimensions", () => {
  test("full fine-tuning without new directions has no intruders", () => {
    const d = 24;
    const w0 = Float32Array.from(seededNormals(d * d, 1));
    const wft = w0.map((x, i) => x + 1e-3 * Math.sin(i));
    const m = (data: Float32Array): WeightMap => new Map([[NAME, { shape: [d, d], data }]]);
    const { rows } = intruderDimensions(m(w0), m(wft), { k: 5 });
    assert.equal(rows[0].intruders, 0);
    assert.ok(rows[0].similarities.every((s) => s > 0.9));
  });

  test("a new direction is found as an intruder; λ = 0 removes it, λ = 1 is identity", () => {
    const d = 64;
    const { base, tuned, dir } = setup(d);
    const { rows } = intruderDimensions(base, tuned, { k: 3, epsSweep: [0.3, 0.9] });
    const row = rows[0];
    assert.equal(row.intruders, 1, `similarities ${row.similarities}`);
    assert.deepEqual(row.intruderIndices, [0]);
    assert.equal(row.sweep["0.9"], 1);
    // The intruder is the top left singular vector, aligned with the injected direction (up to e_0's mix).
    const u = svd({ rows: d, cols: d, data: tuned.get(NAME)!.data }).u!;
    let c = 0;
    for (let i = 0; i < d; i++) c += u[i * d] * dir[i];
    assert.ok(Math.abs(c) > 0.9, `cos(u_0, dir) = ${c}`);
    const same = scaleIntruders(base, tuned, 1, { k: 3 });
    expectClose(same.get(NAME)!.data, tuned.get(NAME)!.data, { atol: 1e-5, what: "λ=1" });
    const removed = scaleIntruders(base, tuned, 0, { k: 3 });
    const after = intruderDimensions(base, removed, { k: 3 }).rows[0];
    assert.equal(after.intruders, 0, `after removal: ${after.similarities}`);
    assert.notEqual(tuned.get(NAME)!.data, removed.get(NAME)!.data);
  });

  test("a tall 4×2 weight (rows = out features): hand-worked similarities 1/√10 and 1, one intruder", () => {
    // W₀ = [[1,0],[0,2],[0,0],[0,0]]: left singular vectors e₁ (σ 2), e₀ (σ 1). W_ft's first column is
    // [1,0,0,3]: orthogonal columns, so its left singular vectors are [1,0,0,3]/√10 (σ √10) and e₁ (σ 2).
    const m = (data: number[]): WeightMap => new Map([[NAME, { shape: [4, 2], data: Float32Array.from(data) }]]);
    const { rows } = intruderDimensions(m([1, 0, 0, 2, 0, 0, 0, 0]), m([1, 0, 0, 2, 0, 0, 3, 0]), { k: 2, eps: 0.5 });
    expectClose(rows[0].similarities, [1 / Math.sqrt(10), 1], { atol: 1e-6, what: "similarities" });
    assert.equal(rows[0].intruders, 1);
  });

  test("similarity is against all of W₀'s singular vectors, not its top k", () => {
    // W₀ = diag(6, 5, …, 1), W_ft = diag(1, 2, …, 6): W_ft's top vectors are W₀'s bottom ones (rank ≥ k):
    // similarity 1 each, no intruder. Against W₀'s top k only they would look like intruders (similarity 0).
    const d = 6;
    const diag = (f: (i: number) => number) => Float32Array.from({ length: d * d }, (_, j) => (j % (d + 1) === 0 ? f(j / (d + 1)) : 0));
    const m = (data: Float32Array): WeightMap => new Map([[NAME, { shape: [d, d], data }]]);
    const { rows } = intruderDimensions(m(diag((i) => d - i)), m(diag((i) => i + 1)), { k: 2 });
    expectClose(rows[0].similarities, [1, 1], { atol: 1e-6, what: "similarities" });
    assert.equal(rows[0].intruders, 0);
  });

  test("config validation", () => {
    assert.throws(() => resolveIntruderConfig({ k: 0 }), /k must be an integer ≥ 1; got 0/);
    assert.throws(() => resolveIntruderConfig({ eps: 1.5 }), /\(0, 1\]; got 1.5/);
  });
});
