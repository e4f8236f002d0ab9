import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { maskOverlap, updateMasks, updateSparsity, resolveSparsityConfig } from "../../lib/analysis";
import { countUpdatesBf16 } from "../../lib/analysis/sparsity";
import { countUpdates, poolCounts } from "../../lib/analysis/sparsity";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

const w = (entries: Record<string, number[]>): WeightMap =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { shape: [v.length], data: new Float32Array(v) }]));

describe("update sparsity", () => {
  test("hand-worked counts: tol compares |Δ| ≤ tol, exact zeros separately", () => {
    const c = countUpdates(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2.000001, 3.5, 4]), 1e-5);
    assert.deepEqual(c, { numel: 4, unchanged: 3, exactZero: 2, nanDelta: 0 });
  });

  test("bf16 cast hides an update below bf16 spacing (spec §1 precision effect)", () => {
    // bf16 spacing at 0.01 is 2^-14 ≈ 6.1e-5: 0.01 + 2e-5 rounds back to bf16(0.01).
    const base = w({ "model.layers.0.mlp.up_proj.weight": [0.01, 0.01] });
    const tuned = w({ "model.layers.0.mlp.up_proj.weight": [0.01 + 2e-5, 0.01 + 1e-3] });
    assert.equal(updateSparsity(base, tuned, { precision: "fp32" }).overall.unchanged, 0);
    assert.equal(updateSparsity(base, tuned, { precision: "bf16" }).overall.unchanged, 1);
  });

  test("per layer (mean sparsity) and per module (pooled) views, inputs untouched", () => {
    const base = w({
      "model.layers.0.self_attn.q_proj.weight": [0, 0, 0, 0],
      "model.layers.0.input_layernorm.weight": [1, 1],
      "model.layers.1.self_attn.q_proj.weight": [0, 0],
      "model.norm.weight": [1],
    });
    const tuned = w({
      "model.layers.0.self_attn.q_proj.weight": [1, 0, 0, 0],
      "model.layers.0.input_layernorm.weight": [1, 1],
      "model.layers.1.self_attn.q_proj.weight": [1, 1],
      "model.norm.weight": [1],
    });
    const before = Array.from(base.get("model.layers.0.self_attn.q_proj.weight")!.data);
    const rep = updateSparsity(base, tuned, { precision: "native", tol: 0 });
    assert.deepEqual(Array.from(base.get("model.layers.0.self_attn.q_proj.weight")!.data), before);
    const layers = rep.perLayer.objects() as { layer: number; meanSparsity: number; pooledSparsity: number }[];
    assert.deepEqual(
      layers.map((r) => r.layer),
      [0, 1],
    );
    expectClose(layers[0].meanSparsity, (0.75 + 1) / 2, { what: "layer 0 mean sparsity" });
    expectClose(layers[0].pooledSparsity, 5 / 6, { what: "layer 0 pooled" });
    const mods = Object.fromEntries(
      (rep.perModule.objects() as { module: string; pooledSparsity: number }[]).map((r) => [r.module, r.pooledSparsity]),
    );
    expectClose(mods.q, 3 / 6, { what: "q pooled" });
    // tol 0: the unchanged entries are the exact zeros; fractions per tensor, per layer and per module.
    expectClose(rep.rows[0].exactZeroFraction, 3 / 4, { what: "q₀ exact-zero fraction" });
    expectClose(rep.perLayer.array("exactZeroFraction") as number[], [5 / 6, 0], { what: "per-layer exact-zero fraction" });
    const byModule = rep.perModule.objects() as { module: string; exactZeroFraction: number }[];
    expectClose(byModule.find((r) => r.module === "q")!.exactZeroFraction, 3 / 6, { what: "q exact-zero fraction" });
    assert.equal(mods.norm, 1);
    assert.deepEqual([rep.overall.numel, rep.overall.unchanged], [9, 6]);
    expectClose(rep.overall.density, 3 / 9, { what: "overall density" });
  });

  test("config validation names the field", () => {
    assert.throws(() => resolveSparsityConfig({ tol: -1 }), /tol must be a finite number ≥ 0; got -1/);
    assert.throws(() => resolveSparsityConfig({ precision: "fp8" as never }), /precision must be one of/);
  });
});

describe("mask overlap", () => {
  test("hand-worked one-sided overlap, chance and Jaccard", () => {
    // I1 = {0,1,2}, I2 = {1,2,3,4} over 10 entries: |∩| = 2, |∪| = 5.
    const i1 = new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    const i2 = new Uint8Array([0, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const { rows } = maskOverlap({ a: i1, b: i2 });
    const ab = rows.find((r) => r.a === "a")!;
    const ba = rows.find((r) => r.a === "b")!;
    expectClose([ab.overlap, ab.chance, ab.jaccard], [2 / 3, 0.4, 0.4], { what: "o(a|b)" });
    expectClose([ba.overlap, ba.chance, ba.jaccard], [2 / 4, 0.3, 0.4], { what: "o(b|a)" });
  });

  test("masks from weight maps and three-way pairs", () => {
    const base = w({ x: [0, 0, 0, 0], y: [0, 0] });
    const m1 = updateMasks(base, w({ x: [1, 0, 0, 0], y: [1, 0] }), { precision: "native" });
    const m2 = updateMasks(base, w({ x: [1, 1, 0, 0], y: [0, 0] }), { precision: "native" });
    const m3 = updateMasks(base, w({ x: [0, 0, 0, 1], y: [0, 1] }), { precision: "native" });
    const { rows } = maskOverlap({ m1, m2, m3 });
    assert.equal(rows.length, 6);
    const r12 = rows.find((r) => r.a === "m1" && r.b === "m2")!;
    assert.deepEqual([r12.intersection, r12.sizeA, r12.sizeB], [1, 2, 2]);
    expectClose(r12.chance, 2 / 6, { what: "chance" });
    assert.equal(rows.find((r) => r.a === "m1" && r.b === "m3")!.overlap, 0);
    assert.throws(() => maskOverlap({ m1 }), /at least 2 masks/);
  });
});

describe("bf16 bit-pattern counting", () => {
  test("countUpdatesBf16 equals decode + countUpdates, incl. ±0, Inf and NaN", () => {
    const specials = [0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x3c23, 0x3c24, 0x3f80];
    const n = 4000;
    const a = new Uint16Array(n);
    const b = new Uint16Array(n);
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16;
    for (let i = 0; i < n; i++) {
      a[i] = i < 64 ? specials[i % 8] : rnd();
      b[i] = i < 64 ? specials[(i >> 3) % 8] : rnd() % 3 === 0 ? a[i] : a[i] + (rnd() % 5) - 2;
    }
    const decode = (x: Uint16Array) => new Float32Array(Uint32Array.from(x, (v) => v << 16).buffer);
    for (const tol of [0, 1e-5, 1e-2]) {
      assert.deepEqual(countUpdatesBf16(a, b, tol), countUpdates(decode(a), decode(b), tol), `tol ${tol}`);
    }
  });
});

test("updateSparsity: data shorter than the shape, or no tensor at all, is an error (not sparsity 1)", () => {
  const short: WeightMap = new Map([["w", { shape: [2, 2], data: new Float32Array(1) }]]);
  const full: WeightMap = new Map([["w", { shape: [2, 2], data: new Float32Array(4) }]]);
  assert.throws(() => updateSparsity(full, short), /updateSparsity: tensor "w" in tuned has 1 values for shape \[2,2\] \(4\)/);
  assert.throws(() => updateSparsity(short, full), /in base has 1 values/);
  assert.throws(() => updateSparsity(new Map(), new Map()), /updateSparsity: the base weights hold no tensor/);
});

test("NaN Δ entries are counted (a NaN on either side, ∞ − ∞), by the f32 and the bf16 counts alike", () => {
  const base = Float32Array.from([1, NaN, Infinity, 2, 0]);
  const tuned = Float32Array.from([NaN, NaN, Infinity, 2, 1]);
  assert.deepEqual(countUpdates(base, tuned, 0), { numel: 5, unchanged: 1, exactZero: 1, nanDelta: 3 });
  const bits = (x: Float32Array) => Uint16Array.from(new Uint32Array(x.buffer), (u) => u >>> 16);
  assert.deepEqual(countUpdatesBf16(bits(base), bits(tuned), 0), { numel: 5, unchanged: 1, exactZero: 1, nanDelta: 3 });
});

test("poolCounts sums every count, NaN updates included (a mutation survivor, tests/MUTATION.md)", () => {
  const a = { numel: 5, unchanged: 1, exactZero: 1, nanDelta: 3 };
  const b = { numel: 4, unchanged: 3, exactZero: 2, nanDelta: 0 };
  assert.deepEqual(poolCounts([a, b]), { numel: 9, unchanged: 4, exactZero: 3, nanDelta: 3 });
  assert.deepEqual(poolCounts([]), { numel: 0, unchanged: 0, exactZero: 0, nanDelta: 0 });
});
