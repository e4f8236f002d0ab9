// A policy-gradient objective as a value: what policyGradientTrain calls for each micro-batch.
import type { tf } from "../tensor/tf";
import type { GrpoConfig } from "./train-config";
import type { MicroBatchLoss } from "./update";

/** One micro-batch of the step's batch, as the objective sees it. T = the packed batch's width − 1. */
export interface ObjectiveMicroBatch {
  /** Row indices into the step's batch (consecutive). */
  rows: number[];
  /** log π_θ of the sampled tokens at the sampling temperature, differentiable. [n, T] */
  logp: tf.Tensor2D;
  /** log μ: the sampler's log-probs of the same tokens (behaviour / "old" policy), data. [n, T] */
  oldLogp: tf.Tensor2D;
  /** log π_ref, when a reference policy was passed. [n, T] */
  refLogp?: tf.Tensor2D;
  /** 1 for completion tokens, 0 for prompt and padding. [n, T] */
  mask: tf.Tensor2D;
  /** R per row: the weighted reward total (NaN where no reward applied). [n] */
  rewards: number[];
  /** A per row, from config.estimator and config.scaleRewards. [n] */
  advantages: number[];
}

/** What an objective may need of the whole step. */
export interface ObjectiveStep {
  config: GrpoConfig;
  /** Sequences in the step's batch (all micro-batches together). */
  rows: number;
  numMicroBatches: number;
  /** Completion tokens in the step's batch. */
  activeTokens: number;
}

/**
 * A loss for policyGradientTrain. The loop samples, scores, computes advantages and packs the batch; per
 * micro-batch it adds `microBatchLoss(mb).loss · microBatchWeight(mb)` to the step's gradient, so the
 * weights decide how micro-batch losses combine into the batch loss. Metrics are named scalars (TRL keys
 * where they exist) averaged over micro-batches by completion tokens. Tensors in `mb` belong to the loop;
 * returned tensors are freed by it. A new objective is a new file exporting one of these.
 */
export interface PolicyObjective {
  /** Trainer name recorded in config.json ("grpo", "topr", …). */
  name: string;
  microBatchLoss(mb: ObjectiveMicroBatch, step: ObjectiveStep): MicroBatchLoss;
  microBatchWeight(mb: ObjectiveMicroBatch, step: ObjectiveStep): number;
}
