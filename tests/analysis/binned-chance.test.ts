import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { binCounts, binnedChance, magnitudeBins, maskOverlap, resolveBinnedChanceConfig, updateMaskOf } from "../../lib/analysis";
import type { MaskMap, WeightMap } from "../../lib/analysis";
import { createRng } from "../../lib/base/random";
import { expectClose } from "../helpers/expect";

describe("magnitude-binned chance overlap", () => {
  test("hand-worked: 2 pooled quantile bins of |θ₀|", () => {
    // |θ₀| = 0.1..0.4 | 1..4: edge = sorted[4] = 1, bins {0..3}, {4..7}.
    // I1 = {0,1,4}: 2 in bin 0, 1 in bin 1. I2 = {0,1,2,7}: density 3/4 in bin 0, 1/4 in bin 1.
    // chance_b(I1|I2) = (2·3/4 + 1·1/4) / 3 = 7/12; chance_b(I2|I1) = (3·2/4 + 1·1/4) / 4 = 7/16.
    const mag = new Float32Array([0.1, -0.2, 0.3, 0.4, 1, -2, 3, 4]);
    const i1 = new Uint8Array([1, 1, 0, 0, 1, 0, 0, 0]);
    const i2 = new Uint8Array([1, 1, 1, 0, 0, 0, 0, 1]);
    const { rows } = maskOverlap({ i1, i2 }, { magnitudes: mag, bins: 2 });
    const r12 = rows.find((r) => r.a === "i1")!;
    const r21 = rows.find((r) => r.a === "i2")!;
    expectClose([r12.overlap, r12.chance, r12.binnedChance], [2 / 3, 4 / 8, 7 / 12], { what: "o(I1|I2)" });
    expectClose([r21.overlap, r21.chance, r21.binnedChance], [2 / 4, 3 / 8, 7 / 16], { what: "o(I2|I1)" });
    assert.ok(Number.isNaN(maskOverlap({ i1, i2 }).rows[0].binnedChance), "no magnitudes → NaN");
  });

  test("one pooled bin, or all-equal magnitudes, give the plain chance", () => {
    const rng = createRng(3);
    const a = Uint8Array.from({ length: 50 }, () => (rng.next() < 0.3 ? 1 : 0));
    const b = Uint8Array.from({ length: 50 }, () => (rng.next() < 0.6 ? 1 : 0));
    const mag = Float32Array.from({ length: 50 }, () => rng.normal());
    for (const [m, bins] of [
      [mag, 1],
      [new Float32Array(50).fill(1), 20],
    ] as const) {
      const r = maskOverlap({ a, b }, { magnitudes: m, bins, binning: "pooled" }).rows[0];
      expectClose(r.binnedChance, r.chance, { atol: 1e-12, what: `bins ${bins}` });
    }
    // Ties share a bin: 20 requested, 1 non-empty.
    const bins = magnitudeBins([new Float32Array(50).fill(1)], { bins: 20 });
    assert.deepEqual(
      [...bins.sizes].filter((s) => s > 0),
      [50],
    );
  });

  test("per tensor vs pooled on a MaskMap (hand-worked)", () => {
    const theta0: WeightMap = new Map([
      ["x", { shape: [2], data: new Float32Array([0.1, 0.2]) }],
      ["y", { shape: [2], data: new Float32Array([5, 6]) }],
    ]);
    const i1: MaskMap = new Map([
      ["x", new Uint8Array([1, 1])],
      ["y", new Uint8Array([0, 1])],
    ]);
    const i2: MaskMap = new Map([
      ["x", new Uint8Array([1, 0])],
      ["y", new Uint8Array([0, 0])],
    ]);
    // Per tensor (1 bin each): (2·1/2 + 1·0/2) / 3 = 1/3. Pooled, 1 bin: density of I2 = 1/4.
    const perTensor = maskOverlap({ i1, i2 }, { magnitudes: theta0, bins: 1 }).rows[0];
    const pooled = maskOverlap({ i1, i2 }, { magnitudes: theta0, bins: 1, binning: "pooled" }).rows[0];
    expectClose([perTensor.binnedChance, pooled.binnedChance, pooled.chance], [1 / 3, 1 / 4, 1 / 4], { what: "binned chance" });
    assert.throws(
      () => maskOverlap({ i1, i2 }, { magnitudes: new Map([["x", theta0.get("x")!]]) }),
      /"y" of the masks is missing from magnitudes/,
    );
    assert.throws(() => binCounts([new Uint8Array(3)], magnitudeBins([new Float32Array(2)])), /part 0 has 3 mask entries but 2 magnitudes/);
  });

  test("two independent random updates in bf16 overlap at the binned chance, above the plain chance", () => {
    // |θ₀| log-uniform over 3 decades, two independent Gaussian updates of the same size: whether an entry
    // registers after the bf16 cast depends on |θ₀|, so the masks are dependent through magnitude only.
    const n = 40000;
    const rng = createRng(11);
    const theta0 = Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * 10 ** (-3 + 3 * rng.next()));
    const update = () => Float32Array.from(theta0, (w) => w + 2e-4 * rng.normal());
    const a = updateMaskOf(theta0, update());
    const b = updateMaskOf(theta0, update());
    const r = maskOverlap({ a, b }, { magnitudes: theta0 }).rows[0];
    assert.ok(r.overlap > r.chance + 0.1, `overlap ${r.overlap} should exceed the plain chance ${r.chance}`);
    expectClose(r.binnedChance, r.overlap, { atol: 0.02, what: "binned chance vs overlap of independent updates" });
  });

  test("binnedChance of an empty mask is 0; config validation", () => {
    assert.equal(binnedChance(new Float64Array(2), Float64Array.from([1, 1]), Float64Array.from([2, 2])), 0);
    assert.throws(() => resolveBinnedChanceConfig({ bins: 0 }), /bins must be an integer ≥ 1; got 0/);
    assert.throws(() => resolveBinnedChanceConfig({ binning: "layer" as never }), /"tensor" or "pooled"; got "layer"/);
  });
});
