import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { completionAccuracy, assignWeights } from "../../lib/peft";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";
import { tinyModel, charCodec } from "../helpers/tiny-model";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

const codec = { encode: (s: string) => charCodec.encode(s), eosId: 31 };
const rows = [
  { prompt: "1+2=", completion: "3" },
  { prompt: "12+30=", completion: "42<" },
  { prompt: "ab", completion: "cde" },
];

/** Per-row reference without padding or batching: argmax hits, exact match, summed NLL. */
function reference(model: ReturnType<typeof tinyModel>, r: { prompt: string; completion: string }) {
  const p = codec.encode(r.prompt);
  const ids = [...p, ...codec.encode(r.completion)];
  const lp = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([ids], [1, ids.length], "int32"))).arraySync() as number[][][]);
  let hits = 0;
  let nll = 0;
  for (let t = p.length; t < ids.length; t++) {
    const row = lp[0][t - 1];
    hits += row.indexOf(Math.max(...row)) === ids[t] ? 1 : 0;
    nll -= row[ids[t]];
  }
  return { hits, nll, n: ids.length - p.length };
}

test("completionAccuracy matches an unbatched per-row reference (padding and batching do not matter)", async () => {
  const model = tinyModel("llama", 3);
  const got = await completionAccuracy(model, codec, rows, 2);
  const refs = rows.map((r) => reference(model, r));
  const tokens = refs.reduce((a, r) => a + r.n, 0);
  expectClose(got.tokenAccuracy, refs.reduce((a, r) => a + r.hits, 0) / tokens, { atol: 1e-12, what: "tokenAccuracy" });
  expectClose(got.exactMatch, refs.filter((r) => r.hits === r.n).length / rows.length, { atol: 1e-12, what: "exactMatch" });
  expectClose(got.nll, refs.reduce((a, r) => a + r.nll, 0) / tokens, { rtol: 1e-5, what: "nll" });
  model.dispose();
});

test("completionAccuracy: the model's own greedy continuation is an exact match", async () => {
  const model = tinyModel("llama", 5);
  const ids = codec.encode("7+8=");
  for (let i = 0; i < 3; i++) {
    const next = tf.tidy(
      () =>
        model
          .forward(tf.tensor2d([ids], [1, ids.length], "int32"))
          .slice([0, ids.length - 1, 0], [1, 1, -1])
          .argMax(-1)
          .dataSync()[0],
    );
    ids.push(next);
  }
  const completion = charCodec.decode(ids.slice(4));
  const got = await completionAccuracy(model, codec, [{ prompt: "7+8=", completion }]);
  assert.equal(got.exactMatch, 1);
  assert.equal(got.tokenAccuracy, 1);
  await assert.rejects(completionAccuracy(model, codec, []), RftlabError);
  model.dispose();
});

test("assignWeights copies weights in and rejects a shape mismatch", () => {
  const a = tinyModel("llama", 1);
  const b = tinyModel("llama", 2);
  const name = "model.layers.0.self_attn.q_proj.weight";
  const w = new Map([[name, { shape: [...a.param(name).shape], data: Float32Array.from(a.param(name).dataSync()) }]]);
  assignWeights(b, w);
  assert.deepEqual(Array.from(b.param(name).dataSync()), Array.from(w.get(name)!.data));
  assert.throws(() => assignWeights(b, new Map([[name, { shape: [1, 2], data: new Float32Array(2) }]])), /assignWeights: .* shape \[1,2\]/);
  a.dispose();
  b.dispose();
});

test("evaluation helpers leak no tensors", async () => {
  const model = tinyModel("llama", 4);
  const before = tf.memory().numTensors;
  await completionAccuracy(model, codec, rows, 2);
  assignWeights(model, new Map([["model.norm.weight", { shape: [16], data: new Float32Array(16).fill(1) }]]));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
