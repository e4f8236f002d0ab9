// A model saved and loaded back trains bit for bit like the in-memory model it came from (issue 12): tfjs keys
// gradients by variable id, so the global-norm clip sums in variable-creation order, which loadModel must
// make the model's parameter order whatever order the file holds the tensors in.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { tf, initBackend } from "../../lib/tensor";
import { loadModel, saveModel, type Transformer } from "../../lib/model";
import { grpoTrain, sftTrain, type RunResult } from "../../lib/rl";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";
import { tmpDir } from "../helpers/tmp";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const sums = Array.from({ length: 12 }, (_, i) => ({ a: i % 5, b: (i * 3) % 5 }));
const sftData = sums.map(({ a, b }) => ({ prompt: `${a}+${b}=`, completion: `${a + b}` }));

/** Every weight's bits and every metric but the step time. */
function outcome(model: Transformer, run: RunResult) {
  const weights = Object.fromEntries([...model.params].map(([name, v]) => [name, Array.from(new Uint32Array(v.dataSync().buffer))]));
  return { weights, history: run.history.map(({ step_time, ...rest }) => rest) };
}

/** Trains the in-memory model and its saved-and-loaded copy with `train`; returns both outcomes. */
async function twins(train: (m: Transformer) => Promise<RunResult>) {
  // 11 layers: the file sorts "model.layers.10" before "model.layers.2", and "lm_head" before every other name.
  const model = tinyModel("llama", 31, { nLayers: 11 });
  const dir = path.join(tmpDir(), "model");
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  try {
    assert.deepEqual([...loaded.params.keys()], [...model.params.keys()]);
    const a = outcome(model, await train(model));
    const b = outcome(loaded, await train(loaded));
    return [a, b];
  } finally {
    model.dispose();
    loaded.dispose();
  }
}

test("loadModel creates its variables in the model's parameter order", async () => {
  const model = tinyModel("gpt2", 32, { nLayers: 11 });
  const dir = path.join(tmpDir(), "model");
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  // Variable names are tfjs's creation counter: increasing along the parameter order means created in that order.
  const ids = [...loaded.params.values()].map((v) => Number(v.name));
  assert.deepEqual(
    ids,
    [...ids].sort((x, y) => x - y),
    "variable ids along the parameter order",
  );
  model.dispose();
  loaded.dispose();
});

test("SFT from a reloaded model: bit-identical weights and metrics (gradient clipping active)", async () => {
  const [a, b] = await twins((model) =>
    sftTrain({
      model,
      tokenizer: charCodec,
      data: sftData,
      config: { steps: 4, batchSize: 6, microBatchSize: 3, lr: 1e-2, maxGradNorm: 0.1 },
    }),
  );
  assert.ok(
    a.history.every((m) => m.grad_norm > 0.1),
    "every step is clipped",
  );
  assert.deepEqual(b.history, a.history);
  assert.deepEqual(b.weights, a.weights);
});

test("GRPO from a reloaded model: bit-identical weights and metrics", async () => {
  const before0 = tf.memory().numTensors;
  const [a, b] = await twins((model) =>
    grpoTrain({
      model,
      tokenizer: charCodec,
      data: tinyPrompts,
      rewards: [{ name: "digits", fn: digitShare }],
      config: { steps: 3, promptsPerStep: 2, numGenerations: 4, lr: 1e-2, maxGradNorm: 0.1, sampling: { maxNewTokens: 4 } },
    }),
  );
  assert.deepEqual(b.history, a.history);
  assert.deepEqual(b.weights, a.weights);
  assert.equal(tf.memory().numTensors, before0);
});
