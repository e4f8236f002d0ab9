import { policyLoss } from "./policy-loss";
import type { PolicyObjective } from "./objective";

/**
 * The clipped GRPO-family objective (GRPO, Dr. GRPO, DAPO, GSPO; `config.loss`): `policyLoss` on the
 * loop's advantages. Micro-batch weights make the summed losses the batch loss of `lossType` (spec table):
 * grpo / dr_grpo average per-sequence terms, so a micro-batch weighs its share of rows; bnpo is TRL's token
 * mean per micro-batch averaged over accumulation; dapo divides by the whole batch's tokens already.
 */
export const clippedObjective: PolicyObjective = {
  name: "grpo",
  microBatchLoss(mb, { config, activeTokens }) {
    const { logp, oldLogp, refLogp, advantages, mask } = mb;
    return policyLoss(
      { logp, oldLogp, refLogp, advantages, mask },
      {
        ...config.loss,
        maxCompletionLength: config.sampling.maxNewTokens,
        activeTokens: config.loss.lossType === "dapo" ? activeTokens : undefined,
      },
    );
  },
  microBatchWeight(mb, { config, rows, numMicroBatches }) {
    if (config.loss.lossType === "bnpo") return 1 / numMicroBatches;
    if (config.loss.lossType === "dapo") return 1;
    return mb.rows.length / rows;
  },
};
