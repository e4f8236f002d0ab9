import { seededUniform as seeded } from "../helpers/seeded";
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { expectClose } from "../helpers/expect";

/** Broadcasts `x` to the batch dims `batch` explicitly (tile's gradient sums, independently of matMul's). */
function expand(x: tf.Tensor, batch: number[]): tf.Tensor {
  const lead = batch.length - (x.rank - 2);
  const y = x.reshape([...Array(lead).fill(1), ...x.shape]);
  return tf.tile(y, [...batch.map((d, i) => (y.shape[i] === 1 ? d : 1)), 1, 1]);
}

describe("BatchMatMul gradient with broadcast batch dims", () => {
  before(async () => {
    await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  });

  const cases: [number[], number[], boolean, boolean][] = [
    [[4, 5, 7], [7, 3], false, false], // activations × shared weight
    [[4, 5, 7], [3, 7], false, true], // x @ Wᵀ (Linear with [out, in] weights)
    [[4, 7, 5], [7, 3], true, false],
    [[2, 3, 5, 7], [7, 3], false, false],
    [[5, 7], [4, 7, 3], false, false],
    [[1, 5, 7], [4, 7, 3], false, false],
    [[4, 5, 7], [1, 3, 7], false, true],
  ];
  for (const [aShape, bShape, ta, tb] of cases) {
    test(`[${aShape}] × [${bShape}] tA=${ta} tB=${tb}: equals the gradient through explicit tiling`, () => {
      tf.tidy(() => {
        const a = tf.tensor(seeded(tf.util.sizeFromShape(aShape), 1), aShape);
        const b = tf.tensor(seeded(tf.util.sizeFromShape(bShape), 2), bShape);
        const out = tf.matMul(a, b, ta, tb);
        const batch = out.shape.slice(0, -2);
        const dy = tf.tensor(seeded(out.size, 3), out.shape);
        const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).mul(dy).sum())([a, b]);
        const [ra, rb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(expand(x, batch), expand(y, batch), ta, tb).mul(dy).sum())([
          a,
          b,
        ]);
        assert.deepEqual(da.shape, aShape);
        assert.deepEqual(db.shape, bShape);
        expectClose(da.dataSync(), ra.dataSync(), { atol: 1e-5, rtol: 1e-5, what: "dA" });
        expectClose(db.dataSync(), rb.dataSync(), { atol: 1e-5, rtol: 1e-5, what: "dB" });
      });
    });
  }

  test("no leaks", () => {
    const a = tf.tensor(seeded(140, 1), [4, 5, 7]);
    const b = tf.tensor(seeded(21, 2), [7, 3]);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).sum())([a, b]));
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([a, b]);
  });
});
