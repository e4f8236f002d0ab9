import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { isBlockMatrix, isBuffer, layerIndex, moduleType, weightsFromModel, weightDelta, cloneWeights } from "../../lib/analysis";
import { initBackend, tf } from "../../lib/tensor";

describe("module classification", () => {
  test("Llama/Qwen2 names", () => {
    const cases: [string, string, number | null][] = [
      ["model.embed_tokens.weight", "embed", null],
      ["model.layers.3.self_attn.q_proj.weight", "q", 3],
      ["model.layers.3.self_attn.k_proj.bias", "k", 3],
      ["model.layers.12.self_attn.v_proj.weight", "v", 12],
      ["model.layers.0.self_attn.o_proj.weight", "o", 0],
      ["model.layers.1.mlp.gate_proj.weight", "gate", 1],
      ["model.layers.1.mlp.up_proj.weight", "up", 1],
      ["model.layers.1.mlp.down_proj.weight", "down", 1],
      ["model.layers.1.input_layernorm.weight", "norm", 1],
      ["model.layers.1.post_attention_layernorm.weight", "norm", 1],
      ["model.layers.1.self_attn.q_norm.weight", "norm", 1],
      ["model.norm.weight", "norm", null],
      ["lm_head.weight", "head", null],
    ];
    for (const [name, type, layer] of cases) assert.deepEqual([moduleType(name), layerIndex(name)], [type, layer], name);
  });

  test("GPT-2 names incl. fused c_attn and the transformer. prefix", () => {
    const cases: [string, string, number | null][] = [
      ["wte.weight", "embed", null],
      ["transformer.wpe.weight", "pos_embed", null],
      ["h.2.attn.c_attn.weight", "qkv", 2],
      ["transformer.h.2.attn.c_attn.bias", "qkv", 2],
      ["h.2.attn.c_proj.weight", "o", 2],
      ["h.2.mlp.c_fc.weight", "up", 2],
      ["h.2.mlp.c_proj.weight", "down", 2],
      ["h.2.ln_1.weight", "norm", 2],
      ["transformer.ln_f.bias", "norm", null],
    ];
    for (const [name, type, layer] of cases) assert.deepEqual([moduleType(name), layerIndex(name)], [type, layer], name);
    assert.ok(isBuffer("h.0.attn.bias") && isBuffer("h.0.attn.masked_bias") && !isBuffer("h.0.attn.c_attn.bias"));
    assert.ok(
      isBlockMatrix("h.0.attn.c_attn.weight", [8, 24]) &&
        !isBlockMatrix("lm_head.weight", [8, 8]) &&
        !isBlockMatrix("h.0.ln_1.weight", [8]),
    );
  });
});

describe("weights", () => {
  // weightsFromModel only reads values (dataSync), so any backend shows it; cpu starts no worker threads.
  before(async () => {
    await initBackend("cpu");
  });

  test("weightsFromModel copies variables without leaking tensors", () => {
    const v = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const before = tf.memory().numTensors;
    const w = weightsFromModel({ params: new Map([["model.layers.0.mlp.up_proj.weight", v]]) });
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(w.get("model.layers.0.mlp.up_proj.weight"), { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    w.get("model.layers.0.mlp.up_proj.weight")!.data[0] = 9;
    assert.deepEqual(Array.from(v.dataSync()), [1, 2, 3, 4]);
    v.dispose();
  });

  test("weightDelta and cloneWeights do not share buffers", () => {
    const a = new Map([["x", { shape: [2], data: new Float32Array([1, 2]) }]]);
    const b = new Map([["x", { shape: [2], data: new Float32Array([1.5, 0]) }]]);
    assert.deepEqual(Array.from(weightDelta(a, b).get("x")!.data), [0.5, -2]);
    const c = cloneWeights(a);
    c.get("x")!.data[0] = 7;
    assert.equal(a.get("x")!.data[0], 1);
  });
});
