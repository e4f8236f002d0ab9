import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { generate, chooseToken, resolveSampleConfig } from "../../lib/sampling";
import { tokenLogProbs } from "../../lib/rl";
import { expectClose } from "../helpers/expect";
import { tinyModel, charCodec } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const prompts = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8],
];

test("same seed → same completions; another seed → different ones", async () => {
  const m = tinyModel("llama", 1);
  const a = await generate(m, prompts, { seed: 5, numGenerations: 3, maxNewTokens: 6 });
  const b = await generate(m, prompts, { seed: 5, numGenerations: 3, maxNewTokens: 6 });
  const c = await generate(m, prompts, { seed: 6, numGenerations: 3, maxNewTokens: 6 });
  assert.deepEqual(a.completionIds, b.completionIds);
  assert.notDeepEqual(a.completionIds, c.completionIds);
  assert.deepEqual(a.promptIndex, [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  m.dispose();
});

test("sampled log-probs (KV cache) equal a full re-forward of prompt + completion", async () => {
  for (const family of ["llama", "gpt2", "qwen2"] as const) {
    const m = tinyModel(family, 2, family === "qwen2" ? { qkvBias: true } : {});
    const temperature = 0.7;
    const g = await generate(m, prompts, { seed: 1, numGenerations: 2, maxNewTokens: 8, temperature });
    g.completionIds.forEach((c, row) => {
      const p = g.promptIds[row];
      const full = [...p, ...c];
      const lp = tf.tidy(() => {
        const ids = tf.tensor2d(full, [1, full.length], "int32");
        const logits = m.forward(ids).slice([0, 0, 0], [1, full.length - 1, -1]) as tf.Tensor3D;
        return Array.from(tokenLogProbs(logits, ids.slice([0, 1], [1, -1]) as tf.Tensor2D, temperature).dataSync());
      });
      expectClose(g.logprobs[row], lp.slice(p.length - 1), { atol: 1e-4, what: `${family} row ${row} logprobs` });
    });
    m.dispose();
  }
});

test("temperature 0 is greedy and equals top-k = 1", async () => {
  const m = tinyModel("llama", 3);
  const greedy = await generate(m, prompts, { temperature: 0, maxNewTokens: 5 });
  const top1 = await generate(m, prompts, { topK: 1, maxNewTokens: 5, seed: 9 });
  assert.deepEqual(greedy.completionIds, top1.completionIds);
  // Greedy continuation is the argmax of a full forward at every step.
  const full = [...prompts[0], ...greedy.completionIds[0]];
  const argmaxes = tf.tidy(() =>
    Array.from(
      m
        .forward(tf.tensor2d(full, [1, full.length], "int32"))
        .argMax(-1)
        .dataSync(),
    ),
  );
  assert.deepEqual(greedy.completionIds[0], argmaxes.slice(prompts[0].length - 1, full.length - 1));
  m.dispose();
});

test("stop tokens end a completion (kept, not truncated); maxNewTokens truncates", async () => {
  const m = tinyModel("llama", 4);
  const free = await generate(m, [[1, 2]], { seed: 0, maxNewTokens: 12, numGenerations: 4 });
  const stopTok = free.completionIds[0][2];
  const g = await generate(m, [[1, 2]], { seed: 0, maxNewTokens: 12, numGenerations: 4, stopTokenIds: [stopTok] });
  assert.deepEqual(g.completionIds[0], free.completionIds[0].slice(0, free.completionIds[0].indexOf(stopTok) + 1));
  assert.equal(g.truncated[0], false);
  g.completionIds.forEach((c, i) => {
    const stopped = c.includes(stopTok);
    assert.equal(g.truncated[i], !stopped);
    if (stopped) assert.equal(c.indexOf(stopTok), c.length - 1);
    else assert.equal(c.length, 12);
    assert.equal(g.lengths[i], c.length);
  });
  m.dispose();
});

test("stop strings cut the decoded text after the match", async () => {
  const m = tinyModel("llama", 5);
  const free = await generate(m, [[1, 2]], { seed: 3, maxNewTokens: 10 }, { tokenizer: charCodec });
  const text = free.completions![0];
  const stop = text.slice(3, 5);
  const g = await generate(m, [[1, 2]], { seed: 3, maxNewTokens: 10, stopStrings: [stop] }, { tokenizer: charCodec });
  assert.equal(g.completions![0], text.slice(0, text.indexOf(stop) + stop.length));
  assert.equal(g.truncated[0], false);
  m.dispose();
});

test("generate leaks no tensors", async () => {
  const m = tinyModel("gpt2", 6);
  await generate(m, prompts, { seed: 0, maxNewTokens: 4, numGenerations: 2 });
  const before = tf.memory().numTensors;
  await generate(m, prompts, { seed: 1, maxNewTokens: 4, numGenerations: 2 });
  await generate(m, prompts, { seed: 2, maxNewTokens: 4, stopTokenIds: [0, 1, 2, 3] });
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});

test("chooseToken: hand-worked top-k / top-p", () => {
  const logp = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
  assert.equal(chooseToken(logp, 0, 1, 0.49), 0);
  assert.equal(chooseToken(logp, 0, 1, 0.51), 1);
  assert.equal(chooseToken(logp, 0, 1, 0.96), 3);
  // top-p 0.75 keeps {0, 1} (0.5 + 0.3 ≥ 0.75), renormalised to 0.625 / 0.375.
  assert.equal(chooseToken(logp, 0, 0.75, 0.62), 0);
  assert.equal(chooseToken(logp, 0, 0.75, 0.63), 1);
  assert.equal(chooseToken(logp, 0, 0.75, 0.999), 1);
  // top-k 3 renormalises over 0.95: u = 0.99 → token 2.
  assert.equal(chooseToken(logp, 3, 1, 0.99), 2);
});

test("config errors name the field, the value and the rule", async () => {
  assert.throws(() => resolveSampleConfig({ topP: 0 }), /SampleConfig.topP must be in \(0, 1\].*got 0/);
  assert.throws(() => resolveSampleConfig({ numGenerations: 0 }), /numGenerations must be an integer ≥ 1; got 0/);
  const m = tinyModel("llama", 7);
  await assert.rejects(generate(m, [[1, 99]]), /prompts\[0\] has token 99 outside the vocabulary \[0, 32\)/);
  await assert.rejects(generate(m, [[1]], { maxNewTokens: 64 }), /maxPositions 64/);
  m.dispose();
});

test("chooseToken: logits without probability mass (all NaN, or all −∞) are an error, not token 0", () => {
  const nan = new Float32Array(4).fill(NaN);
  assert.throws(() => chooseToken(nan, 0, 1, 0.5), /chooseToken: logp has no probability mass to sample \(4 of 4 entries NaN/);
  assert.throws(() => chooseToken(nan, 2, 0.9, 0.5), /no probability mass/);
  assert.throws(() => chooseToken(new Float32Array(3).fill(-Infinity), 0, 1, 0.5), /0 of 3 entries NaN, the rest −∞/);
  assert.equal(chooseToken(Float32Array.from([Math.log(0.25), Math.log(0.75)]), 0, 1, 0.5), 1);
});
