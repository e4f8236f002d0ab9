import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { sftGradient } from "../../lib/rl";
import { assignWeights } from "../../lib/peft";
import { weightsFromModel } from "../../lib/analysis";
import { RftlabError } from "../../lib/errors";
import { tinyModel, charCodec } from "../helpers/tiny-model";
import { expectClose } from "../helpers/expect";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const rows = Array.from({ length: 6 }, (_, i) => ({ prompt: `${i % 5}+${(i * 3) % 5}=`, completion: `${(i % 5) + ((i * 3) % 5)}` }));

test("sftGradient matches central finite differences of its own loss on the largest entries; no step, no leak", async () => {
  const model = tinyModel("llama", 41);
  const w0 = weightsFromModel(model);
  const before = tf.memory().numTensors;
  const { loss, grads } = await sftGradient(model, charCodec, rows);
  assert.equal(tf.memory().numTensors, before, "tensors left behind");
  assert.deepEqual([...grads.keys()], [...model.params.keys()]);
  for (const [name, w] of weightsFromModel(model)) assert.deepEqual(w.data, w0.get(name)!.data, `${name} changed`);
  const entries = [...grads].flatMap(([name, g]) => Array.from(g.data, (v, i) => ({ name, i, v })));
  entries.sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
  // h = 2e-3: float32 rounding of a loss ≈ 3 costs ≈ 2e-4 in the quotient; the O(h²) term was 0.015 at h = 1e-2, so ≈ 6e-4 here.
  const h = 2e-3;
  const lossAt = async (name: string, i: number, dx: number) => {
    const w = new Map([...w0].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    w.get(name)!.data[i] += dx;
    assignWeights(model, w);
    return (await sftGradient(model, charCodec, rows)).loss;
  };
  for (const e of entries.slice(0, 6)) {
    const fd = ((await lossAt(e.name, e.i, h)) - (await lossAt(e.name, e.i, -h))) / (2 * h);
    expectClose(e.v, fd, { atol: 2e-3, rtol: 1e-2, what: `∂L/∂${e.name}[${e.i}]` });
  }
  assignWeights(model, w0);
  expectClose((await sftGradient(model, charCodec, rows)).loss, loss, { atol: 1e-6, what: "loss after restoring θ" });
  model.dispose();
});

test("sftGradient: micro-batching does not change the loss or the gradient; empty rows are refused", async () => {
  const model = tinyModel("llama", 42);
  const whole = await sftGradient(model, charCodec, rows);
  const split = await sftGradient(model, charCodec, rows, { microBatchSize: 2 });
  expectClose(split.loss, whole.loss, { atol: 1e-6, what: "loss" });
  for (const [name, g] of whole.grads) expectClose(split.grads.get(name)!.data, g.data, { atol: 1e-6, what: name });
  await assert.rejects(() => sftGradient(model, charCodec, []), RftlabError);
  await assert.rejects(() => sftGradient(model, charCodec, rows, { microBatchSize: 0 }), /microBatchSize/);
  model.dispose();
});
