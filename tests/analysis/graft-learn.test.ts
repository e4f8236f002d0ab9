import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  binMatchedRandomMasks,
  graftMaskOfSize,
  graftScoreGradient,
  learnGraftMask,
  magnitudeBins,
  binCounts,
  resolveLearnedGraftConfig,
  type WeightMap,
  type MaskMap,
} from "../../lib/analysis";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const w = (...xs: number[]): WeightMap => new Map([["a", { shape: [xs.length], data: new Float32Array(xs) }]]);
const m = (...xs: number[]): MaskMap => new Map([["a", Uint8Array.from(xs)]]);

/** L(θ) = ½‖θ − t‖², ∂L/∂θ = θ − t: the hand-worked loss of these tests. */
const quadratic = (t: number[]) => async (x: WeightMap) => {
  const d = Array.from(x.get("a")!.data, (v, i) => v - t[i]);
  return { loss: 0.5 * d.reduce((s, v) => s + v * v, 0), grads: new Map([["a", { data: Float32Array.from(d) }]]) };
};

describe("learned graft masks (arXiv 2302.06600, spec §7)", () => {
  test("∂L/∂S = ∂L/∂θ · Δ · (1 − 2γ_base) · σ′(S − b), by hand", () => {
    // S − b = 0: σ′ = 1/4; out of the base patch +, inside it −.
    expectClose(graftScoreGradient([2, 2], [0.5, 0.5], [10, 10], [0, 1], 10), [0.25, -0.25], { atol: 1e-7 });
    expectClose(graftScoreGradient([1], [-3], [0], [0], 2), [-3 * sig(-2) * (1 - sig(-2))], { atol: 1e-7 });
    assert.throws(() => graftScoreGradient([1, 2], [1], [0], [0], 10), RftlabError);
  });

  test("one descent step on ½‖θ − t‖² by hand: loss before the step and the new scores", async () => {
    // θ₀ = 0, θ_ft = 1 (Δ = 1), t = [1, 0, 1], base patch γ_base = [1, 0, 0], b = 2, lr = 10.
    const s = sig(-2);
    const ds = s * (1 - s);
    const r = await learnGraftMask({
      base: w(0, 0, 0),
      tuned: w(1, 1, 1),
      gammaBase: m(1, 0, 0),
      gradient: quadratic([1, 0, 1]),
      config: { steps: 1, lr: 10, sigmoidBias: 2 },
    });
    // γ = θ = [1 − s, s, s]; ∂L/∂θ = [−s, s, s − 1]; ∂L/∂S = ∂L/∂θ · [−1, 1, 1] · σ′.
    expectClose(r.history[0].loss, 0.5 * (s * s + s * s + (1 - s) ** 2), { atol: 1e-7, what: "loss" });
    expectClose(r.scores.get("a")!, [-10 * s * ds, -10 * s * ds, -10 * (s - 1) * ds], { atol: 1e-6, what: "S after one step" });
    assert.deepEqual(Array.from(r.mask.get("a")!), [1, 0, 0], "one small step rounds back to the base patch");
    assert.equal(r.history[0].density, 1 / 3);
  });

  test("descent moves the mask to the loss minimum; keep = k takes the k largest learned γ", async () => {
    const args = {
      base: w(0, 0, 0, 0),
      tuned: w(1, 1, 1, 1),
      gammaBase: m(1, 0, 0, 0),
      gradient: quadratic([0, 0, 1, 1]),
      config: { steps: 60, lr: 50, sigmoidBias: 2 },
    };
    const r = await learnGraftMask(args);
    assert.deepEqual(Array.from(r.mask.get("a")!), [0, 0, 1, 1]);
    assert.ok(r.history[59].loss < r.history[0].loss / 10, `loss ${r.history[0].loss} → ${r.history[59].loss}`);
    const one = await learnGraftMask({ ...args, keep: 1 });
    assert.equal(
      one.mask.get("a")!.reduce((a, b) => a + b, 0),
      1,
    );
    const three = await learnGraftMask({ ...args, keep: 3 });
    assert.deepEqual(Array.from(three.mask.get("a")!).slice(2), [1, 1], "the two entries that flipped in are kept");
  });

  test("graftMaskOfSize ranks by the logit of γ (b − S inside the base patch, S − b outside), ties by index", () => {
    const scores = new Map([["a", new Float32Array([0, 50, 12, 12, 30])]]);
    // logits with b = 10: [10 (inside), −40 (inside, pushed out), 2, 2, 20].
    assert.deepEqual(Array.from(graftMaskOfSize(scores, m(1, 1, 0, 0, 0), 10, 2).get("a")!), [1, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(graftMaskOfSize(scores, m(1, 1, 0, 0, 0), 10, 3).get("a")!), [1, 0, 1, 0, 1]);
    assert.throws(() => graftMaskOfSize(scores, m(1, 1, 0, 0, 0), 10, 6), /k must be/);
  });

  test("config and inputs are checked", async () => {
    assert.throws(() => resolveLearnedGraftConfig({ lr: 0 }), /lr/);
    assert.throws(() => resolveLearnedGraftConfig({ steps: 1.5 }), /steps/);
    await assert.rejects(
      () => learnGraftMask({ base: w(0, 0), tuned: w(1, 1), gammaBase: m(1), gradient: quadratic([0, 0]) }),
      /gammaBase needs "a" with 2 entries/,
    );
  });

  test("binMatchedRandomMasks keeps the count in every magnitude bin, draws positions by seed", () => {
    const n = 400;
    const mags: WeightMap = new Map([
      ["a", { shape: [n], data: Float32Array.from({ length: n }, (_, i) => i) }],
      ["b", { shape: [n], data: Float32Array.from({ length: n }, (_, i) => n - i) }],
    ]);
    const like: MaskMap = new Map([
      ["a", Uint8Array.from({ length: n }, (_, i) => (i >= 390 || i % 50 === 0 ? 1 : 0))],
      ["b", Uint8Array.from({ length: n }, (_, i) => (i < 5 ? 1 : 0))],
    ]);
    const bins = magnitudeBins([mags.get("a")!.data, mags.get("b")!.data], { bins: 20 });
    const counts = (x: MaskMap) => Array.from(binCounts([x.get("a")!, x.get("b")!], bins));
    const r1 = binMatchedRandomMasks(like, mags, 1);
    const r2 = binMatchedRandomMasks(like, mags, 2);
    assert.deepEqual(counts(r1), counts(like));
    assert.deepEqual(counts(r2), counts(like));
    assert.deepEqual(binMatchedRandomMasks(like, mags, 1), r1, "same seed, same mask");
    assert.notDeepEqual(r1, r2);
    assert.throws(() => binMatchedRandomMasks(like, new Map([["a", mags.get("a")!]]), 1), /magnitudes need "b"/);
  });
});
