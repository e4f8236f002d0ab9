import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { tokenIds } from "../model/token-ids";

/** prompt+completion sequences right-padded into one batch (causal attention makes right padding harmless). */
export interface PackedBatch {
  /** [N, L] int32 token ids, padded with `padId`. */
  ids: tf.Tensor2D;
  /** [N, L−1] float32: 1 where position t predicts a completion token ids[:, t+1]. */
  mask: tf.Tensor2D;
  /** Completion tokens per row. */
  lengths: number[];
  /** Σ mask. */
  activeTokens: number;
}

/**
 * Packs rows into next-token form: logits[:, :-1] predict ids[:, 1:], and the mask keeps the completion
 * positions (spec/algorithms.md "Sampling"). `values` (one array per row, aligned with the completion
 * tokens, e.g. sampler log-probs) are laid out the same way as an extra [N, L−1] tensor.
 */
export function packSequences(prompts: number[][], completions: number[][], padId = 0): PackedBatch {
  if (prompts.length !== completions.length || prompts.length === 0) {
    throw new RftlabError(`packSequences: need as many prompts as completions (≥ 1); got ${prompts.length} and ${completions.length}`);
  }
  const N = prompts.length;
  const L = Math.max(...prompts.map((p, i) => p.length + completions[i].length));
  if (L < 2) throw new RftlabError("packSequences: every sequence has fewer than 2 tokens; nothing to predict");
  const ids = new Int32Array(N * L).fill(padId);
  const mask = new Float32Array(N * (L - 1));
  prompts.forEach((p, n) => {
    const c = completions[n];
    ids.set(p, n * L);
    ids.set(c, n * L + p.length);
    for (let t = 0; t < c.length; t++) mask[n * (L - 1) + p.length - 1 + t] = 1;
  });
  const lengths = completions.map((c) => c.length);
  return {
    ids: tokenIds(ids, [N, L]),
    mask: tf.tensor2d(mask, [N, L - 1]),
    lengths,
    activeTokens: lengths.reduce((a, b) => a + b, 0),
  };
}

/** Frees the batch's tensors. */
export function disposeBatch(b: PackedBatch): void {
  b.ids.dispose();
  b.mask.dispose();
}
