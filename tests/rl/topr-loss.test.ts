import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { toprLoss } from "../../lib/rl";
import { stopGradient } from "../../lib/rl/tensor-utils";
import { expectClose } from "../helpers/expect";

describe("toprLoss", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });
  // One token each. π/μ = 2 (α clamps to 1), 0.5 (α = 0.5), and R ≥ 0 (α = 1 whatever the ratio).
  const make = () => ({
    logp: tf.tensor2d([[Math.log(0.5)], [Math.log(0.25)], [Math.log(0.5)]]),
    behaviourLogp: tf.tensor2d([[Math.log(0.25)], [Math.log(0.5)], [Math.log(0.9)]]),
    rewards: [-1, -2, 2],
    mask: tf.tensor2d([[1], [1], [1]]),
  });

  test("hand-worked: loss = mean(−α·R·Σlogπ), gradient −sg(α)·R/B", () => {
    const x = make();
    const out = toprLoss(x);
    const want = (Math.log(0.5) + 1 * Math.log(0.25) - 2 * Math.log(0.5)) / 3;
    expectClose(out.loss.dataSync(), [want], { atol: 1e-6 });
    expectClose(out.metrics["topr/alpha_mean"].dataSync(), [2.5 / 3], { atol: 1e-6 });
    expectClose(out.metrics["topr/negative_fraction"].dataSync(), [2 / 3], { atol: 1e-6 });
    const g = tf.grad((lp: tf.Tensor) => toprLoss({ ...x, logp: lp as tf.Tensor2D }).loss)(x.logp);
    expectClose(g.dataSync(), [1 / 3, 1 / 3, -2 / 3], { atol: 1e-6 });
    tf.dispose([out.loss, g, x.logp, x.behaviourLogp, x.mask, ...Object.values(out.metrics)]);
  });

  test("stopGradient: identity value, zero gradient", () => {
    const a = tf.tensor1d([1, 2]);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => stopGradient(t).mul(t).sum() as tf.Scalar)(a);
    expectClose(value.dataSync(), [5]);
    expectClose(grad.dataSync(), [1, 2], { what: "d(sg(x)·x)/dx = sg(x)" });
    tf.dispose([a, value, grad]);
  });

  test("no leaks; shape errors name the argument", () => {
    const x = make();
    const before = tf.memory().numTensors;
    const out = toprLoss(x);
    tf.dispose([out.loss, ...Object.values(out.metrics)]);
    tf.dispose(tf.grad((lp: tf.Tensor) => toprLoss({ ...x, logp: lp as tf.Tensor2D }).loss)(x.logp));
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => toprLoss({ ...x, rewards: [1] }), /toprLoss: rewards must have shape \[3\]; got \[1\]/);
    tf.dispose([x.logp, x.behaviourLogp, x.mask]);
  });
});
