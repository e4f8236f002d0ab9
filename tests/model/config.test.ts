import { test } from "node:test";
import assert from "node:assert/strict";
import { activationName, configFromHf, configToHf, createModel, resolveModelConfig, type ModelConfig } from "../../lib/model";
import { RftlabError } from "../../lib/errors";

// Excerpts of real config.json files (sizes as published).
const GPT2 = {
  model_type: "gpt2",
  architectures: ["GPT2LMHeadModel"],
  vocab_size: 50257,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_positions: 1024,
  n_ctx: 1024,
  n_inner: null,
  layer_norm_epsilon: 1e-5,
  activation_function: "gelu_new",
  bos_token_id: 50256,
  eos_token_id: 50256,
};
const QWEN25_05B = {
  model_type: "qwen2",
  architectures: ["Qwen2ForCausalLM"],
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  tie_word_embeddings: true,
  hidden_act: "silu",
  use_sliding_window: false,
  sliding_window: 32768,
  bos_token_id: 151643,
  eos_token_id: 151645,
  torch_dtype: "bfloat16",
};
const LLAMA32_1B = {
  model_type: "llama",
  architectures: ["LlamaForCausalLM"],
  vocab_size: 128256,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  hidden_act: "silu",
  attention_bias: false,
  mlp_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
};

test("configFromHf reads GPT-2, Qwen2.5 and Llama 3.2 configs", () => {
  const g = configFromHf(GPT2);
  assert.deepEqual(
    [g.family, g.dModel, g.nLayers, g.nHeads, g.nKvHeads, g.headDim, g.dFF, g.maxPositions, g.tieEmbeddings, g.activation],
    ["gpt2", 768, 12, 12, 12, 64, 3072, 1024, true, "gelu_new"],
  );
  const q = configFromHf(QWEN25_05B);
  assert.deepEqual(
    [q.family, q.headDim, q.nKvHeads, q.dFF, q.ropeTheta, q.qkvBias, q.attnOutBias, q.tieEmbeddings, q.eosTokenId],
    ["qwen2", 64, 2, 4864, 1e6, true, false, true, 151645],
  );
  const l = configFromHf(LLAMA32_1B);
  assert.deepEqual(
    [l.family, l.headDim, l.nKvHeads, l.qkvBias, l.eosTokenId, l.eosTokenIds, l.ropeScaling?.type, l.ropeScaling?.factor],
    ["llama", 64, 8, false, 128001, [128001, 128008, 128009], "llama3", 32],
  );
});

test("configToHf → configFromHf is the identity, and names what transformers needs", () => {
  for (const json of [GPT2, QWEN25_05B, LLAMA32_1B]) {
    const c = configFromHf(json);
    const hf = configToHf(c, "bfloat16");
    assert.equal(hf.model_type, json.model_type);
    assert.deepEqual(hf.architectures, json.architectures);
    assert.equal(hf.torch_dtype, "bfloat16");
    assert.deepEqual(configFromHf(JSON.parse(JSON.stringify(hf))), c);
  }
});

test("resolveModelConfig fills defaults and is JSON-serialisable", () => {
  const c = resolveModelConfig({ family: "llama", vocabSize: 100, dModel: 64, nLayers: 2, nHeads: 4 });
  assert.deepEqual([c.nKvHeads, c.headDim, c.dFF, c.activation, c.qkvBias, c.tieEmbeddings], [4, 16, 256, "silu", false, false]);
  assert.deepEqual(JSON.parse(JSON.stringify(c)) as ModelConfig, c);
});

test("validation errors state the field, the rule and the value", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => resolveModelConfig({ family: "llama", vocabSize: 100, dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 3 }),
      /nKvHeads must divide nHeads = 4 .*got 3/,
    ],
    [() => resolveModelConfig({ family: "gpt2", dModel: 64, nHeads: 5 }), /dModel must equal nHeads·headDim/],
    [() => resolveModelConfig({ family: "llama", dModel: 64, nHeads: 4, nLayers: 0 }), /nLayers must be a positive integer; got 0/],
    [() => resolveModelConfig({ family: "qwen2", qkvBias: false }), /qkvBias must be true for Qwen2/],
    [() => resolveModelConfig({ family: "llama", headDim: 7, dModel: 28, nHeads: 4 }), /headDim must be even for RoPE/],
    [
      () => resolveModelConfig({ family: "llama", vocabSize: 10, eosTokenId: 10 }),
      /eosTokenId must be an integer in \[0, vocabSize = 10\); got 10/,
    ],
    [() => resolveModelConfig({ family: "bert" as never }), /family must be one of gpt2, llama, qwen2; got "bert"/],
    [() => configFromHf({ model_type: "mistral" }, "/m/config.json"), /^\/m\/config\.json: model_type is not supported.*got "mistral"/],
    [() => configFromHf({ ...GPT2, n_head: 0 }, "/g/config.json"), /^\/g\/config\.json: nHeads must be a positive integer; got 0/],
    [() => configFromHf({ ...QWEN25_05B, use_sliding_window: true }), /use_sliding_window is not supported/],
    [
      () => configFromHf({ ...LLAMA32_1B, rope_scaling: { rope_type: "yarn", factor: 4 } }),
      /rope_scaling.rope_type is not supported.*"yarn"/,
    ],
  ];
  for (const [fn, re] of cases) assert.throws(fn, (e: unknown) => e instanceof RftlabError && re.test((e as Error).message), String(re));
});

test("activationName builds TransformerLens names and suggests the closest kind", () => {
  assert.equal(activationName("resid_pre", 3), "blocks.3.hook_resid_pre");
  assert.equal(activationName("pattern", 0), "blocks.0.attn.hook_pattern");
  assert.equal(activationName("mlp_out", 11), "blocks.11.hook_mlp_out");
  assert.equal(activationName("ln1", 2), "blocks.2.ln1.hook_normalized");
  assert.equal(activationName("post", 1), "blocks.1.mlp.hook_post");
  assert.equal(activationName("ln_final"), "ln_final.hook_normalized");
  assert.equal(activationName("embed"), "hook_embed");
  assert.equal(activationName("blocks.4.attn.hook_z"), "blocks.4.attn.hook_z");
  assert.throws(() => activationName("resid_pr", 1), /unknown activation kind "resid_pr" \(did you mean "resid_pre"\?\)/);
  assert.throws(() => activationName("blocks.1.hook_mlp_ot"), /did you mean "blocks\.1\.hook_mlp_out"/);
  assert.throws(() => activationName("pattern"), /needs a layer index/);
  assert.throws(() => activationName("embed", 2), /is not per layer/);
});

test("createModel: a model larger than the backend's memory is an error with the estimate, not a wasm Aborted()", () => {
  const huge = resolveModelConfig({ family: "llama", vocabSize: 512, dModel: 1_000_000, nLayers: 1, nHeads: 8, dFF: 64, maxPositions: 64 });
  assert.throws(
    () => createModel(huge),
    (e: unknown) =>
      e instanceof RftlabError &&
      /^createModel: .* parameters \(dModel 1000000, nLayers 1, vocabSize 512\) needs ≈ .* GiB \(estimate\) but ≈ .* GiB is available/.test(
        e.message,
      ),
  );
});
