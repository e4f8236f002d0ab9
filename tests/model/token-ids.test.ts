import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { createModel, resolveModelConfig, type KVCache } from "../../lib/model";
import { sliceTokenIds, tokenIds } from "../../lib/model/token-ids";
import { RftlabError } from "../../lib/errors";

/** Makes any read of `t` back from the device fail the test. */
function forbidReads(t: tf.Tensor): void {
  for (const m of ["dataSync", "data", "arraySync", "array"] as const) {
    Object.defineProperty(t, m, { value: () => assert.fail(`forward read ids back with ${m}()`) });
  }
}

describe("tokenIds: forward range-checks without reading ids back", () => {
  before(async () => {
    await initBackend("cpu");
  });
  const model = () =>
    createModel(
      resolveModelConfig({ family: "llama", vocabSize: 11, dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, dFF: 16, maxPositions: 16 }),
      { seed: 1 },
    );

  test("forward, slices and decode steps on tokenIds never read them; results equal those of plain tensors", () => {
    const m = model();
    const before = tf.memory().numTensors;
    const ids = tokenIds(Int32Array.from([1, 2, 3, 10, 0, 4, 5, 6]), [2, 4]);
    const plain = tf.tensor2d(
      [
        [1, 2, 3, 10],
        [0, 4, 5, 6],
      ],
      undefined,
      "int32",
    );
    const head = sliceTokenIds(ids, [0, 0], [-1, 3]); // [2, 3]
    forbidReads(ids);
    forbidReads(head);
    const got = tf.tidy(() => m.forward(ids));
    const want = tf.tidy(() => m.forward(plain));
    assert.deepEqual(got.dataSync(), want.dataSync());
    const cache: KVCache = m.newCache(2, 8);
    const step = tokenIds([7, 8], [2, 1]);
    forbidReads(step);
    tf.dispose([tf.tidy(() => m.forwardLast(head, cache)), tf.tidy(() => m.forwardLast(step, cache))]);
    tf.dispose([ids, plain, head, step, got, want]);
    cache.dispose();
    assert.equal(tf.memory().numTensors, before);
    m.dispose();
  });

  test("a tensor the library did not make is read once: forward on it again does not read it back", () => {
    const m = model();
    const ids = tf.tensor2d([[1, 2, 10]], undefined, "int32");
    const first = tf.tidy(() => m.forward(ids));
    forbidReads(ids);
    const again = tf.tidy(() => m.forward(ids));
    assert.deepEqual(again.dataSync(), first.dataSync());
    // A variable's values can change under assign(): it is read every time.
    const v = tf.variable(tf.tensor2d([[1, 2]], undefined, "int32"), false);
    tf.dispose(m.forward(v));
    const next = tf.tensor2d([[1, 11]], undefined, "int32");
    v.assign(next);
    assert.throws(() => m.forward(v), /token id 11 in ids at \[0, 1\] is outside \[0, vocabSize = 11\)/);
    tf.dispose([ids, first, again, v, next]);
    m.dispose();
  });

  test("an out-of-range id made by tokenIds or sliced from it still gives forward's error with its position", () => {
    const m = model();
    const ids = tokenIds([1, 2, 11, 3], [2, 2]);
    const expected = (e: Error) =>
      e instanceof RftlabError && /token id 11 in ids at \[1, 0\] is outside \[0, vocabSize = 11\)/.test(e.message);
    assert.throws(() => m.forward(ids), expected);
    const row = sliceTokenIds(ids, [1, 0], [1, -1]);
    assert.throws(
      () => m.forward(row),
      (e: Error) => e instanceof RftlabError && /token id 11 in ids at \[0, 0\]/.test(e.message),
    );
    const negative = tokenIds([-1, 2], [1, 2]);
    assert.throws(() => m.forward(negative), /token id -1 in ids at \[0, 0\] is outside/);
    // A range recorded against one model does not vouch for a smaller vocabulary.
    const small = createModel(
      resolveModelConfig({ family: "llama", vocabSize: 4, dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, dFF: 16, maxPositions: 16 }),
      { seed: 1 },
    );
    const ok = tokenIds([1, 9], [1, 2]);
    tf.dispose(m.forward(ok));
    assert.throws(() => small.forward(ok), /token id 9 in ids at \[0, 1\] is outside \[0, vocabSize = 4\)/);
    tf.dispose([ids, row, negative, ok]);
    m.dispose();
    small.dispose();
  });
});
