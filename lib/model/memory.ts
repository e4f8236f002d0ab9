// Memory estimates of a model's tensors, for checkFits before allocating them.
import type { ModelConfig } from "./config";
import { paramSpecs } from "./params";

/** Parameters of a model of this config (every tensor of paramSpecs). */
export function paramCount(c: ModelConfig): number {
  return paramSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Lower bound of sampling `sequences` completions of `positions` tokens at once (float32): the KV cache
 * (2 · nLayers · nKvHeads · headDim per position) plus one step's logits [sequences, V].
 */
export function generationBytes(c: ModelConfig, sequences: number, positions: number): number {
  return 4 * sequences * (positions * 2 * c.nLayers * c.nKvHeads * c.headDim + c.vocabSize);
}

/**
 * Floats the activations of one training step over `batch` windows of `context` tokens take at its peak, per
 * token: 88·D + 12·F + 8·H·T per layer (the tape's intermediates and their gradients: norms, projections,
 * RoPE, attention scores and probabilities, the MLP) plus 16·V (logits, log-softmax, their gradients).
 * Coefficients fitted to tf.profile's peak bytes of a llama pretraining step on the wasm backend (12 shapes,
 * every one within 3% of the fit), rounded up.
 */
export function activationFloats(c: ModelConfig, batch: number, context: number): number {
  const perLayer = 88 * c.dModel + 12 * c.dFF + 8 * c.nHeads * context;
  return batch * context * (c.nLayers * perLayer + 16 * c.vocabSize);
}

/**
 * Bytes of one training step at its peak (float32): the weights and AdamW's two moments, the gradients and
 * their clipped copies (≈ 6 × the parameters in all, fitted as activationFloats), plus activationFloats.
 */
export function trainingBytes(c: ModelConfig, batch: number, context: number): number {
  return 4 * (6 * paramCount(c) + activationFloats(c, batch, context));
}
