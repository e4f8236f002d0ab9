import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { embeddingLookup } from "../../lib/tensor/embedding";
import { expectClose } from "../helpers/expect";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

// table [4, 2]; ids [[0, 2], [2, 3]]; loss = Σ out ⊙ w with w = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
// ⇒ dtable[0] = [1, 2], dtable[1] = 0, dtable[2] = [3, 4] + [5, 6] = [8, 10], dtable[3] = [7, 8].
const TABLE = [
  [0, 1],
  [10, 11],
  [20, 21],
  [30, 31],
];
const IDS = [
  [0, 2],
  [2, 3],
];
const W = [
  [
    [1, 2],
    [3, 4],
  ],
  [
    [5, 6],
    [7, 8],
  ],
];

function lookupAndGrad(): { out: number[]; grad: number[] } {
  const table = tf.tensor2d(TABLE);
  const ids = tf.tensor2d(IDS, undefined, "int32");
  const w = tf.tensor3d(W);
  const out = embeddingLookup(table, ids);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), w)))(table);
  const r = { out: Array.from(out.dataSync()), grad: Array.from(grad.dataSync()) };
  assert.deepEqual(out.shape, [2, 2, 2]);
  tf.dispose([table, ids, w, out, grad]);
  return r;
}

test("embeddingLookup: hand-worked rows and scatter-add gradient (repeated id accumulates)", () => {
  const { out, grad } = lookupAndGrad();
  expectClose(out, [0, 1, 20, 21, 20, 21, 30, 31], { atol: 0, what: "rows" });
  expectClose(grad, [1, 2, 0, 0, 8, 10, 7, 8], { atol: 0, what: "dtable" });
});

test("embeddingLookup matches the cpu backend's tf.gather (values and gradient)", async () => {
  const active = tf.getBackend();
  const mine = lookupAndGrad();
  await tf.setBackend("cpu");
  try {
    const table = tf.tensor2d(TABLE);
    const ids = tf.tensor2d(IDS, undefined, "int32");
    const w = tf.tensor3d(W);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table);
    expectClose(mine.grad, grad.dataSync(), { atol: 0, what: "gradient vs tf.gather on cpu" });
    tf.dispose([table, ids, w, grad]);
  } finally {
    await tf.setBackend(active);
  }
});

test("embeddingLookup leaks nothing and rejects bad arguments", () => {
  lookupAndGrad();
  const before = tf.memory().numTensors;
  lookupAndGrad();
  assert.equal(tf.memory().numTensors, before);
  const table = tf.zeros([3, 2]) as tf.Tensor2D;
  const f = tf.tensor1d([0, 1]);
  assert.throws(() => embeddingLookup(table, f), /ids must be int32; got float32/);
  tf.dispose([table, f]);
});
