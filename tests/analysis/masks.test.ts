import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  graft,
  graftMaskFromScores,
  graftTopSMask,
  maskDensity,
  principalMaskOf,
  principalMasks,
  randomMask,
  roundGraftMask,
  subnetworkMasks,
  topKMask,
  resolvePrincipalMaskConfig,
} from "../../lib/analysis";
import { matmulF64 } from "../../lib/linalg/low-rank";
import { seededNormals } from "../../lib/linalg/low-rank";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

describe("masks", () => {
  test("topKMask keeps exactly k largest |x|, ties by lower index", () => {
    assert.deepEqual(Array.from(topKMask([1, -5, 3, 3, 0], 2)), [0, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(topKMask([2, 2, 2], 2)), [1, 1, 0]);
    assert.equal(
      randomMask(100, 17, 4).reduce((a, b) => a + b, 0),
      17,
    );
  });

  test("LIFT principal mask: k = (m+n)·r; equals the magnitude mask on an exactly rank-r matrix", () => {
    const m = 20;
    const n = 12;
    const r = 2;
    const data = Float32Array.from(matmulF64(seededNormals(m * r, 1), seededNormals(r * n, 2), m, r, n));
    const w = { shape: [m, n], data };
    const p = principalMaskOf(w, { rank: r, loraRank: 1, randomized: false });
    assert.equal(
      p.reduce((a, b) => a + b, 0),
      m + n,
    );
    assert.deepEqual(Array.from(p), Array.from(principalMaskOf(w, { rank: r, loraRank: 1, method: "magnitude" })));
    // Randomized rank-r reconstruction of an exactly rank-r matrix is exact too.
    assert.deepEqual(Array.from(principalMaskOf(w, { rank: r, loraRank: 1, randomized: true })), Array.from(p));
    // A rank-1 approximation selects a different set on this rank-2 matrix.
    assert.notDeepEqual(Array.from(principalMaskOf(w, { rank: 1, loraRank: 1, randomized: false })), Array.from(p));
    assert.throws(() => resolvePrincipalMaskConfig({ rank: 0 }), /rank must be an integer ≥ 1; got 0/);
  });

  test("principalMasks skips head, embeddings, norms and biases", () => {
    const t = (shape: number[]) => ({
      shape,
      data: Float32Array.from(
        seededNormals(
          shape.reduce((a, b) => a * b, 1),
          3,
        ),
      ),
    });
    const w: WeightMap = new Map([
      ["model.embed_tokens.weight", t([10, 4])],
      ["model.layers.0.self_attn.q_proj.weight", t([4, 4])],
      ["model.layers.0.self_attn.q_proj.bias", t([4])],
      ["model.layers.0.input_layernorm.weight", t([4])],
      ["lm_head.weight", t([10, 4])],
    ]);
    assert.deepEqual([...principalMasks(w, { rank: 1, loraRank: 1 }).keys()], ["model.layers.0.self_attn.q_proj.weight"]);
  });

  test("subnetwork and grafting masks by hand", () => {
    const base: WeightMap = new Map([
      ["a", { shape: [4], data: new Float32Array([0, 0, 0, 0]) }],
      ["b", { shape: [2], data: new Float32Array([1, 1]) }],
    ]);
    const tuned: WeightMap = new Map([
      ["a", { shape: [4], data: new Float32Array([0.5, 0, -3, 0]) }],
      ["b", { shape: [2], data: new Float32Array([1, 3]) }],
    ]);
    const sub = subnetworkMasks(base, tuned);
    assert.deepEqual(
      [Array.from(sub.get("a")!), Array.from(sub.get("b")!)],
      [
        [1, 0, 1, 0],
        [0, 1],
      ],
    );
    expectClose(maskDensity(sub), 3 / 6, { what: "density" });
    const top2 = graftTopSMask(base, tuned, 2);
    assert.deepEqual(
      [Array.from(top2.get("a")!), Array.from(top2.get("b")!)],
      [
        [0, 0, 1, 0],
        [0, 1],
      ],
    );
    const g = graft(base, tuned, top2);
    assert.deepEqual(
      [Array.from(g.get("a")!.data), Array.from(g.get("b")!.data)],
      [
        [0, 0, -3, 0],
        [1, 3],
      ],
    );
    assert.deepEqual(Array.from(base.get("a")!.data), [0, 0, 0, 0]);
  });

  test("learned-mask parametrisation γ = γ_base + (1−2γ_base)·σ(S − b) and rounding", () => {
    const gamma = graftMaskFromScores([0, 0, 10, 20], [1, 0, 0, 1], 10);
    const sig0 = 1 / (1 + Math.exp(10));
    expectClose(gamma, [1 - sig0, sig0, 0.5, 1 - 1 / (1 + Math.exp(-10))], { atol: 1e-7, what: "γ" });
    assert.deepEqual(Array.from(roundGraftMask(gamma)), [1, 0, 1, 0]);
  });
});
