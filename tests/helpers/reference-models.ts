// The tiny Hugging Face checkpoints the model tests compare against PyTorch (transformer and WebGPU tests).
import { tf } from "../../lib/tensor/tf";
import type { Transformer } from "../../lib/model";
import { referenceScript, runPython } from "./python";

const TOKENS = [
  [3, 17, 42, 0, 5, 9, 33],
  [50, 1, 1, 28, 44, 12, 7],
];

/** Tiny HF configs covering each family's features (checkpoints made by tests/reference/model-forward.py). */
export const REFERENCE_CASES: {
  name: string;
  config: Record<string, unknown>;
  dtype: string;
  prefix?: string;
  buffers?: boolean;
  shards?: number;
}[] = [
  {
    name: "gpt2 (transformer. prefix, attn.bias buffers, f32)",
    config: {
      model_type: "gpt2",
      vocab_size: 61,
      n_embd: 32,
      n_layer: 2,
      n_head: 4,
      n_positions: 16,
      n_inner: null,
      layer_norm_epsilon: 1e-5,
      activation_function: "gelu_new",
      bos_token_id: 0,
      eos_token_id: 0,
    },
    dtype: "F32",
    prefix: "transformer.",
    buffers: true,
  },
  {
    name: "qwen2 (q/k/v biases, GQA 6/2, untied head, sharded f32)",
    config: {
      model_type: "qwen2",
      vocab_size: 67,
      hidden_size: 48,
      intermediate_size: 80,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      tie_word_embeddings: false,
      hidden_act: "silu",
      use_sliding_window: false,
    },
    dtype: "F32",
    shards: 2,
  },
  {
    name: "llama (bf16, tied, GQA 4/2, head_dim 16, llama3 rope scaling)",
    config: {
      model_type: "llama",
      vocab_size: 53,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      max_position_embeddings: 64,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      tie_word_embeddings: true,
      hidden_act: "silu",
      attention_bias: false,
      rope_scaling: { rope_type: "llama3", factor: 4, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
    },
    dtype: "BF16",
  },
];

export function clampTokens(vocab: number): number[][] {
  return TOKENS.map((r) => r.map((t) => t % vocab));
}

/** The model's logits for `tokens` [B, T], read asynchronously (WebGPU has no synchronous read in Node). */
export async function logitsOf(m: Transformer, tokens: number[][]): Promise<Float32Array> {
  const ids = tf.tensor2d(tokens, undefined, "int32");
  const out = m.forward(ids);
  const data = (await out.data()) as Float32Array;
  ids.dispose();
  out.dispose();
  return data;
}

/** PyTorch writes case `c`'s checkpoint (seed 7) into `dir` and returns its logits for `tokens` [B, T]. */
export function makeReferenceCheckpoint(c: (typeof REFERENCE_CASES)[number], dir: string, tokens: number[][]): { logits: number[][][] } {
  return runPython<{ logits: number[][][] }>(referenceScript("model-forward.py"), {
    op: "make",
    dir,
    config: c.config,
    seed: 7,
    dtype: c.dtype,
    prefix: c.prefix ?? "",
    buffers: c.buffers ?? false,
    shards: c.shards ?? 1,
    tokens,
  });
}
