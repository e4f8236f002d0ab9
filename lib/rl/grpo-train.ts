import { clippedObjective } from "./clipped-objective";
import { toprObjective } from "./topr-objective";
import { policyGradientTrain } from "./policy-gradient-train";
import type { PolicyTrainArgs, PolicyTrainRun } from "./trainer-types";

/**
 * GRPO-family training (GRPO, Dr. GRPO, DAPO, GSPO, RLOO, REINFORCE via `estimator`, `loss.lossType`,
 * `loss.importanceLevel`, `dynamicSampling`): see spec/algorithms.md. Metrics use TRL's names.
 */
export function grpoTrain(args: PolicyTrainArgs): Promise<PolicyTrainRun> {
  return policyGradientTrain(args, clippedObjective);
}

/** TOPR (tapered off-policy REINFORCE): same loop, `toprLoss` on raw rewards; `loss` settings other than none are ignored. */
export function toprTrain(args: PolicyTrainArgs): Promise<PolicyTrainRun> {
  return policyGradientTrain(args, toprObjective);
}
