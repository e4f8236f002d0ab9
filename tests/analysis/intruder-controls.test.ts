import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { directionEnergy, intruderSelections, randomNonIntruderSelections, scaleDirections, scaleUpdate } from "../../lib/analysis";
import type { WeightMap } from "../../lib/analysis";
import { svd } from "../../lib/linalg";
import { seededNormals } from "../../lib/linalg/low-rank";
import { expectClose } from "../helpers/expect";

const NAME = "model.layers.0.mlp.up_proj.weight";

/**
 * W₀ = diag(1, 1.01, …) (singular vectors = coordinate axes). W_ft = W₀ + 5·d₁e₀ᵀ + 4·d₂e₁ᵀ with d₁ ⊥ d₂
 * random unit vectors spread over all axes: the top two left singular vectors of W_ft are intruders,
 * the next ones are (near) coordinate axes, i.e. not intruders.
 */
function planted(d = 64): { base: WeightMap; tuned: WeightMap } {
  const x = seededNormals(d, 7);
  const y = seededNormals(d, 8);
  const unit = (v: Float64Array) => v.map((a) => a / Math.hypot(...v));
  const d1 = unit(x);
  const dot = y.reduce((s, a, i) => s + a * d1[i], 0);
  const d2 = unit(y.map((a, i) => a - dot * d1[i]));
  const w0 = new Float32Array(d * d);
  for (let i = 0; i < d; i++) w0[i * d + i] = 1 + i * 0.01;
  const wft = w0.slice();
  for (let i = 0; i < d; i++) {
    wft[i * d] += 5 * d1[i];
    wft[i * d + 1] += 4 * d2[i];
  }
  const mk = (data: Float32Array): WeightMap => new Map([[NAME, { shape: [d, d], data }]]);
  return { base: mk(w0), tuned: mk(wft) };
}

const sortedDesc = (s: ArrayLike<number>) => Array.from(s).sort((a, b) => b - a);

describe("intruder controls", () => {
  test("planted intruders are found; random non-intruder picks: same count, never an intruder, seeded", () => {
    const { base, tuned } = planted();
    const sel = intruderSelections(base, tuned, { k: 5 });
    assert.deepEqual(sel[0].indices, [0, 1], `similarities ${sel[0].row.similarities}`);
    const seen = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const picks = randomNonIntruderSelections(sel, seed)[0].indices;
      assert.equal(picks.length, 2);
      assert.ok(
        picks.every((i) => i >= 2 && i < 5),
        `picks ${picks}`,
      );
      seen.add(picks.join(","));
    }
    assert.ok(seen.size > 1, "different seeds pick different directions");
    assert.deepEqual(randomNonIntruderSelections(sel, 3)[0].indices, randomNonIntruderSelections(sel, 3)[0].indices);
    assert.deepEqual(sel[0].indices, [0, 1], "the intruder selection is not changed");
  });

  test("scaling the control directions: λ = 0 zeroes exactly their singular values, λ = 1 is W_ft, intruders stay", () => {
    const { base, tuned } = planted();
    const sel = intruderSelections(base, tuned, { k: 5 });
    const ctl = randomNonIntruderSelections(sel, 1);
    const s = sel[0].tunedSvd.s;
    const removed = scaleDirections(tuned, ctl, 0);
    const expected = sortedDesc(Array.from(s, (x, i) => (ctl[0].indices.includes(i) ? 0 : x)));
    const d = tuned.get(NAME)!.shape[0];
    expectClose(svd({ rows: d, cols: d, data: removed.get(NAME)!.data }).s, expected, { atol: 1e-5, what: "σ after removing the picks" });
    assert.equal(intruderSelections(base, removed, { k: 5 })[0].indices.length, 2, "the intruders are still there");
    expectClose(scaleDirections(tuned, ctl, 1).get(NAME)!.data, tuned.get(NAME)!.data, { atol: 1e-6, what: "λ = 1" });
    // λ = 2 doubles the picked singular values.
    const doubled = svd({ rows: d, cols: d, data: scaleDirections(tuned, ctl, 2).get(NAME)!.data }).s;
    expectClose(doubled, sortedDesc(Array.from(s, (x, i) => (ctl[0].indices.includes(i) ? 2 * x : x))), { atol: 1e-5, what: "σ at λ = 2" });
  });

  test("energy of intruders vs control picks; fewer candidates than intruders gives fewer picks", () => {
    const { base, tuned } = planted();
    const sel = intruderSelections(base, tuned, { k: 5 });
    const [intr] = directionEnergy(sel);
    const s = sel[0].tunedSvd.s;
    const total = s.reduce((a, x) => a + x * x, 0);
    expectClose([intr.directions, intr.energy, intr.energyShare], [2, s[0] ** 2 + s[1] ** 2, (s[0] ** 2 + s[1] ** 2) / total], {
      rtol: 1e-12,
      what: "intruder energy",
    });
    assert.ok(directionEnergy(randomNonIntruderSelections(sel, 0))[0].energy < intr.energy);
    const k2 = intruderSelections(base, tuned, { k: 2 });
    assert.deepEqual(randomNonIntruderSelections(k2, 0)[0].indices, []);
  });

  test("scaleUpdate: W₀ + λ·ΔW on the named tensors, the others keep W_ft; inputs untouched", () => {
    const mk = (x: number[], y: number[]): WeightMap =>
      new Map([
        ["x", { shape: [2], data: new Float32Array(x) }],
        ["y", { shape: [1], data: new Float32Array(y) }],
      ]);
    const base = mk([1, 2], [0]);
    const tuned = mk([3, 2], [1]);
    const all = scaleUpdate(base, tuned, 0.5);
    assert.deepEqual([Array.from(all.get("x")!.data), Array.from(all.get("y")!.data)], [[2, 2], [0.5]]);
    const onlyX = scaleUpdate(base, tuned, 0.5, ["x"]);
    assert.deepEqual([Array.from(onlyX.get("x")!.data), Array.from(onlyX.get("y")!.data)], [[2, 2], [1]]);
    assert.notEqual(onlyX.get("y")!.data, tuned.get("y")!.data);
    assert.deepEqual(Array.from(tuned.get("x")!.data), [3, 2]);
    assert.throws(() => scaleUpdate(base, tuned, NaN), /lambda must be finite; got NaN/);
    assert.throws(
      () => scaleDirections(base, [{ ...intruderSelections(planted().base, planted().tuned, { k: 3 })[0] }], 0),
      /"model.layers.0.mlp.up_proj.weight" of the selections is missing/,
    );
  });
});
