import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../lib/tensor/tf";
import { initBackend } from "../../../lib/tensor/backend";
import { seededUniform } from "../../helpers/seeded";

/** Runs `f` on a fresh tensor of `shape` on the cpu backend and on wasm; returns both outputs' values and shapes. */
async function onBoth(shape: number[], dtype: "float32" | "int32", f: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]) {
  const values = seededUniform(tf.util.sizeFromShape(shape), 7).map((v) => (dtype === "int32" ? Math.round(v * 1000) : v));
  const results: { shape: number[]; data: number[] }[][] = [];
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    results.push(
      tf.tidy(() => {
        const out = f(tf.tensor(values, shape, dtype));
        return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
      }),
    );
  }
  await tf.setBackend("wasm");
  return { cpu: results[0], wasm: results[1] };
}

function assertSame(got: { shape: number[]; data: number[] }[], want: { shape: number[]; data: number[] }[], atol: number, what: string) {
  assert.equal(got.length, want.length, `${what}: number of outputs`);
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i].shape, `${what}: output ${i} shape`);
    g.data.forEach((v, j) => assert.ok(Math.abs(v - want[i].data[j]) <= atol, `${what}: output ${i}[${j}] ${v} vs cpu ${want[i].data[j]}`));
  });
}

describe("wasm heap kernels (Identity, Cast, Sum, SplitV, Transpose) equal the cpu backend", {
  skip: (process.env.RFTLAB_BACKEND ?? "wasm") !== "wasm" && "wasm backend not selected",
}, () => {
  before(async () => {
    await initBackend("wasm");
  });
  after(async () => {
    await tf.setBackend("wasm");
  });

  for (const { shape, axis, keepDims } of [
    { shape: [6, 5], axis: 0, keepDims: false },
    { shape: [4, 3, 5], axis: [0, 1], keepDims: false },
    { shape: [4, 3, 5], axis: [0, 1], keepDims: true },
    { shape: [2, 3, 4, 5], axis: 1, keepDims: false },
    { shape: [2, 3, 4, 5], axis: [1, 2], keepDims: true },
    { shape: [2, 3, 4, 5], axis: [-3, -2], keepDims: false },
    { shape: [4, 3, 5], axis: -1, keepDims: false }, // innermost: stock kernel
    { shape: [4, 3, 5], axis: [0, 2], keepDims: false }, // not contiguous: stock kernel
  ]) {
    test(`sum over axis ${JSON.stringify(axis)} of [${shape}] keepDims=${keepDims}`, async () => {
      const { cpu, wasm } = await onBoth(shape, "float32", (x) => tf.sum(x, axis, keepDims));
      assertSame(wasm, cpu, 1e-5, "sum");
    });
  }

  test("sum of 4096 rows accumulates without float32 drift", async () => {
    await tf.setBackend("wasm");
    const got = tf.tidy(() => tf.sum(tf.fill([4096, 3], 0.1), 0).dataSync());
    for (const v of got) assert.ok(Math.abs(v - 409.6) < 1e-4, `sum ${v}`);
  });

  for (const { shape, perm } of [
    { shape: [5, 7], perm: [1, 0] },
    { shape: [3, 33, 17], perm: [0, 2, 1] },
    { shape: [2, 3, 4, 5], perm: [0, 2, 1, 3] },
    { shape: [2, 3, 4, 5], perm: [2, 0, 1, 3] },
    { shape: [2, 3, 4, 5], perm: [1, 0, 2, 3] },
    { shape: [2, 3, 4], perm: [0, 1, 2] },
    { shape: [2, 3, 4], perm: [2, 1, 0] }, // general: stock kernel
  ]) {
    for (const dtype of ["float32", "int32"] as const) {
      test(`transpose [${shape}] by [${perm}] (${dtype})`, async () => {
        const { cpu, wasm } = await onBoth(shape, dtype, (x) => tf.transpose(x, perm));
        assertSame(wasm, cpu, 0, "transpose");
      });
    }
  }

  for (const { shape, split, axis } of [
    { shape: [4, 9], split: 3, axis: 1 },
    { shape: [4, 9], split: [2, 5, 2], axis: -1 },
    { shape: [6, 2, 3], split: [1, 5], axis: 0 },
    { shape: [2, 6, 3], split: 2, axis: 1 },
  ]) {
    for (const dtype of ["float32", "int32"] as const) {
      test(`split [${shape}] into ${JSON.stringify(split)} along ${axis} (${dtype})`, async () => {
        const { cpu, wasm } = await onBoth(shape, dtype, (x) => tf.split(x, split, axis));
        assertSame(wasm, cpu, 0, "split");
      });
    }
  }

  test("Identity and same-dtype Cast share the buffer, and each reference keeps it alive", () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const c = tf.cast(x, "float32");
    const k = tf.clone(x);
    assert.equal(backend.numDataIds(), ids + 1, "one buffer for all three");
    x.dispose();
    c.dispose();
    assert.deepEqual(Array.from(k.dataSync()), [1.5, -2, 3]);
    const i = tf.cast(k, "int32"); // a real cast still converts
    assert.deepEqual(Array.from(i.dataSync()), [1, -2, 3]);
    tf.dispose([k, i]);
    assert.equal(backend.numDataIds(), ids);
  });

  test("gradients through split, transpose and broadcast adds match the cpu backend and leak nothing", async () => {
    const f = (x: tf.Tensor) =>
      tf.grad((y: tf.Tensor) => {
        const [a, b] = tf.split(y, 2, 1);
        return tf
          .transpose(a, [1, 0])
          .matMul(b)
          .add(tf.ones([3]))
          .square()
          .sum();
      })(x);
    const { cpu, wasm } = await onBoth([4, 6], "float32", f);
    assertSame(wasm, cpu, 1e-4, "grad");
    const before = tf.memory().numTensors;
    const x = tf.ones([4, 6]);
    f(x).dispose();
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
