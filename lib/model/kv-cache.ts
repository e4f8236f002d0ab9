import type { tf } from "../tensor/tf";

/**
 * Keys and values of past positions for incremental decoding, per layer [B, Hkv, S, hd] (after RoPE).
 * Transformer.forward appends to it; the cache owns its tensors until dispose().
 */
export class KVCache {
  readonly batch: number;
  readonly maxLen: number;
  /** Positions stored so far (S); the next forward's first position. */
  length = 0;
  /** Per layer; empty until the first forward. */
  layers: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];

  constructor(batch: number, maxLen: number) {
    this.batch = batch;
    this.maxLen = maxLen;
  }

  /** Swaps in the layers of a forward that appended `added` positions, freeing the previous ones. */
  update(layers: { k: tf.Tensor4D; v: tf.Tensor4D }[], added: number): void {
    for (const { k, v } of this.layers) {
      k.dispose();
      v.dispose();
    }
    this.layers = layers;
    this.length += added;
  }

  dispose(): void {
    this.update([], -this.length);
  }

  toString(): string {
    return `KVCache: batch ${this.batch}, ${this.length}/${this.maxLen} positions, ${this.layers.length} layers`;
  }
}
