import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tf, initBackend } from "../../lib/tensor";
import { policyGradientTrain, toprTrain, type GrpoConfigInput, type PolicyObjective } from "../../lib/rl";
import { tinyModel, charCodec, tinyPrompts, digitShare } from "../helpers/tiny-model";
import { expectClose } from "../helpers/expect";
import { tmpDir } from "../helpers/tmp";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

/**
 * Plain REINFORCE written here, outside the library: per sequence −R·Σ_t m·logπ, mean over the micro-batch,
 * each micro-batch weighted by its share of rows. No ratio, no clipping, no baseline.
 */
const reinforce: PolicyObjective = {
  name: "reinforce-test",
  microBatchLoss: ({ logp, mask, rewards }) =>
    tf.tidy(() => {
      const R = tf.tensor1d(rewards); // [n]
      const seqLogp = logp.mul(mask).sum(1); // [n]
      return { loss: R.mul(seqLogp).neg().mean() as tf.Scalar, metrics: { "reinforce/mean_reward": R.mean() as tf.Scalar } };
    }),
  microBatchWeight: (mb, step) => mb.rows.length / step.rows,
};

// Rewards ≥ 0 (a digit share in [0, 1]), so TOPR's taper α is 1 everywhere and TOPR is exactly this REINFORCE.
const rewards = [{ name: "digits", fn: digitShare }];
const config: GrpoConfigInput = {
  steps: 2,
  promptsPerStep: 2,
  numGenerations: 4,
  lr: 1e-2,
  microBatchSize: 3,
  seed: 5,
  sampling: { maxNewTokens: 4 },
};

test("a custom objective value trains through the same loop: REINFORCE equals TOPR on non-negative rewards", async () => {
  const a = tinyModel("llama", 21);
  const b = tinyModel("llama", 21);
  const runDir = path.join(tmpDir(), "run");
  const numTensors = tf.memory().numTensors;
  const mine = await policyGradientTrain(
    { model: a, tokenizer: charCodec, data: tinyPrompts, rewards, config, options: { runDir } },
    reinforce,
  );
  assert.equal(tf.memory().numTensors, numTensors, "the loop frees what the objective returned");
  const topr = await toprTrain({ model: b, tokenizer: charCodec, data: tinyPrompts, rewards, config });
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, "config.json"), "utf8")).trainer, "reinforce-test");
  for (let s = 0; s < 2; s++) {
    expectClose(mine.history[s].loss, topr.history[s].loss, { atol: 1e-6, rtol: 1e-5, what: `loss at step ${s + 1}` });
    expectClose(mine.history[s].grad_norm, topr.history[s].grad_norm, { atol: 1e-6, rtol: 1e-5, what: `grad_norm at step ${s + 1}` });
    assert.equal(topr.history[s]["topr/alpha_mean"], 1);
    assert.ok(mine.history[s]["reinforce/mean_reward"] >= 0 && Number.isFinite(mine.history[s].entropy));
  }
  for (const [name, v] of a.params) expectClose(v.dataSync(), b.params.get(name)!.dataSync(), { atol: 1e-6, what: name });
  a.dispose();
  b.dispose();
});
