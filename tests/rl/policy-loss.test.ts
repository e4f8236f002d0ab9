import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { policyLoss, computeAdvantages } from "../../lib/rl";
import { stopGradient } from "../../lib/rl/tensor-utils";
import { expectClose } from "../helpers/expect";
import { rng, matrix } from "./seeded";

describe("policyLoss", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  // One sequence, two tokens: ρ = [1, 0.5], ε = 0.2 → ρ_c = [1, 0.8].
  const logp = () => tf.tensor2d([[0, 0]]);
  const oldLogp = () => tf.tensor2d([[0, Math.log(2)]]);
  const mask = () => tf.tensor2d([[1, 1]]);

  test("hand-worked, A = +1: ℓ = −min(ρA, ρ_cA) = [−1, −0.5], grpo mean −0.75, ∂/∂logp = −ρA/2", () => {
    const [lp, old, m] = [logp(), oldLogp(), mask()];
    const f = (x: tf.Tensor) => policyLoss({ logp: x as tf.Tensor2D, oldLogp: old, advantages: [1], mask: m }).loss;
    const { value, grad } = tf.valueAndGrad(f)(lp);
    expectClose(value.dataSync(), [-0.75], { atol: 1e-6 });
    expectClose(grad.dataSync(), [-0.5, -0.25], { atol: 1e-6 });
    tf.dispose([lp, old, m, value, grad]);
  });

  test("hand-worked, A = −1: token 2 is clipped (ρ = 0.5 < 0.8): no gradient there; low clip ratio 1/2", () => {
    const [lp, old, m] = [logp(), oldLogp(), mask()];
    const out = policyLoss({ logp: lp, oldLogp: old, advantages: [-1], mask: m });
    expectClose(out.loss.dataSync(), [0.9], { atol: 1e-6 });
    expectClose(out.metrics["clip_ratio/low_mean"].dataSync(), [0.5]);
    expectClose(out.metrics["clip_ratio/high_mean"].dataSync(), [0]);
    expectClose(out.metrics["clip_ratio/region_mean"].dataSync(), [0.5]);
    const g = tf.grad((x: tf.Tensor) => policyLoss({ logp: x as tf.Tensor2D, oldLogp: old, advantages: [-1], mask: m }).loss)(lp);
    expectClose(g.dataSync(), [0.5, 0], { atol: 1e-6 });
    tf.dispose([lp, old, m, out.loss, g, ...Object.values(out.metrics)]);
  });

  // Asymmetric ε (low 0.1, high 0.3: bounds 0.9 and 1.3) with both sides clipping, so that swapping ε_low and
  // ε_high, or flipping the advantage's sign in a clip metric, changes loss, gradient and metrics.
  // Row 1, A = +1, ρ = [1.5, 1.2]: ℓ = −min(ρ, ρ_c) = [−1.3 (high clip), −1.2]; row 2, A = −1, ρ = [0.5, 0.85]:
  // ℓ = max(ρ, ρ_c) = [0.9, 0.9] (both low clip). grpo: mean(−1.25, 0.9) = −0.175 (swapped ε: −0.1625).
  // ∂/∂logp: only row 1 token 2 is unclipped: −ρA / (2 tokens · 2 rows) = −0.3.
  // Metrics: low = 2/4, high = 1/4, region = 3/4 (swapped ε: 1/4, 2/4; high with −A: 0).
  test("hand-worked, ε_low 0.1 ≠ ε_high 0.3, both sides clip: loss, gradient and clip metrics", () => {
    const lp = tf.tensor2d([
      [Math.log(1.5), Math.log(1.2)],
      [Math.log(0.5), Math.log(0.85)],
    ]);
    const old = tf.zeros([2, 2]) as tf.Tensor2D;
    const m = tf.ones([2, 2]) as tf.Tensor2D;
    const cfg = { epsilonLow: 0.1, epsilonHigh: 0.3 };
    const out = policyLoss({ logp: lp, oldLogp: old, advantages: [1, -1], mask: m }, cfg);
    expectClose(out.loss.dataSync(), [-0.175], { atol: 1e-6, what: "loss" });
    expectClose(out.metrics["clip_ratio/low_mean"].dataSync(), [0.5], { atol: 1e-7, what: "low" });
    expectClose(out.metrics["clip_ratio/high_mean"].dataSync(), [0.25], { atol: 1e-7, what: "high" });
    expectClose(out.metrics["clip_ratio/region_mean"].dataSync(), [0.75], { atol: 1e-7, what: "region" });
    const g = tf.grad((x: tf.Tensor) => policyLoss({ logp: x as tf.Tensor2D, oldLogp: old, advantages: [1, -1], mask: m }, cfg).loss)(lp);
    expectClose(g.dataSync(), [0, -0.3, 0, 0], { atol: 1e-6, what: "gradient" });
    tf.dispose([lp, old, m, g, out.loss, ...Object.values(out.metrics)]);
  });

  test("k3 KL: ref − logp = ln 2 → kl = 2 − ln 2 − 1; β adds β·kl to every token", () => {
    const [lp, old, m] = [logp(), logp(), mask()];
    const ref = tf.tensor2d([[Math.log(2), Math.log(2)]]);
    const out = policyLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: [0], mask: m }, { beta: 0.1, lossType: "bnpo" });
    const kl = 1 - Math.log(2);
    expectClose(out.metrics.kl.dataSync(), [kl], { atol: 1e-6 });
    expectClose(out.loss.dataSync(), [0.1 * kl], { atol: 1e-6 });
    tf.dispose([lp, old, m, ref, out.loss, ...Object.values(out.metrics)]);
  });

  // β = 0 logs the KL without adding it: a reference far enough that exp(ref − logp) overflows f32 (kl = ∞)
  // must leave loss and gradient as without refLogp (adding 0·∞ would make them NaN).
  test("β = 0 with refLogp: kl is reported, loss and gradient equal those without refLogp, even when kl overflows", () => {
    const [lp, old, m] = [logp(), oldLogp(), mask()];
    const ref = tf.tensor2d([[Math.log(2), 100]]);
    const f = (refLogp?: tf.Tensor2D) => (x: tf.Tensor) =>
      policyLoss({ logp: x as tf.Tensor2D, oldLogp: old, refLogp, advantages: [1], mask: m }, { beta: 0 }).loss;
    const withRef = tf.valueAndGrad(f(ref))(lp);
    expectClose(withRef.value.dataSync(), [-0.75], { atol: 1e-6, what: "loss" });
    expectClose(withRef.grad.dataSync(), [-0.5, -0.25], { atol: 1e-6, what: "gradient" });
    const out = policyLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: [1], mask: m }, { beta: 0 });
    assert.equal(out.metrics.kl.dataSync()[0], Number.POSITIVE_INFINITY);
    tf.dispose([lp, old, m, ref, withRef.value, withRef.grad, out.loss, ...Object.values(out.metrics)]);
  });

  test("aggregations on a padded batch (lengths 2 and 1, ℓ = −A): grpo, bnpo, dr_grpo, dapo", () => {
    const lp = tf.zeros([2, 3]) as tf.Tensor2D;
    const m = tf.tensor2d([
      [1, 1, 0],
      [1, 0, 0],
    ]);
    const adv = [-1, -4]; // ρ ≡ 1 → ℓ = −A per token: [1, 1] and [4]
    const run = (cfg: Parameters<typeof policyLoss>[1]) => {
      const out = policyLoss({ logp: lp, oldLogp: lp, advantages: adv, mask: m }, cfg);
      const v = out.loss.dataSync()[0];
      tf.dispose([out.loss, ...Object.values(out.metrics)]);
      return v;
    };
    expectClose(run({ lossType: "grpo" }), (2 / 2 + 4 / 1) / 2, { atol: 1e-6, what: "grpo" });
    expectClose(run({ lossType: "bnpo" }), 6 / 3, { atol: 1e-6, what: "bnpo" });
    expectClose(run({ lossType: "dr_grpo" }), 6 / (2 * 3), { atol: 1e-6, what: "dr_grpo default T" });
    expectClose(run({ lossType: "dr_grpo", maxCompletionLength: 10 }), 6 / 20, { atol: 1e-6, what: "dr_grpo L" });
    expectClose(run({ lossType: "dr_grpo", maxCompletionLength: 1 }), 6 / 2, { atol: 1e-6, what: "dr_grpo L = 1, the smallest" });
    expectClose(run({ lossType: "dapo" }), 6 / 3, { atol: 1e-6, what: "dapo local" });
    expectClose(run({ lossType: "dapo", activeTokens: 12 }), 6 / 12, { atol: 1e-6, what: "dapo global" });
    tf.dispose([lp, m]);
  });

  test("μ = 1 with old = stopGradient(logp): ρ ≡ 1, loss = −Σm·A/Σm (0 with equal lengths) but the gradient −A·m/Σm is not 0", () => {
    const { normal } = rng(3);
    const lp = tf.tensor2d(matrix(4, 3, () => -1 - Math.abs(normal())));
    const m = tf.tensor2d([
      [1, 1, 1],
      [1, 1, 0],
      [1, 1, 1],
      [1, 0, 0],
    ]);
    const adv = computeAdvantages([1, 0, 0, 1], { groupSize: 4, scaleRewards: "none" });
    const f = (x: tf.Tensor) =>
      policyLoss({ logp: x as tf.Tensor2D, oldLogp: stopGradient(x as tf.Tensor2D), advantages: adv, mask: m }, { lossType: "bnpo" }).loss;
    const { value, grad } = tf.valueAndGrad(f)(lp);
    expectClose(value.dataSync(), [(-0.5 * 3 + 0.5 * 2 + 0.5 * 3 - 0.5 * 1) / 9], { atol: 1e-6, what: "loss" });
    const want = [adv[0], adv[0], adv[0], adv[1], adv[1], 0, adv[2], adv[2], adv[2], adv[3], 0, 0].map((a) => -a / 9);
    expectClose(grad.dataSync(), want, { atol: 1e-6, what: "grad" });
    assert.ok(Math.max(...Array.from(grad.dataSync(), Math.abs)) > 0.05);
    tf.dispose([lp, m, value, grad]);
  });

  test("validation names the argument", () => {
    const lp = tf.zeros([2, 3]) as tf.Tensor2D;
    const m = tf.ones([2, 2]) as tf.Tensor2D;
    assert.throws(() => policyLoss({ logp: lp, oldLogp: lp, advantages: [0, 0], mask: m }), /mask must have shape \[2, 3\]; got \[2, 2\]/);
    assert.throws(() => policyLoss({ logp: lp, oldLogp: lp, advantages: [0], mask: lp }), /advantages must have shape \[2\]; got \[1\]/);
    assert.throws(() => policyLoss({ logp: lp, oldLogp: lp, advantages: [0, 0], mask: lp }, { beta: 0.1 }), /needs refLogp/);
    assert.throws(
      () => policyLoss({ logp: lp, oldLogp: lp, advantages: [0, 0], mask: lp }, { lossType: "bnpo", activeTokens: 3 }),
      /activeTokens only applies/,
    );
    tf.dispose([lp, m]);
  });

  test("no leaks (value, metrics, gradient)", () => {
    const lp = tf.randomNormal([3, 4], 0, 1, "float32", 1) as tf.Tensor2D;
    const m = tf.ones([3, 4]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (const importanceLevel of ["token", "sequence"] as const) {
      const out = policyLoss({ logp: lp, oldLogp: lp, refLogp: lp, advantages: [1, -1, 0], mask: m }, { beta: 0.1, importanceLevel });
      tf.dispose([out.loss, ...Object.values(out.metrics)]);
      tf.dispose(
        tf.grad(
          (x: tf.Tensor) =>
            policyLoss(
              { logp: x as tf.Tensor2D, oldLogp: lp, refLogp: lp, advantages: [1, -1, 0], mask: m },
              { beta: 0.1, importanceLevel },
            ).loss,
        )(lp),
      );
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([lp, m]);
  });
});
