import { toprLoss } from "./topr-loss";
import type { PolicyObjective } from "./objective";

/**
 * TOPR (tapered off-policy REINFORCE): `toprLoss` on the raw rewards against the sampler's log-probs;
 * advantages and `config.loss` are not used. Its loss is a mean over sequences, so a micro-batch weighs
 * its share of rows.
 */
export const toprObjective: PolicyObjective = {
  name: "topr",
  microBatchLoss: ({ logp, oldLogp, rewards, mask }) => toprLoss({ logp, behaviourLogp: oldLogp, rewards, mask }),
  microBatchWeight: (mb, step) => mb.rows.length / step.rows,
};
