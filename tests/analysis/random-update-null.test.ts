import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compareToNull,
  randomUpdateNull,
  randomUpdateNullControl,
  resolveRandomUpdateNullConfig,
  updateSparsity,
} from "../../lib/analysis";
import type { WeightMap } from "../../lib/analysis";
import { createRng } from "../../lib/base/random";
import { expectClose } from "../helpers/expect";

const Q = "model.layers.0.self_attn.q_proj.weight";
const NORM = "model.layers.0.input_layernorm.weight";

/** θ₀ with log-uniform |w| (the bf16 spacing then varies across entries, as in a real model). */
function theta0(n: number, seed: number): WeightMap {
  const rng = createRng(seed);
  const q = Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * 10 ** (-3 + 2.5 * rng.next()));
  return new Map([
    [Q, { shape: [n / 50, 50], data: q }],
    [NORM, { shape: [8], data: new Float32Array(8).fill(1) }],
  ]);
}

/** θ₀ plus an update of the given RMS on the entries `where` picks (others untouched). */
function perturb(base: WeightMap, seed: number, rms: number, where: (i: number) => boolean = () => true): WeightMap {
  const rng = createRng(seed);
  const out: WeightMap = new Map();
  for (const [name, t] of base) {
    out.set(name, { shape: t.shape, data: name === NORM ? t.data.slice() : t.data.map((w, i) => (where(i) ? w + rms * rng.normal() : w)) });
  }
  return out;
}

function deltaNorm(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

describe("random-update null", () => {
  test("dense: per-tensor Frobenius norm of the real update, untouched tensors stay, inputs unchanged, seeded", () => {
    const base = theta0(1000, 1);
    const tuned = perturb(base, 2, 1e-3, (i) => i % 4 === 0);
    const before = base.get(Q)!.data.slice();
    const nul = randomUpdateNull(base, tuned, { seed: 5 });
    assert.deepEqual(base.get(Q)!.data, before);
    const real = deltaNorm(tuned.get(Q)!.data, base.get(Q)!.data);
    expectClose(deltaNorm(nul.get(Q)!.data, base.get(Q)!.data), real, { rtol: 1e-3, what: "‖Δ_null‖ vs ‖Δ_real‖" });
    assert.deepEqual(nul.get(NORM)!.data, base.get(NORM)!.data);
    // Dense: (almost) every entry moves, unlike the real update on a quarter of them.
    const moved = nul.get(Q)!.data.filter((w, i) => w !== base.get(Q)!.data[i]).length;
    assert.ok(moved > 990, `moved ${moved} of 1000`);
    assert.deepEqual(randomUpdateNull(base, tuned, { seed: 5 }).get(Q)!.data, nul.get(Q)!.data);
    assert.notDeepEqual(randomUpdateNull(base, tuned, { seed: 6 }).get(Q)!.data, nul.get(Q)!.data);
  });

  test("support: only the entries the real update changed, same norm there", () => {
    const base = theta0(1000, 1);
    const tuned = perturb(base, 2, 1e-3, (i) => i % 4 === 0);
    const nul = randomUpdateNull(base, tuned, { spread: "support", seed: 5 });
    const b = base.get(Q)!.data;
    const d = nul.get(Q)!.data;
    for (let i = 0; i < b.length; i++) if (i % 4 !== 0) assert.equal(d[i], b[i], `entry ${i} outside the support moved`);
    expectClose(deltaNorm(d, b), deltaNorm(tuned.get(Q)!.data, b), { rtol: 1e-3, what: "norm on the support" });
    assert.throws(() => resolveRandomUpdateNullConfig({ spread: "sparse" as never }), /spread must be one of dense, support; got "sparse"/);
    assert.throws(() => resolveRandomUpdateNullConfig({ seed: 0.5 }), /seed must be an integer; got 0.5/);
  });

  test("compareToNull: hand-worked summary and Monte-Carlo p-values", () => {
    const c = compareToNull(5, [4, 1, 3, 2]);
    // mean 2.5; sd √((2.25+0.25+0.25+2.25)/3) = √(5/3); quantiles (type 7): 1 + 0.075, 3 + 0.925.
    expectClose([c.nullMean, c.nullSd, c.nullLo, c.nullHi, c.z], [2.5, Math.sqrt(5 / 3), 1.075, 3.925, 2.5 / Math.sqrt(5 / 3)], {
      atol: 1e-12,
      what: "summary",
    });
    assert.deepEqual([c.n, c.pAbove, c.pBelow], [4, 1 / 5, 1]);
    assert.equal(compareToNull(2, [2]).pAbove, 1);
    assert.ok(Number.isNaN(compareToNull(2, [2]).nullSd));
    assert.throws(() => compareToNull(1, []), /nulls is empty/);
  });

  test("control: a sparse real update stands out; a random update of the same size does not", () => {
    const base = theta0(5000, 3);
    // Real run A: a large update on 10% of the entries (sparse by construction). Run B: dense, small.
    const runs = { sparse: perturb(base, 4, 3e-3, (i) => i % 10 === 0), randomLike: perturb(base, 5, 3e-4) };
    const res = randomUpdateNullControl(base, runs, { draws: 4 });
    assert.equal(res.samples.length, 8);
    const sp = Object.fromEntries(res.sparsity.map((r) => [r.run, r]));
    expectClose(sp.sparse.real, updateSparsity(base, runs.sparse).overall.sparsity, { atol: 1e-12, what: "real sparsity" });
    assert.ok(sp.sparse.real > sp.sparse.nullHi + 0.1, `sparse run ${sp.sparse.real} vs null [${sp.sparse.nullLo}, ${sp.sparse.nullHi}]`);
    assert.equal(sp.sparse.pAbove, 1 / 5);
    // The dense random run is itself a draw from (nearly) the null: inside its range, within a few points.
    expectClose(sp.randomLike.real, sp.randomLike.nullMean, { atol: 0.02, what: "random-like run vs its null" });
    assert.equal(res.overlap.length, 2);
    const o = res.overlap.find((r) => r.a === "randomLike")!;
    assert.ok(o.binnedChance > o.chance, `binned ${o.binnedChance} vs plain ${o.chance}`);
    assert.equal(o.n, 4);
    assert.throws(() => randomUpdateNullControl(base, runs, { draws: 0 }), /draws must be an integer ≥ 1/);
  });

  test("nulls of two identical runs use independent streams", () => {
    const base = theta0(1000, 1);
    const t = perturb(base, 2, 1e-3);
    const res = randomUpdateNullControl(base, { a: t, b: t }, { draws: 2 });
    // Identical real runs overlap fully; their nulls must not (same seed would give identical masks).
    assert.equal(res.overlap[0].real, 1);
    assert.ok(res.overlap[0].nullHi < 0.99, `null overlap ${res.overlap[0].nullHi}`);
  });
});
