import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { sftLoss, tokenLogProbs, tokenEntropy } from "../../lib/rl";
import { expectClose } from "../helpers/expect";

describe("sftLoss, tokenLogProbs, tokenEntropy", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });
  // Position 0: logits [0, ln 3] → p = [1/4, 3/4], target 1. Position 1 is masked out (huge logits must not matter).
  const make = () => ({
    logits: tf.tensor3d([
      [
        [0, Math.log(3)],
        [1e4, -1e4],
      ],
    ]),
    targets: tf.tensor2d([[1, 1]], undefined, "int32"),
    mask: tf.tensor2d([[1, 0]]),
  });

  test("hand-worked NLL ln(4/3); gradient (softmax − onehot)/Σm on the wasm backend", () => {
    const { logits, targets, mask } = make();
    const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => sftLoss(l as tf.Tensor3D, targets, mask))(logits);
    expectClose(value.dataSync(), [Math.log(4 / 3)], { atol: 1e-6 });
    expectClose(grad.dataSync(), [0.25, -0.25, 0, 0], { atol: 1e-6 });
    tf.dispose([logits, targets, mask, value, grad]);
  });

  test("temperature divides the logits before log-softmax; entropy uses the same scaled logits", () => {
    const { logits, targets, mask } = make();
    const lp = tokenLogProbs(logits, targets, 2);
    const p1 = Math.sqrt(3) / (1 + Math.sqrt(3)); // softmax([0, ln3 / 2])[1]
    expectClose(lp.dataSync()[0], Math.log(p1), { atol: 1e-6 });
    const h = tokenEntropy(logits);
    expectClose(h.dataSync()[0], -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), { atol: 1e-6 });
    expectClose(h.dataSync()[1], 0, { atol: 1e-6, what: "entropy of a one-hot softmax (stable, no NaN)" });
    tf.dispose([logits, targets, mask, lp, h]);
  });

  test("errors name the argument", () => {
    const { logits, targets, mask } = make();
    assert.throws(() => tokenLogProbs(logits, targets, 0), /tokenLogProbs: temperature must be > 0; got 0/);
    assert.throws(() => sftLoss(logits, targets, tf.ones([1, 3]) as tf.Tensor2D), /sftLoss: mask must have shape \[1, 2\]; got \[1, 3\]/);
    tf.dispose([logits, targets, mask]);
  });

  test("no leaks (values and gradients)", () => {
    const { logits, targets, mask } = make();
    const before = tf.memory().numTensors;
    tf.dispose([sftLoss(logits, targets, mask), tokenLogProbs(logits, targets, 0.7), tokenEntropy(logits, 0.7)]);
    tf.dispose(tf.grad((l: tf.Tensor) => sftLoss(l as tf.Tensor3D, targets, mask))(logits));
    tf.dispose(tf.grad((l: tf.Tensor) => tokenEntropy(l as tf.Tensor3D, 0.7).sum())(logits));
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([logits, targets, mask]);
  });
});

test("sftLoss: a target id ≥ vocab is an error naming targets (its one-hot row would be 0: a perfect loss)", () => {
  const logits = tf.zeros([1, 2, 4]) as tf.Tensor3D;
  const targets = tf.tensor2d([[1, 4]], [1, 2], "int32");
  const mask = tf.ones([1, 2]) as tf.Tensor2D;
  assert.throws(() => sftLoss(logits, targets, mask), /sftLoss: token id 4 in targets at \[0, 1\] is outside \[0, vocabSize = 4\)/);
  tf.dispose([logits, targets, mask]);
});
