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
