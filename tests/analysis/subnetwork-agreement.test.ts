import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomMasksLike, subnetworkAgreement } from "../../lib/analysis";
import type { MaskMap, WeightMap } from "../../lib/analysis";

const w = (entries: Record<string, number[]>): WeightMap =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { shape: [v.length], data: new Float32Array(v) }]));

describe("subnetwork agreement on and off the mask", () => {
  test("hand-worked: inside, outside (frozen tensors count as outside) and overall", () => {
    const full = w({ x: [1, 2, 3, 4], frozen: [7, 7] });
    const sub = w({ x: [1, 2.5, 3, 4], frozen: [7, 7] });
    const mask: MaskMap = new Map([["x", new Uint8Array([0, 1, 1, 0])]]);
    const a = subnetworkAgreement(full, sub, mask, { precision: "native", tol: 0 });
    assert.deepEqual(a.inside, { numel: 2, equal: 1, fraction: 0.5 });
    assert.deepEqual(a.outside, { numel: 4, equal: 4, fraction: 1 });
    assert.deepEqual(a.overall, { numel: 6, equal: 5, fraction: 5 / 6 });
    assert.equal(a.maskDensity, 2 / 6);
  });

  test("bf16 cast by default: a difference below bf16 spacing counts as equal", () => {
    const full = w({ x: [0.01, 0.01] });
    const sub = w({ x: [0.01 + 2e-5, 0.01 + 1e-3] });
    const a = subnetworkAgreement(full, sub, new Map([["x", new Uint8Array([1, 1])]]));
    assert.deepEqual(a.inside, { numel: 2, equal: 1, fraction: 0.5 });
    assert.ok(Number.isNaN(a.outside.fraction));
  });

  test("errors name the tensor", () => {
    const full = w({ x: [1, 2] });
    assert.throws(() => subnetworkAgreement(full, full, new Map([["x", new Uint8Array(3)]])), /mask for "x" has 3 entries, the tensor 2/);
    assert.throws(() => subnetworkAgreement(full, w({ y: [1, 2] }), new Map()), /"x" of the base weights is missing from sub/);
  });

  test("randomMasksLike: same count per tensor, other positions, seeded", () => {
    const like: MaskMap = new Map([
      ["a", Uint8Array.from({ length: 200 }, (_, i) => (i < 30 ? 1 : 0))],
      ["b", new Uint8Array(50).fill(1)],
      ["c", new Uint8Array(10)],
    ]);
    const r = randomMasksLike(like, 3);
    const ones = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
    assert.deepEqual([...r.values()].map(ones), [30, 50, 0]);
    assert.ok(ones(r.get("a")!.slice(0, 30)) < 20, "positions are not the original block");
    assert.deepEqual(randomMasksLike(like, 3).get("a"), r.get("a"));
    assert.notDeepEqual(randomMasksLike(like, 4).get("a"), r.get("a"));
  });
});
