import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  breadcrumbsMask,
  breadcrumbsMerge,
  linesMerge,
  linesScale,
  mergeModels,
  taskArithmetic,
  tiesMerge,
  trimTopK,
  resolveMergeConfig,
} from "../../lib/analysis";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

const one = (name: string, shape: number[], v: number[]): WeightMap => new Map([[name, { shape, data: new Float32Array(v) }]]);
const get = (m: WeightMap, name = "w") => Array.from(m.get(name)!.data);

describe("merging", () => {
  test("task arithmetic: θ₀ + λ·Σ τ_t, inputs untouched", () => {
    const base = one("w", [3], [1, 1, 1]);
    const t1 = one("w", [3], [2, 1, 0]);
    const t2 = one("w", [3], [1, 3, 1]);
    expectClose(get(taskArithmetic(base, [t1, t2], 0.5)), [1.5, 2, 0.5], { what: "merge" });
    assert.deepEqual(get(base), [1, 1, 1]);
    assert.deepEqual(get(t1), [2, 1, 0]);
  });

  test("TIES by hand: trim top 50%, elect sign by sum, disjoint mean", () => {
    const base = one("w", [4], [0, 0, 0, 0]);
    // τ1 = [3, -1, 2, 0.5] → keep top 2: [3, 0, 2, 0]
    // τ2 = [-1, -2, 4, 0.1] → keep top 2: [0, -2, 4, 0]
    // τ3 = [-2, 1, -1, 3]  → keep top 2: [-2, 0, 0, 3]
    // sums: [1, -2, 6, 3] → signs [+, −, +, +]; agreeing means: [3, -2, (2+4)/2, 3]
    const t = [
      [3, -1, 2, 0.5],
      [-1, -2, 4, 0.1],
      [-2, 1, -1, 3],
    ].map((v) => one("w", [4], v));
    assert.deepEqual(Array.from(trimTopK(new Float32Array([3, -1, 2, 0.5]), 0.5)), [3, 0, 2, 0]);
    expectClose(get(tiesMerge(base, t, { density: 0.5, lambda: 1 })), [3, -2, 3, 3], { what: "ties" });
    expectClose(get(tiesMerge(base, t, { density: 0.5, lambda: 0.5 })), [1.5, -1, 1.5, 1.5], { what: "ties λ" });
  });

  test("Breadcrumbs by hand: per row drop top γ, keep next β", () => {
    // Row of 10 (γ=0.1 drops 1, β=0.3 keeps 3): |τ| order 9,8,7,6,... → keep values 8,7,6 positions.
    const tau = new Float32Array([1, -9, 2, 8, 3, -7, 4, 6, 5, 0, /* row 2 */ 10, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const m = breadcrumbsMask(tau, [2, 10], 0.1, 0.3);
    assert.deepEqual(Array.from(m.subarray(0, 10)), [0, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
    // Row 2: drop 10; keep 1 then two zeros (ties by lower index): indices 9, 1, 2.
    assert.deepEqual(Array.from(m.subarray(10)), [0, 1, 1, 0, 0, 0, 0, 0, 0, 1]);
    const base = one("w", [2, 10], new Array(20).fill(1));
    const tuned = one(
      "w",
      [2, 10],
      Array.from(tau, (x) => 1 + x),
    );
    const merged = get(breadcrumbsMerge(base, [tuned], { gamma: 0.1, beta: 0.3, lambda: 0.5 }));
    expectClose(merged.slice(0, 10), [1, 1, 1, 5, 1, -2.5, 1, 4, 1, 1], { what: "row 1" });
    expectClose(merged[19], 1.5, { what: "row 2 kept" });
  });

  test("LiNeS by hand: α + β·ℓ/(L−1) in blocks, α outside", () => {
    const base: WeightMap = new Map([
      ["model.embed_tokens.weight", { shape: [1], data: new Float32Array([0]) }],
      ["model.layers.0.mlp.up_proj.weight", { shape: [1], data: new Float32Array([0]) }],
      ["model.layers.1.mlp.up_proj.weight", { shape: [1], data: new Float32Array([0]) }],
      ["model.layers.2.mlp.up_proj.weight", { shape: [1], data: new Float32Array([0]) }],
    ]);
    const tuned: WeightMap = new Map([...base].map(([k, v]) => [k, { shape: v.shape, data: new Float32Array([2]) }]));
    const m = linesMerge(base, [tuned], { alpha: 0.2 }); // β = 0.8, L = 3
    expectClose(
      [...m.values()].map((t) => t.data[0]),
      [0.4, 0.4, 2 * 0.6, 2],
      { what: "lines" },
    );
    expectClose(linesScale("h.3.mlp.c_fc.weight", 0.1, 0.5, 5), 0.1 + (0.5 * 3) / 4, { what: "scale" });
    assert.equal(get(mergeModels(one("w", [1], [1]), [one("w", [1], [3])], { method: "lines", alpha: 0.5 }))[0], 2);
  });

  test("LiNeS multi-task by hand (the paper's λ(l) = α + β·(l−1)/(L−1), l = 1..L): Σ_t τ_t scaled per block, α outside", () => {
    // tiny-instruct's layout: 4 blocks, tied embeddings, final norm. Two tasks, α = 1/T = 0.5, β = 0.3:
    // scales 0.5, 0.6, 0.7, 0.8 for blocks 0..3 (l = 1..4), 0.5 for embed_tokens and model.norm.
    const names = [
      "model.embed_tokens.weight",
      ...[0, 1, 2, 3].map((l) => `model.layers.${l}.self_attn.q_proj.weight`),
      "model.norm.weight",
    ];
    const map = (v: number) => new Map(names.map((n) => [n, { shape: [1], data: new Float32Array([v]) }])) as WeightMap;
    const m = linesMerge(map(1), [map(2), map(4)], { alpha: 0.5, linesBeta: 0.3 }); // τ_1 + τ_2 = 1 + 3 = 4
    expectClose(
      names.map((n) => m.get(n)!.data[0]),
      [1 + 0.5 * 4, 1 + 0.5 * 4, 1 + 0.6 * 4, 1 + 0.7 * 4, 1 + 0.8 * 4, 1 + 0.5 * 4],
      { what: "lines multi-task" },
    );
  });

  test("validation and layout errors name the problem", () => {
    assert.throws(() => resolveMergeConfig({ gamma: 0.5, beta: 0.6 }), /gamma \+ beta ≤ 1/);
    assert.throws(() => taskArithmetic(one("w", [2], [0, 0]), [one("w", [1], [0])]), /shape \[1\] in tuned\[0\] but \[2\] in base/);
    assert.throws(() => taskArithmetic(one("w", [1], [0]), []), /at least one fine-tuned model/);
  });
});

test("taskArithmetic rejects λ = NaN and trimTopK a density outside [0, 1], naming the argument", () => {
  const w = (x: number): WeightMap => new Map([["a", { shape: [2], data: Float32Array.from([x, x]) }]]);
  assert.throws(() => taskArithmetic(w(0), [w(1)], NaN), /taskArithmetic: lambda \(λ\) must be a finite number; got NaN/);
  assert.throws(() => trimTopK(Float32Array.from([1, 2]), 2), /trimTopK: density must lie in \[0, 1\]/);
  assert.throws(() => trimTopK(Float32Array.from([1, 2]), NaN), /got NaN/);
});
