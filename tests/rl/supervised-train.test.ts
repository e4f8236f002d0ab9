import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { sftTrain, dpoTrain, resolveSftConfig } from "../../lib/rl";
import { tinyModel, charCodec } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const sums = Array.from({ length: 12 }, (_, i) => ({ a: i % 5, b: (i * 3) % 5 }));
const sftData = sums.map(({ a, b }) => ({ prompt: `${a}+${b}=`, completion: `${a + b}` }));

test("SFT lowers the completion NLL; tensors stay flat across steps", async () => {
  const model = tinyModel("llama", 21);
  const counts: number[] = [];
  const run = await sftTrain({
    model,
    tokenizer: charCodec,
    data: sftData,
    config: { steps: 30, batchSize: 6, microBatchSize: 4, lr: 1e-2 },
    options: { onStep: () => counts.push(tf.memory().numTensors) },
  });
  const first = run.history.slice(0, 3).reduce((s, m) => s + m.loss, 0) / 3;
  const last = run.history.slice(-3).reduce((s, m) => s + m.loss, 0) / 3;
  assert.ok(last < first - 0.3, `SFT loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  assert.equal(new Set(counts).size, 1, `tensor count per step: ${counts}`);
  model.dispose();
});

test("SFT: micro-batching does not change the update (batch 6 × 1 == 2 × 3 accumulated)", async () => {
  const runWith = async (microBatchSize: number) => {
    const model = tinyModel("gpt2", 22);
    await sftTrain({ model, tokenizer: charCodec, data: sftData, config: { steps: 2, batchSize: 6, microBatchSize, lr: 1e-2 } });
    const w = Array.from(model.param("h.0.attn.c_attn.weight").dataSync());
    model.dispose();
    return w;
  };
  const a = await runWith(6);
  const b = await runWith(2);
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  assert.ok(worst < 1e-5, `max |Δw| = ${worst}`);
});

test("DPO raises the chosen-vs-rejected margin against a frozen reference", async () => {
  const model = tinyModel("llama", 23);
  const ref = tinyModel("llama", 23);
  const data = sums.map(({ a, b }) => ({ prompt: `${a}+${b}=`, chosen: `${a + b}`, rejected: `${(a + b + 1) % 10}` }));
  const run = await dpoTrain({
    model,
    tokenizer: charCodec,
    data,
    reference: (ids) => ref.forward(ids),
    config: { steps: 15, batchSize: 6, lr: 5e-3, dpo: { beta: 0.1 } },
  });
  const h = run.history;
  assert.ok(Math.abs(h[0]["rewards/margins"]) < 1e-4, "step 1: policy == reference");
  assert.ok(h[h.length - 1]["rewards/margins"] > 0.05, `margin ${h[h.length - 1]["rewards/margins"]}`);
  assert.ok(h[h.length - 1].loss < Math.log(2), `loss ${h[h.length - 1].loss}`);
  model.dispose();
  ref.dispose();
});

test("SFT config errors", () => {
  assert.throws(() => resolveSftConfig({ batchSize: 0 }), /SftConfig.batchSize must be an integer ≥ 1; got 0/);
  assert.throws(() => resolveSftConfig({ lr: -1 }), /SftConfig.lr must be a finite number > 0; got -1/);
});
