// Cheap model evaluations shared by the fine-tuning notebooks (intruder dimensions, LIFT, merging):
// teacher-forced task accuracy and swapping whole weight sets in and out (held-out corpus loss: lib/model/corpus-loss.ts).
import { tf } from "../tensor/tf";
import type { EvalCodec, Transformer } from "../model";
import { sliceTokenIds, tokenIds } from "../model/token-ids";
import { RftlabError } from "../errors";

export interface CompletionAccuracy {
  /** Fraction of rows whose every completion token is the argmax: greedy decoding reproduces the completion. */
  exactMatch: number;
  /** Fraction of completion tokens that are the argmax given the true prefix. */
  tokenAccuracy: number;
  /** Mean completion-token negative log-likelihood (nats). */
  nll: number;
}

/**
 * Teacher-forced accuracy of `rows` (prompt + completion): one forward pass per batch instead of
 * sampling, and exact match equals greedy decoding's exact match when the completion ends the text.
 */
export async function completionAccuracy(
  model: Transformer,
  codec: Pick<EvalCodec, "encode">,
  rows: { prompt: string; completion: string }[],
  batchSize = 16,
): Promise<CompletionAccuracy> {
  if (rows.length === 0) throw new RftlabError("completionAccuracy: rows is empty; pass at least one {prompt, completion}");
  let exact = 0;
  let hits = 0;
  let tokens = 0;
  let nllSum = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize).map((r) => ({ p: codec.encode(r.prompt), c: codec.encode(r.completion) }));
    const L = Math.max(...batch.map((b) => b.p.length + b.c.length));
    const ids = new Int32Array(batch.length * L);
    batch.forEach((b, j) => ids.set([...b.p, ...b.c], j * L));
    const x = tokenIds(ids, [batch.length, L]); // [B, L]
    const [pred, logp] = tf.tidy(() => {
      const lp = tf.logSoftmax(model.forward(sliceTokenIds(x, [0, 0], [-1, L - 1]))); // [B, L-1, V]
      const next = x.slice([0, 1], [-1, -1]) as tf.Tensor2D; // [B, L-1]
      return [lp.argMax(-1), tf.sum(tf.mul(lp, tf.oneHot(next, lp.shape[2])), -1)]; // [B, L-1] each
    });
    const [p, lp] = [await pred.data(), await logp.data()];
    tf.dispose([x, pred, logp]);
    batch.forEach((b, j) => {
      let ok = true;
      for (let t = b.p.length; t < b.p.length + b.c.length; t++) {
        const at = j * (L - 1) + t - 1;
        const hit = p[at] === ids[j * L + t];
        ok &&= hit;
        hits += hit ? 1 : 0;
        nllSum -= lp[at];
      }
      tokens += b.c.length;
      exact += ok ? 1 : 0;
    });
  }
  return { exactMatch: exact / rows.length, tokenAccuracy: hits / Math.max(1, tokens), nll: nllSum / Math.max(1, tokens) };
}

/** Overwrites the model's parameters with `weights` (every name must be a parameter of the same shape). */
export function assignWeights(model: Transformer, weights: Map<string, { shape: number[]; data: Float32Array }>): void {
  for (const [name, w] of weights) {
    const v = model.param(name);
    if (w.shape.join(",") !== v.shape.join(",")) {
      throw new RftlabError(
        `assignWeights: "${name}" has shape [${w.shape}] but the model's parameter is [${v.shape}]; pass weights of this model's architecture`,
      );
    }
    const t = tf.tensor(w.data, v.shape);
    v.assign(t);
    t.dispose();
  }
}
