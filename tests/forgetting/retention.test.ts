// General-ability retention (lib/forgetting/retention.ts): tokenKl, klToBase, retention.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { tokenKl, klToBase, retention } from "../../lib/forgetting";
import { corpusLoss } from "../../lib/model";
import { generate } from "../../lib/sampling";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";
import { tinyModel, charCodec } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const codec = { encode: (s: string) => charCodec.encode(s), decode: (ids: number[]) => charCodec.decode(ids), eosId: 31 };
const prompts = ["1+2=", "12+30=", "ab", "5+1="];
const STOP = charCodec.alphabet.indexOf("<");
const kl = { maxNewTokens: 6, stopTokenIds: [STOP], stopStrings: [], seed: 3, batchSize: 3 };

test("tokenKl by hand: p = (1/2, 1/2), q = (3/4, 1/4) gives ½·ln(4/3); equal rows (up to a shift) give 0", () => {
  const p = tf.tensor3d([
    [
      [0, 0],
      [1, 2],
    ],
  ]); // [1, 2, 2]
  const q = tf.tensor3d([
    [
      [Math.log(3), 0],
      [5, 6],
    ],
  ]);
  const k = tokenKl(p, q);
  assert.deepEqual(k.shape, [1, 2]);
  expectClose(k.dataSync(), [0.5 * Math.log(4 / 3), 0], { atol: 1e-6, what: "kl" });
  assert.throws(() => tokenKl(p, tf.zeros([1, 2, 3]) as tf.Tensor3D), /tokenKl: logitsP \[1,2,2\] and logitsQ \[1,2,3\]/);
  tf.dispose([p, q, k]);
});

test("klToBase of a model with itself is 0", async () => {
  const m = tinyModel("llama", 1);
  const r = await klToBase(m, m, prompts.map(codec.encode), kl);
  assert.ok(Math.abs(r.meanKl) <= 1e-6, `meanKl ${r.meanKl}`);
  assert.ok(r.tokens >= prompts.length, `tokens ${r.tokens}`);
  assert.equal(r.completions, prompts.length);
  m.dispose();
});

test("klToBase equals an unbatched per-row reference on π_ft's own samples (stop token counted, padding not)", async () => {
  const ft = tinyModel("llama", 1);
  const base = tinyModel("llama", 2);
  const ids = prompts.map(codec.encode);
  const got = await klToBase(ft, base, ids, kl);
  const g = await generate(ft, ids, { temperature: 1, maxNewTokens: 6, stopTokenIds: [STOP], seed: 3 });
  let sum = 0;
  let n = 0;
  g.completionIds.forEach((c, i) => {
    const seq = [...g.promptIds[i], ...c];
    const x = tf.tensor2d([seq], [1, seq.length], "int32");
    const [lp, lq] = tf.tidy(() => [ft, base].map((m) => tf.logSoftmax(m.forward(x)).arraySync() as number[][][]));
    x.dispose();
    for (let t = g.promptIds[i].length - 1; t < seq.length - 1; t++) {
      sum += lp[0][t].reduce((s, a, v) => s + Math.exp(a) * (a - lq[0][t][v]), 0);
      n++;
    }
  });
  assert.equal(got.tokens, n);
  expectClose(got.meanKl, sum / n, { rtol: 1e-4, what: "meanKl" });
  assert.ok(got.meanKl > 0);
  ft.dispose();
  base.dispose();
});

test("retention: corpus loss, perplexity = exp(loss), KL to base; errors name the argument", async () => {
  const ft = tinyModel("llama", 1);
  const corpus = ["abcdefgh", "ijklmnop", "1+2=3<"];
  const r = await retention(ft, ft, { codec, corpus, prompts, corpusOptions: { contextLength: 4 }, kl });
  expectClose(r.corpusLoss, await corpusLoss(ft, codec, corpus, { contextLength: 4 }), { atol: 1e-9, what: "corpusLoss" });
  expectClose(r.corpusPerplexity, Math.exp(r.corpusLoss), { rtol: 1e-12, what: "perplexity" });
  assert.ok(Math.abs(r.klToBase) <= 1e-6);
  const other = tinyModel("llama", 2, { vocabSize: 40 });
  await assert.rejects(
    klToBase(ft, other, [[1, 2]], kl),
    (e: unknown) => e instanceof RftlabError && /vocabulary \(32\) differs from the base's \(40\)/.test(e.message),
  );
  await assert.rejects(klToBase(ft, ft, [[1, 2]], { batchSize: 0 }), /batchSize must be an integer ≥ 1; got 0/);
  ft.dispose();
  other.dispose();
});

test("tokenKl, klToBase and retention leak no tensors", async () => {
  const ft = tinyModel("llama", 1);
  const base = tinyModel("llama", 2);
  const before = tf.memory().numTensors;
  const [p, q] = [tf.randomNormal([2, 3, 32]) as tf.Tensor3D, tf.randomNormal([2, 3, 32]) as tf.Tensor3D];
  tf.dispose([tokenKl(p, q), p, q]);
  await klToBase(ft, base, prompts.map(codec.encode), kl);
  await retention(ft, base, { codec, corpus: ["abcdefgh", "ijklmnop"], prompts, corpusOptions: { contextLength: 4 }, kl });
  assert.equal(tf.memory().numTensors, before);
  ft.dispose();
  base.dispose();
});
