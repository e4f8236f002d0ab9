import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { dpoLoss, type DpoLossConfig } from "../../lib/rl";
import { expectClose } from "../helpers/expect";

describe("dpoLoss", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });
  // chosen log-ratio −1 − (−2) = 1, rejected −3 − (−2) = −1 → Δ = 2; β = 0.5 → βΔ = 1.
  const inputs = () => ({
    policyChosen: tf.tensor1d([-1]),
    policyRejected: tf.tensor1d([-3]),
    refChosen: tf.tensor1d([-2]),
    refRejected: tf.tensor1d([-2]),
  });
  const table: [Partial<DpoLossConfig>, number][] = [
    [{ lossType: "sigmoid", beta: 0.5 }, Math.log(1 + Math.exp(-1))], // −log σ(1)
    [{ lossType: "hinge", beta: 0.5 }, 0], // relu(1 − 1)
    [{ lossType: "hinge", beta: 0.25 }, 0.5], // relu(1 − 0.5)
    [{ lossType: "ipo", beta: 0.5 }, 1], // (2 − 1/(2·0.5))²
    [{ lossType: "ipo", beta: 0.5, chosenLengths: [2], rejectedLengths: [4] }, (0.5 + 0.25 - 1) ** 2], // Δ̄ = 1/2 − (−1/4)
  ];
  for (const [cfg, want] of table) {
    test(`hand-worked ${JSON.stringify(cfg)} = ${want}`, () => {
      const x = inputs();
      const out = dpoLoss(x, cfg);
      expectClose(out.loss.dataSync(), [want], { atol: 1e-6 });
      tf.dispose([out.loss, ...Object.values(out.metrics), ...Object.values(x)]);
    });
  }

  test("metrics: β·log-ratios, accuracy, margin; sigmoid gradient −βσ(−βΔ)", () => {
    const x = inputs();
    const out = dpoLoss(x, { beta: 0.5 });
    const m = Object.fromEntries(Object.entries(out.metrics).map(([k, v]) => [k, v.dataSync()[0]]));
    assert.deepEqual(m, { "rewards/chosen": 0.5, "rewards/rejected": -0.5, "rewards/accuracies": 1, "rewards/margins": 1 });
    const g = tf.grad((pc: tf.Tensor) => dpoLoss({ ...x, policyChosen: pc as tf.Tensor1D }, { beta: 0.5 }).loss)(x.policyChosen);
    expectClose(g.dataSync(), [-0.5 / (1 + Math.E)], { atol: 1e-6 });
    tf.dispose([out.loss, g, ...Object.values(out.metrics), ...Object.values(x)]);
  });

  test("validation", () => {
    const x = inputs();
    assert.throws(() => dpoLoss(x, { beta: 0 }), /beta \(β\) must be > 0; got 0/);
    assert.throws(() => dpoLoss(x, { lossType: "sigmoid", chosenLengths: [1], rejectedLengths: [1] }), /apply to lossType "ipo" only/);
    assert.throws(() => dpoLoss({ ...x, refChosen: tf.tensor1d([1, 2]) }), /refChosen must have shape \[1\]; got \[2\]/);
    tf.dispose(Object.values(x));
  });

  test("no leaks", () => {
    const x = inputs();
    const before = tf.memory().numTensors;
    for (const lossType of ["sigmoid", "ipo", "hinge"] as const) {
      const out = dpoLoss(x, { lossType, ...(lossType === "ipo" ? { chosenLengths: [3], rejectedLengths: [2] } : {}) });
      tf.dispose([out.loss, ...Object.values(out.metrics)]);
      tf.dispose(tf.grad((pc: tf.Tensor) => dpoLoss({ ...x, policyChosen: pc as tf.Tensor1D }, { lossType }).loss)(x.policyChosen));
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(Object.values(x));
  });
});

test("dpoLoss: an empty batch is an error (wasm would read uninitialised memory)", () => {
  const e = tf.zeros([0]) as tf.Tensor1D;
  assert.throws(
    () => dpoLoss({ policyChosen: e, policyRejected: e, refChosen: e, refRejected: e }),
    /dpoLoss: the batch is empty \(policyChosen has shape \[0\]\)/,
  );
  e.dispose();
});
