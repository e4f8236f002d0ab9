import { seededUniform as seeded } from "../../helpers/seeded";
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../lib/tensor/tf";
import { initBackend } from "../../../lib/tensor/backend";
import { installWasmKernels, uninstallWasmKernels, wasmKernelsInstalled } from "../../../lib/tensor/wasm/kernels";
import { expectClose } from "../../helpers/expect";

/** Logical shapes [..., M, K] × [..., K, N] before the transpose flags are applied to storage. */
const CASES: { a: number[]; b: number[]; what: string }[] = [
  { a: [5, 7], b: [7, 3], what: "rank 2" },
  { a: [3, 7], b: [7, 9], what: "rank 2, M ≪ N (computed as (Bᵀ·Aᵀ)ᵀ)" },
  { a: [1, 3, 7], b: [7, 9], what: "rank 3 batch 1 × rank 2, M ≪ N" },
  { a: [4, 5, 7], b: [4, 7, 3], what: "rank 3, equal batch" },
  { a: [4, 5, 7], b: [7, 3], what: "rank 3 × rank 2 (shared weight)" },
  { a: [5, 7], b: [4, 7, 3], what: "rank 2 × rank 3" },
  { a: [1, 5, 7], b: [4, 7, 3], what: "batch 1 broadcast on a" },
  { a: [2, 3, 5, 7], b: [2, 3, 7, 3], what: "rank 4 (attention-like)" },
  { a: [2, 3, 5, 7], b: [7, 3], what: "rank 4 × rank 2" },
  { a: [2, 3, 16, 8], b: [2, 3, 8, 16], what: "rank 4, T=16, head 8" },
  { a: [72, 300], b: [300, 24], what: "FMA kernel: K > one K block, M > one M block" },
  { a: [2, 8, 520], b: [520, 16], what: "FMA kernel: batched × shared, K = 2 blocks + 8" },
];

const storedShape = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);

interface Result {
  out: Float32Array;
  da: Float32Array;
  db: Float32Array;
}

/** Value and gradients (for a fixed upstream gradient) of matMul on the active backend. */
function run(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean, dySeed: number): Result {
  return tf.tidy(() => {
    const at = tf.tensor(a, aShape);
    const bt = tf.tensor(b, bShape);
    const out = tf.matMul(at, bt, ta, tb);
    const dy = tf.tensor(seeded(out.size, dySeed), out.shape);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).mul(dy).sum())([at, bt]);
    return { out: out.dataSync() as Float32Array, da: da.dataSync() as Float32Array, db: db.dataSync() as Float32Array };
  });
}

describe("wasm kernels", { skip: (process.env.RFTLAB_BACKEND ?? "wasm") !== "wasm" && "wasm backend not selected" }, () => {
  before(async () => {
    await initBackend("wasm");
  });
  after(async () => {
    installWasmKernels();
    await tf.setBackend("wasm");
  });

  test("initBackend installs the BatchMatMul override", () => {
    assert.equal(wasmKernelsInstalled(), true);
  });

  for (const { a: aLogical, b: bLogical, what } of CASES) {
    test(`matMul values and gradients equal the cpu backend: ${what}, all transpose flags`, async () => {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const aShape = storedShape(aLogical, ta);
        const bShape = storedShape(bLogical, tb);
        const a = seeded(tf.util.sizeFromShape(aShape), 11);
        const b = seeded(tf.util.sizeFromShape(bShape), 12);
        await tf.setBackend("wasm");
        const fast = run(a, aShape, b, bShape, ta, tb, 13);
        await tf.setBackend("cpu");
        const ref = run(a, aShape, b, bShape, ta, tb, 13);
        const tag = `${what} [${aShape}]×[${bShape}] tA=${ta} tB=${tb}`;
        expectClose(fast.out, ref.out, { atol: 1e-5, rtol: 1e-5, what: `${tag} value` });
        expectClose(fast.da, ref.da, { atol: 1e-5, rtol: 1e-5, what: `${tag} dA` });
        expectClose(fast.db, ref.db, { atol: 1e-5, rtol: 1e-5, what: `${tag} dB` });
      }
      await tf.setBackend("wasm");
    });
  }

  test("general batch broadcasting [2,1,5,7] × [1,3,7,4] equals explicitly tiled operands", () => {
    tf.tidy(() => {
      const a = tf.tensor(seeded(70, 1), [2, 1, 5, 7]);
      const b = tf.tensor(seeded(84, 2), [1, 3, 7, 4]);
      const got = tf.matMul(a, b);
      assert.deepEqual(got.shape, [2, 3, 5, 4]);
      const want = tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]));
      expectClose(got.dataSync(), want.dataSync(), { atol: 1e-6 });
    });
  });

  test("stock and rftlab kernels agree on a 64×48×40 product with transposeB", () => {
    const a = tf.tensor(seeded(64 * 40, 3), [64, 40]);
    const b = tf.tensor(seeded(48 * 40, 4), [48, 40]);
    const fast = tf.matMul(a, b, false, true);
    uninstallWasmKernels();
    assert.equal(wasmKernelsInstalled(), false);
    const stock = tf.matMul(a, b, false, true);
    installWasmKernels();
    expectClose(fast.dataSync(), stock.dataSync(), { atol: 1e-5 });
    tf.dispose([a, b, fast, stock]);
  });

  test("no leaks: tensors and wasm-side buffers unchanged after every case", () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.tensor(seeded(2 * 3 * 5 * 7, 5), [2, 3, 5, 7]);
    const b = tf.tensor(seeded(2 * 3 * 7 * 5, 6), [2, 3, 7, 5]);
    const w = tf.tensor(seeded(7 * 5, 7), [7, 5]);
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (const [x, y, ta, tb] of [
      [a, b, false, false],
      [a, b, true, true],
      [a, a, false, true],
      [a, a, true, false],
      [a, w, false, false],
    ] as const) {
      tf.matMul(x, y, ta, tb).dispose();
      tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).sum())([x, y]));
    }
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backend.numDataIds(), ids);
    tf.dispose([a, b, w]);
  });
});
