import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { stopGradient } from "../../lib/rl/tensor-utils";
import { maskedMean } from "../../lib/rl/tensor-utils";
import { expectClose } from "../helpers/expect";

describe("maskedMean, stopGradient", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  test("maskedMean = Σ m·x / max(1, Σ m); an empty mask gives 0, not NaN", () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const m = tf.tensor2d([
      [1, 0],
      [1, 1],
    ]);
    const z = tf.zeros([2, 2]);
    const [a, b] = [maskedMean(x, m), maskedMean(x, z)];
    expectClose(a.dataSync(), [8 / 3], { atol: 1e-6 });
    expectClose(b.dataSync(), [0]);
    tf.dispose([x, m, z, a, b]);
  });

  test("no leaks", () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const before = tf.memory().numTensors;
    tf.dispose([maskedMean(x, x), stopGradient(x)]);
    tf.dispose(tf.grad((t: tf.Tensor) => stopGradient(t).mul(t).sum())(x));
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
  });
});
