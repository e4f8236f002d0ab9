import type { tf } from "../tensor/tf";
import type { Transformer } from "../model";
import { sliceTokenIds } from "../model/token-ids";
import { sftLoss } from "./sft-loss";
import { microBatches } from "./batch";
import type { PackedBatch } from "../sampling";
import type { MicroBatchLoss } from "./update";

/**
 * SFT micro-batch losses of a packed batch (also RAFT's stage update): each micro-batch's token-mean NLL
 * weighted by its share of the batch's completion tokens, so their sum is the token mean over the batch.
 */
export function sftMicroBatchLosses(model: Transformer, b: PackedBatch, microBatchSize: number): (() => MicroBatchLoss)[] {
  return microBatches(b.lengths.length, microBatchSize).map((mb) => (): MicroBatchLoss => {
    const ids = sliceTokenIds(b.ids, [mb[0], 0], [mb.length, -1]);
    const L = ids.shape[1];
    const mask = b.mask.slice([mb[0], 0], [mb.length, -1]) as tf.Tensor2D;
    const loss = sftLoss(model.forward(sliceTokenIds(ids, [0, 0], [-1, L - 1])), sliceTokenIds(ids, [0, 1], [-1, -1]), mask);
    const share = mb.reduce((n, i) => n + b.lengths[i], 0) / Math.max(1, b.activeTokens);
    return { loss: loss.mul(share) as tf.Scalar };
  });
}
