import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { asFloatVector, checkShape, maskedMean } from "./tensor-utils";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

export type PolicyLossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";
export type ImportanceLevel = "token" | "sequence";

export interface PolicyLossConfig {
  /** Aggregation of the per-token loss ℓ over tokens and sequences (spec table; TRL's `loss_type`). */
  lossType: PolicyLossType;
  /** ε_low: ratios below 1 − ε_low are clipped (PPO, Schulman et al. 2017). Default 0.2. */
  epsilonLow: number;
  /** ε_high: ratios above 1 + ε_high are clipped. Default 0.2; DAPO's clip-higher uses 0.28. */
  epsilonHigh: number;
  /** β: weight of the k3 KL to the reference policy (DeepSeekMath). Default 0 (no reference needed). */
  beta: number;
  /** "dr_grpo" divides by B · maxCompletionLength; default T (the mask's width). */
  maxCompletionLength?: number;
  /** "token": ρ per token (PPO/GRPO); "sequence": ρ = exp(mean_t(logp − old_logp)) per sequence (GSPO, Zheng et al. 2025). */
  importanceLevel: ImportanceLevel;
  /**
   * "dapo": completion tokens in the whole generation batch (all micro-batches of the step), so that
   * summing micro-batch losses gives the global token mean; default Σ mask of this call.
   */
  activeTokens?: number;
}

export const DEFAULT_POLICY_LOSS_CONFIG: Readonly<PolicyLossConfig> = deepFreeze({
  lossType: "grpo",
  epsilonLow: 0.2,
  epsilonHigh: 0.2,
  beta: 0,
  importanceLevel: "token",
});

/** Fills defaults and validates across fields; errors name the field, the value and the fix. */
export function resolvePolicyLossConfig(partial: Partial<PolicyLossConfig> = {}): PolicyLossConfig {
  checkConfig("PolicyLossConfig", partial, { ...DEFAULT_POLICY_LOSS_CONFIG, maxCompletionLength: 0, activeTokens: 0 });
  const c = { ...DEFAULT_POLICY_LOSS_CONFIG, ...partial };
  const fail = (msg: string) => {
    throw new RftlabError(`policyLoss: ${msg}`);
  };
  if (!["grpo", "bnpo", "dr_grpo", "dapo"].includes(c.lossType))
    fail(`lossType must be "grpo", "bnpo", "dr_grpo" or "dapo"; got ${JSON.stringify(c.lossType)}`);
  if (!["token", "sequence"].includes(c.importanceLevel))
    fail(`importanceLevel must be "token" or "sequence"; got ${JSON.stringify(c.importanceLevel)}`);
  if (!(c.epsilonLow >= 0 && c.epsilonLow < 1)) fail(`epsilonLow (ε_low) must be in [0, 1); got ${c.epsilonLow}`);
  if (!(c.epsilonHigh >= 0)) fail(`epsilonHigh (ε_high) must be ≥ 0; got ${c.epsilonHigh}`);
  if (!(c.beta >= 0)) fail(`beta (β, KL coefficient) must be ≥ 0; got ${c.beta}`);
  if (c.maxCompletionLength !== undefined && !(Number.isInteger(c.maxCompletionLength) && c.maxCompletionLength > 0)) {
    fail(`maxCompletionLength must be a positive integer; got ${c.maxCompletionLength}`);
  }
  if (c.activeTokens !== undefined && !(c.activeTokens > 0))
    fail(`activeTokens must be > 0 (completion tokens in the generation batch); got ${c.activeTokens}`);
  if (c.activeTokens !== undefined && c.lossType !== "dapo")
    fail(`activeTokens only applies to lossType "dapo"; got lossType "${c.lossType}"`);
  return c;
}

export interface PolicyLossInputs {
  /** log π_θ of the sampled tokens, differentiable. [B, T] */
  logp: tf.Tensor2D;
  /** log π_old (behaviour/sampler log-probs): data, not a function of the parameters. [B, T] */
  oldLogp: tf.Tensor2D;
  /** log π_ref, needed when β > 0. [B, T] */
  refLogp?: tf.Tensor2D;
  /** A per sequence. [B] */
  advantages: tf.Tensor1D | readonly number[];
  /** 1 for completion tokens, 0 for prompt/padding. [B, T] */
  mask: tf.Tensor2D;
}

export interface PolicyLossResult {
  loss: tf.Scalar;
  /** TRL keys: "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", and "kl" when refLogp is given (masked token means). */
  metrics: Record<string, tf.Scalar>;
}

/**
 * Clipped policy-gradient loss (spec/algorithms.md "Policy losses"): ρ = exp(logp − old_logp),
 * ρ_c = clamp(ρ, 1 − ε_low, 1 + ε_high), ℓ = −min(ρ·A, ρ_c·A) + β·kl with the k3 estimator
 * kl = exp(ref − logp) − (ref − logp) − 1, aggregated by `lossType`:
 * grpo: mean_b(Σ_t m·ℓ / max(1, Σ_t m)); bnpo: Σ m·ℓ / max(1, Σ m); dr_grpo: Σ m·ℓ / (B·maxCompletionLength);
 * dapo: Σ m·ℓ / activeTokens.
 *
 * Why the loss is ~0 but the model still learns: with one update per generation (μ = 1) the sampler's
 * log-probs equal the current ones, so ρ ≡ 1 and, as GRPO advantages sum to zero per group, the value is
 * ~0 (plus β·kl); its gradient is A·∇logp ≠ 0. Pass `oldLogp` as data (the sampler's log-probs or
 * `stopGradient(logp)`), never the same differentiable tensor as `logp`, or the ratio's gradient vanishes.
 *
 * Clip metrics count tokens with ρ < 1 − ε_low and A < 0 (low) or ρ > 1 + ε_high and A > 0 (high).
 * The caller owns the returned tensors; inputs are not disposed.
 */
export function policyLoss(inputs: PolicyLossInputs, config: Partial<PolicyLossConfig> = {}): PolicyLossResult {
  const c = resolvePolicyLossConfig(config);
  const { logp, oldLogp, refLogp, mask } = inputs;
  if (logp.rank !== 2) throw new RftlabError(`policyLoss: logp must be [B, T]; got shape [${logp.shape.join(", ")}]`);
  const [B, T] = logp.shape;
  checkShape(oldLogp, [B, T], "oldLogp", "policyLoss");
  checkShape(mask, [B, T], "mask", "policyLoss");
  if (refLogp) checkShape(refLogp, [B, T], "refLogp", "policyLoss");
  if (c.beta > 0 && !refLogp)
    throw new RftlabError(`policyLoss: beta = ${c.beta} > 0 needs refLogp (log π_ref, [B, T]); pass it or set beta = 0`);
  return tf.tidy(() => {
    const m = mask.toFloat(); // [B, T]
    const adv = asFloatVector(inputs.advantages, "advantages", "policyLoss", B).reshape([B, 1]); // [B, 1]
    const logRatio = logp.sub(oldLogp); // [B, T]
    const ratio =
      c.importanceLevel === "token"
        ? logRatio.exp() // [B, T]
        : logRatio.mul(m).sum(1, true).div(m.sum(1, true).maximum(1)).exp(); // [B, 1]
    const clipped = ratio.clipByValue(1 - c.epsilonLow, 1 + c.epsilonHigh);
    let perToken = tf.minimum(ratio.mul(adv), clipped.mul(adv)).neg().mul(m); // [B, T]
    let kl: tf.Tensor | undefined;
    if (refLogp) {
      const d = refLogp.sub(logp); // [B, T]
      kl = d.exp().sub(d).sub(1);
      if (c.beta > 0) perToken = perToken.add(kl.mul(c.beta).mul(m));
    }
    let loss: tf.Tensor;
    if (c.lossType === "grpo") loss = perToken.sum(1).div(m.sum(1).maximum(1)).mean();
    else if (c.lossType === "bnpo") loss = perToken.sum().div(m.sum().maximum(1));
    else if (c.lossType === "dr_grpo") loss = perToken.sum().div(B * (c.maxCompletionLength ?? T));
    else loss = perToken.sum().div(c.activeTokens ?? m.sum().maximum(1));
    const low = ratio
      .less(1 - c.epsilonLow)
      .logicalAnd(adv.less(0))
      .toFloat(); // [B, T] or [B, 1]
    const high = ratio
      .greater(1 + c.epsilonHigh)
      .logicalAnd(adv.greater(0))
      .toFloat();
    const metrics: Record<string, tf.Scalar> = {
      "clip_ratio/low_mean": maskedMean(low, m),
      "clip_ratio/high_mean": maskedMean(high, m),
      "clip_ratio/region_mean": maskedMean(low.add(high), m),
    };
    if (kl) metrics.kl = maskedMean(kl, m);
    return { loss: loss as tf.Scalar, metrics };
  });
}
