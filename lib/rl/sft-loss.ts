import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { checkShape } from "./tensor-utils";
import { checkIdsInRange } from "../model/token-ids";

function scaledLogSoftmax(logits: tf.Tensor3D, temperature: number, fn: string): tf.Tensor3D {
  if (logits.rank !== 3) throw new RftlabError(`${fn}: logits must be [B, T, V]; got shape [${logits.shape.join(", ")}]`);
  if (!(temperature > 0)) throw new RftlabError(`${fn}: temperature must be > 0; got ${temperature}`);
  // tf.logSoftmax subtracts the max first (stable) and has its own gradient: no LogSoftmax kernel needed on wasm.
  return tf.logSoftmax(temperature === 1 ? logits : logits.div(temperature), -1) as tf.Tensor3D;
}

/**
 * log-probs of `ids` under logits/temperature (spec/algorithms.md "Sampling": divide by temperature,
 * log-softmax, gather). logits[:, t] must already be the prediction for ids[:, t] (the caller shifts,
 * i.e. takes logits[:, :-1] against ids[:, 1:]). The gather is a one-hot product, so its gradient
 * needs no UnsortedSegmentSum (missing on wasm). Returns [B, T]; the caller owns it.
 */
export function tokenLogProbs(logits: tf.Tensor3D, ids: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    checkShape(ids, [B, T], "ids", "tokenLogProbs");
    const lp = scaledLogSoftmax(logits, temperature, "tokenLogProbs"); // [B, T, V]
    // int32 one-hot then cast: tfjs-backend-wasm 4.22 writes int bits into a "float32" OneHot.
    const oneHot = tf.oneHot(ids.toInt(), V).toFloat(); // [B, T, V]
    return lp.mul(oneHot).sum(-1) as tf.Tensor2D; // [B, T]
  });
}

/** Entropy −Σ_v p log p of softmax(logits/temperature) per position, from the same scaled logits as tokenLogProbs. [B, T] */
export function tokenEntropy(logits: tf.Tensor3D, temperature = 1): tf.Tensor2D {
  return tf.tidy(() => {
    const lp = scaledLogSoftmax(logits, temperature, "tokenEntropy"); // [B, T, V]
    return lp.exp().mul(lp).sum(-1).neg() as tf.Tensor2D; // [B, T]
  });
}

/**
 * SFT loss (spec/algorithms.md "Other objectives"): mean token NLL over masked (completion) tokens,
 * Σ m·(−log p(target)) / max(1, Σ m). logits [B, T, V] (already aligned with targets), targets [B, T]
 * int32, mask [B, T] (0 for prompt and padding). Returns a scalar the caller owns.
 */
export function sftLoss(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    checkShape(mask, targets.shape, "mask", "sftLoss");
    checkIdsInRange(targets, logits.shape[2], "sftLoss", "targets"); // an id ≥ V would one-hot to zeros: a perfect loss
    const m = mask.toFloat(); // [B, T]
    const lp = tokenLogProbs(logits, targets); // [B, T]
    return lp.mul(m).sum().neg().div(m.sum().maximum(1)) as tf.Scalar;
  });
}
