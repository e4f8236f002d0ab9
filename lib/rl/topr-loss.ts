import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { asFloatVector, checkShape, stopGradient } from "./tensor-utils";

export interface ToprLossInputs {
  /** log π_θ of the sampled tokens, differentiable. [B, T] */
  logp: tf.Tensor2D;
  /** log μ: the behaviour policy that sampled them. [B, T] */
  behaviourLogp: tf.Tensor2D;
  /** R per sequence. [B] */
  rewards: tf.Tensor1D | readonly number[];
  /** 1 for completion tokens. [B, T] */
  mask: tf.Tensor2D;
}

export interface ToprLossResult {
  loss: tf.Scalar;
  /** "topr/alpha_mean": mean α over the batch (1 for R ≥ 0); "topr/negative_fraction": share of R < 0. */
  metrics: Record<string, tf.Scalar>;
}

/**
 * Tapered Off-Policy REINFORCE (Le Roux et al. 2025; spec/algorithms.md "Other objectives"):
 * per sequence −sg(α)·R·Σ_t m·logπ, α = 1 for R ≥ 0 and α = clamp(π(τ)/μ(τ), 0, 1) for R < 0 with
 * π/μ = exp(Σ_t m·(logπ − logμ)); loss = mean over the B sequences. No KL term.
 */
export function toprLoss(inputs: ToprLossInputs): ToprLossResult {
  const { logp, behaviourLogp, mask } = inputs;
  if (logp.rank !== 2) throw new RftlabError(`toprLoss: logp must be [B, T]; got shape [${logp.shape.join(", ")}]`);
  const [B, T] = logp.shape;
  checkShape(behaviourLogp, [B, T], "behaviourLogp", "toprLoss");
  checkShape(mask, [B, T], "mask", "toprLoss");
  return tf.tidy(() => {
    const m = mask.toFloat(); // [B, T]
    const R = asFloatVector(inputs.rewards, "rewards", "toprLoss", B); // [B]
    const seqLogp = logp.mul(m).sum(1); // [B]
    const ratio = stopGradient(logp).sub(behaviourLogp).mul(m).sum(1).exp().clipByValue(0, 1); // [B]
    const negative = R.less(0);
    const alpha = tf.where(negative, ratio, tf.onesLike(ratio)); // [B]
    const loss = alpha.mul(R).mul(seqLogp).neg().mean() as tf.Scalar;
    return {
      loss,
      metrics: { "topr/alpha_mean": alpha.mean() as tf.Scalar, "topr/negative_fraction": negative.toFloat().mean() as tf.Scalar },
    };
  });
}
