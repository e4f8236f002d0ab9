// Held-out corpus loss (lib/model/corpus-loss.ts).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { corpusLoss } from "../../lib/model";
import { nextTokenLoss } from "../../lib/model/pretrain";
import { expectClose } from "../helpers/expect";
import { tinyModel, charCodec } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const codec = { encode: (s: string) => charCodec.encode(s), eosId: 31 };

test("corpusLoss equals nextTokenLoss over consecutive windows of the eos-joined stream", async () => {
  const model = tinyModel("llama", 1);
  const docs = ["abc", "1+2=3", "hello", "ponmlk"];
  const stream = docs.flatMap((d) => [codec.eosId, ...codec.encode(d)]); // 23 tokens → 5 windows of 4
  const T = 4;
  const n = Math.floor((stream.length - 1) / T);
  const x = tf.tensor2d(stream.slice(0, n * T), [n, T], "int32");
  const y = tf.tensor2d(stream.slice(1, n * T + 1), [n, T], "int32");
  const want = tf.tidy(() => nextTokenLoss(model.forward(x), y).dataSync()[0]);
  tf.dispose([x, y]);
  expectClose(await corpusLoss(model, codec, docs, { contextLength: T, batchSize: 2 }), want, { rtol: 1e-5, what: "corpusLoss" });
  await assert.rejects(corpusLoss(model, codec, ["a"], { contextLength: T }), /fewer than contextLength/);
  model.dispose();
});

test("corpusLoss leaks no tensors", async () => {
  const model = tinyModel("llama", 4);
  const before = tf.memory().numTensors;
  await corpusLoss(model, codec, ["abcdefgh", "ijklmnop"], { contextLength: 4 });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
