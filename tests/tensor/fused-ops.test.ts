import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { adamWUpdate, geluNew, layerNorm, rmsNorm, siluMul } from "../../lib/tensor/fused-ops";
import { fusedKernelsActive, registerFusedKernels, unregisterFusedKernels } from "../../lib/tensor/wasm/fused-kernels";
import { simdKernels, useSimdKernels } from "../../lib/tensor/wasm/fused-simd";
import type { WasmBackend } from "../../lib/tensor/wasm/override";
import { expectClose } from "../helpers/expect";
import { seededUniform } from "../helpers/seeded";

/** Runs `f` with the fused kernels and with the composed ops (both on wasm); returns both results' values. */
function fusedAndComposed(f: () => tf.Tensor[]): { fused: Float32Array[]; composed: Float32Array[] } {
  const values = () => tf.tidy(() => f().map((t) => t.dataSync().slice() as Float32Array));
  registerFusedKernels();
  assert.equal(fusedKernelsActive(), true);
  const fused = values();
  unregisterFusedKernels();
  const composed = values();
  registerFusedKernels();
  return { fused, composed };
}

const skip = (process.env.RFTLAB_BACKEND ?? "wasm") !== "wasm" && "wasm backend not selected";

// Every case runs twice: SIMD kernels (wasm/fused-simd.ts, the JS loops doing n % 4 tails) and JS loops only.
for (const simd of [true, false])
  describe(`fused wasm kernels (${simd ? "SIMD" : "JS loops"}) equal the composed ops`, { skip }, () => {
    before(async () => {
      await initBackend("wasm");
      useSimdKernels(simd);
    });
    after(() => {
      registerFusedKernels();
      useSimdKernels(true);
    });

    test(simd ? "the SIMD kernels load on this tfjs build" : "the SIMD kernels are off", () => {
      assert.equal(simdKernels(tf.backend() as unknown as WasmBackend) !== null, simd);
    });

    test("gelu_new: values and gradients match a float64 reference (as close as the composed float32 ops)", () => {
      const xs = seededUniform(4099, 3).map((v) => v * 12); // both tails: tanh saturates beyond |u| ≈ 8
      const x = tf.tensor(xs);
      const dy = tf.tensor(seededUniform(4099, 4));
      const { fused, composed } = fusedAndComposed(() => [geluNew(x), tf.grad((t: tf.Tensor) => geluNew(t).mul(dy).sum())(x)]);
      const c = Math.sqrt(2 / Math.PI);
      const t = Array.from(xs, (v) => Math.tanh(c * (v + 0.044715 * v ** 3)));
      const ref = Array.from(xs, (v, i) => 0.5 * v * (1 + t[i]));
      const dys = dy.dataSync();
      const grad = Array.from(xs, (v, i) => dys[i] * (0.5 * (1 + t[i]) + 0.5 * v * (1 - t[i] ** 2) * c * (1 + 3 * 0.044715 * v * v)));
      expectClose(fused[0], ref, { atol: 3e-7, rtol: 3e-7, what: "fused gelu_new vs float64" });
      expectClose(composed[0], ref, { atol: 3e-6, rtol: 3e-6, what: "composed gelu_new vs float64" });
      expectClose(fused[1], grad, { atol: 1e-6, rtol: 1e-6, what: "fused d gelu_new / dx vs float64" });
      expectClose(composed[1], grad, { atol: 1e-4, rtol: 1e-4, what: "composed d gelu_new / dx vs float64" });
      tf.dispose([x, dy]);
    });

    test("layerNorm: values and gradients for x, w and b (rows of 3 to 257 features; 40 rows summed into dw, db)", () => {
      for (const [rows, d] of [
        [5, 3],
        [7, 64],
        [3, 257],
        [40, 8],
      ]) {
        const x = tf.tensor(
          seededUniform(rows * d, 5).map((v, i) => v * 3 + (i % d) * 0.1),
          [rows, d],
        );
        const w = tf.tensor(seededUniform(d, 6).map((v) => 1 + v));
        const b = tf.tensor(seededUniform(d, 7));
        const dy = tf.tensor(seededUniform(rows * d, 8), [rows, d]);
        const { fused, composed } = fusedAndComposed(() => [
          layerNorm(x, w, b, 1e-5),
          ...tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => layerNorm(a, c, e, 1e-5).mul(dy).sum())([x, w, b]),
        ]);
        ["value", "dx", "dw", "db"].forEach((what, i) =>
          expectClose(fused[i], composed[i], { atol: 2e-5, rtol: 1e-4, what: `${what} [${rows}, ${d}]` }),
        );
        tf.dispose([x, w, b, dy]);
      }
    });

    test("rmsNorm: values and gradients for x and w", () => {
      for (const [rows, d] of [
        [5, 3],
        [6, 128],
        [2, 257],
        [40, 8],
      ]) {
        const x = tf.tensor(
          seededUniform(rows * d, 15).map((v, i) => v * 2 + (i % 3) * 0.5),
          [rows, d],
        );
        const w = tf.tensor(seededUniform(d, 16).map((v) => 1 + v));
        const dy = tf.tensor(seededUniform(rows * d, 17), [rows, d]);
        const { fused, composed } = fusedAndComposed(() => [
          rmsNorm(x, w, 1e-6),
          ...tf.grads((a: tf.Tensor, c: tf.Tensor) => rmsNorm(a, c, 1e-6).mul(dy).sum())([x, w]),
        ]);
        ["value", "dx", "dw"].forEach((what, i) =>
          expectClose(fused[i], composed[i], { atol: 2e-5, rtol: 1e-4, what: `${what} [${rows}, ${d}]` }),
        );
        tf.dispose([x, w, dy]);
      }
    });

    test("siluMul: values and gradients match a float64 reference, tails included", () => {
      const gs = seededUniform(3001, 21).map((v) => v * 30);
      const us = seededUniform(3001, 22);
      const dys = seededUniform(3001, 23);
      const [gate, up, dy] = [gs, us, dys].map((a) => tf.tensor(a));
      const { fused, composed } = fusedAndComposed(() => [
        siluMul(gate, up),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => siluMul(a, b).mul(dy).sum())([gate, up]),
      ]);
      const sig = Array.from(gs, (a) => 1 / (1 + Math.exp(-a)));
      const value = Array.from(gs, (a, i) => a * sig[i] * us[i]);
      const dGate = Array.from(gs, (a, i) => dys[i] * us[i] * sig[i] * (1 + a * (1 - sig[i])));
      const dUp = Array.from(gs, (a, i) => dys[i] * a * sig[i]);
      [value, dGate, dUp].forEach((ref, i) => {
        expectClose(fused[i], ref, { atol: 1e-6, rtol: 1e-6, what: `fused output ${i}` });
        expectClose(composed[i], ref, { atol: 1e-4, rtol: 1e-4, what: `composed output ${i}` });
      });
      tf.dispose([gate, up, dy]);
    });

    test("adamWUpdate: θ, m and v after 3 steps equal the composed ops", () => {
      const n = 1000;
      const g = [1, 2, 3].map((s) => tf.tensor(seededUniform(n, s).map((v) => v * 10 ** (s - 2))));
      const run = () => {
        let [theta, m, v] = [tf.tensor(seededUniform(n, 9)), tf.zeros([n]), tf.zeros([n])];
        for (let t = 1; t <= 3; t++) {
          const u = {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 1e-3 / (1 - 0.9 ** t),
            bc2Sqrt: Math.sqrt(1 - 0.999 ** t),
            decay: 1 - 1e-3 * 0.01,
          };
          [theta, m, v] = adamWUpdate(theta, g[t - 1], m, v, u);
        }
        return [theta, m, v];
      };
      const { fused, composed } = fusedAndComposed(run);
      ["θ", "m", "v"].forEach((what, i) => expectClose(fused[i], composed[i], { atol: 1e-7, rtol: 1e-6, what }));
      tf.dispose(g);
    });

    test("sizes that are not multiples of 4 (SIMD prefix + JS tail) and below 4 equal the float64 reference", () => {
      for (const n of [1, 3, 5, 7, 1001]) {
        const xs = seededUniform(n, 30 + n).map((v) => v * 4);
        const x = tf.tensor(xs);
        const up = tf.tensor(seededUniform(n, 31));
        const [gelu, silu] = tf.tidy(() => [geluNew(x), siluMul(x, up)].map((t) => t.dataSync().slice()));
        const c = Math.sqrt(2 / Math.PI);
        const us = up.dataSync();
        expectClose(
          gelu,
          Array.from(xs, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))),
          { atol: 3e-7, rtol: 3e-7, what: `gelu_new n=${n}` },
        );
        expectClose(
          silu,
          Array.from(xs, (v, i) => (v / (1 + Math.exp(-v))) * us[i]),
          { atol: 1e-6, rtol: 1e-6, what: `siluMul n=${n}` },
        );
        const [theta, m, v] = tf.tidy(() =>
          adamWUpdate(x, up, x, up.abs(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1e-3, bc2Sqrt: 0.1, decay: 0.99 }).map((t) =>
            t.dataSync().slice(),
          ),
        );
        const m1 = Array.from(xs, (xv, i) => xv * 0.9 + us[i] * 0.1);
        const v1 = Array.from(us, (g) => Math.abs(g) * 0.999 + g * g * 0.001);
        expectClose(m, m1, { atol: 1e-7, rtol: 1e-6, what: `AdamW m n=${n}` });
        expectClose(v, v1, { atol: 1e-7, rtol: 1e-6, what: `AdamW v n=${n}` });
        expectClose(
          theta,
          Array.from(xs, (xv, i) => xv * 0.99 - (m1[i] / (Math.sqrt(v1[i]) / 0.1 + 1e-8)) * 1e-3),
          { atol: 1e-7, rtol: 1e-6, what: `AdamW θ n=${n}` },
        );
        tf.dispose([x, up]);
      }
    });

    test("no leaks: fused forward + backward leave the tensor and buffer counts unchanged", () => {
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const x = tf.tensor(seededUniform(64, 1), [4, 16]);
      const w = tf.ones([16]);
      const b = tf.zeros([16]);
      const [tensors, ids] = [tf.memory().numTensors, backend.numDataIds()];
      for (let i = 0; i < 3; i++) {
        tf.dispose(tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => geluNew(layerNorm(a, c, e, 1e-5)).sum())([x, w, b]));
        tf.dispose(tf.grads((a: tf.Tensor, c: tf.Tensor) => siluMul(rmsNorm(a, c, 1e-6), a).sum())([x, w]));
        tf.dispose(adamWUpdate(x, x, x, x, { beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1e-3, bc2Sqrt: 0.1, decay: 1 }));
      }
      assert.equal(tf.memory().numTensors, tensors);
      assert.equal(backend.numDataIds(), ids);
      tf.dispose([x, w, b]);
    });
  });

// The multi-threaded tfjs build has a shared memory, which the SIMD module imports differently: the same
// cases in a child process with two wasm threads (skipped inside that child and when threads are already set).
test("the fused kernels under RFTLAB_WASM_THREADS=2", {
  skip: skip || (process.env.RFTLAB_WASM_THREADS !== undefined && "threads already set"),
}, () => {
  // Without NODE_TEST_CONTEXT, else node:test in the child skips as a recursive run.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawnSync(process.execPath, ["--test-reporter=tap", __filename], {
    env: { ...env, RFTLAB_WASM_THREADS: "2", RFTLAB_QUIET: "1" },
    encoding: "utf8",
  });
  assert.equal(child.status, 0, `child test run failed:\n${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /# pass 16\n/, child.stdout);
});
