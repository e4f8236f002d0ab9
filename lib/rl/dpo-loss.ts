import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { asFloatVector } from "./tensor-utils";
import { deepFreeze } from "../base/freeze";
import { anyValue, checkConfig } from "../base/strict-config";

export type DpoLossType = "sigmoid" | "ipo" | "hinge";

export interface DpoLossConfig {
  /** β: strength of the implicit KL to the reference (Rafailov et al. 2023). Default 0.1. */
  beta: number;
  /** "sigmoid" (DPO), "ipo" (Azar et al. 2023), "hinge" (SLiC, Zhao et al. 2023). Default "sigmoid". */
  lossType: DpoLossType;
  /** |y_w| in completion tokens per pair; with lossType "ipo" the log-ratios become per-token averages. [B] */
  chosenLengths?: tf.Tensor1D | readonly number[];
  rejectedLengths?: tf.Tensor1D | readonly number[];
}

export interface DpoLossInputs {
  /** Σ_t log π_θ(y_w) over completion tokens, differentiable. [B] */
  policyChosen: tf.Tensor1D;
  /** Σ_t log π_θ(y_l). [B] */
  policyRejected: tf.Tensor1D;
  /** Σ_t log π_ref(y_w). [B] */
  refChosen: tf.Tensor1D;
  /** Σ_t log π_ref(y_l). [B] */
  refRejected: tf.Tensor1D;
}

export interface DpoLossResult {
  loss: tf.Scalar;
  /** "rewards/chosen", "rewards/rejected" (batch means of β·log-ratio), "rewards/accuracies", "rewards/margins". */
  metrics: Record<string, tf.Scalar>;
}

export const DEFAULT_DPO_LOSS_CONFIG: Readonly<DpoLossConfig> = deepFreeze({ beta: 0.1, lossType: "sigmoid" });

/** Fills defaults and validates; errors name the field, the value and the fix. */
export function resolveDpoLossConfig(partial: Partial<DpoLossConfig> = {}): DpoLossConfig {
  checkConfig("DpoLossConfig", partial, { ...DEFAULT_DPO_LOSS_CONFIG, chosenLengths: anyValue, rejectedLengths: anyValue });
  const c: DpoLossConfig = { ...DEFAULT_DPO_LOSS_CONFIG, ...partial };
  if (!(c.beta > 0)) throw new RftlabError(`dpoLoss: beta (β) must be > 0; got ${c.beta}`);
  if (!["sigmoid", "ipo", "hinge"].includes(c.lossType))
    throw new RftlabError(`dpoLoss: lossType must be "sigmoid", "ipo" or "hinge"; got ${JSON.stringify(c.lossType)}`);
  if ((c.chosenLengths === undefined) !== (c.rejectedLengths === undefined)) {
    throw new RftlabError("dpoLoss: pass both chosenLengths and rejectedLengths (per-token averaging for ipo), or neither");
  }
  if (c.chosenLengths !== undefined && c.lossType !== "ipo") {
    throw new RftlabError(`dpoLoss: chosenLengths/rejectedLengths apply to lossType "ipo" only; got lossType "${c.lossType}"`);
  }
  return c;
}

/**
 * Preference loss (spec/algorithms.md "Other objectives"): Δ = [logπ(y_w) − logπ_ref(y_w)] −
 * [logπ(y_l) − logπ_ref(y_l)]; sigmoid: −log σ(βΔ); ipo: (Δ̄ − 1/(2β))² with per-token-averaged
 * log-ratios (divide by the lengths when given, else the inputs must already be averages);
 * hinge: relu(1 − βΔ). The loss is the batch mean. Reward metrics use the same log-ratios as the loss
 * (TRL): rewards/chosen = β(logπ − logπ_ref)(y_w), accuracies = mean(chosen > rejected),
 * margins = mean(chosen − rejected). The caller owns the returned tensors.
 */
export function dpoLoss(inputs: DpoLossInputs, config: Partial<DpoLossConfig> = {}): DpoLossResult {
  const c = resolveDpoLossConfig(config);
  const B = inputs.policyChosen.shape[0];
  if (B === 0) throw new RftlabError("dpoLoss: the batch is empty (policyChosen has shape [0]); pass at least one preference pair");
  return tf.tidy(() => {
    const v = (x: tf.Tensor | readonly number[], name: string) => asFloatVector(x, name, "dpoLoss", B); // [B]
    let chosen = v(inputs.policyChosen, "policyChosen").sub(v(inputs.refChosen, "refChosen")); // [B]
    let rejected = v(inputs.policyRejected, "policyRejected").sub(v(inputs.refRejected, "refRejected")); // [B]
    if (c.chosenLengths !== undefined && c.rejectedLengths !== undefined) {
      chosen = chosen.div(v(c.chosenLengths, "chosenLengths").maximum(1));
      rejected = rejected.div(v(c.rejectedLengths, "rejectedLengths").maximum(1));
    }
    const delta = chosen.sub(rejected); // [B]
    let losses: tf.Tensor;
    // −logσ(βΔ) = softplus(−βΔ): tf.logSigmoid's custom gradient reads a freed tensor when nested in variableGrads.
    if (c.lossType === "sigmoid") losses = tf.softplus(delta.mul(-c.beta));
    else if (c.lossType === "ipo") losses = delta.sub(1 / (2 * c.beta)).square();
    else losses = tf.relu(tf.scalar(1).sub(delta.mul(c.beta)));
    const rc = chosen.mul(c.beta);
    const rr = rejected.mul(c.beta);
    return {
      loss: losses.mean() as tf.Scalar,
      metrics: {
        "rewards/chosen": rc.mean() as tf.Scalar,
        "rewards/rejected": rr.mean() as tf.Scalar,
        "rewards/accuracies": rc.greater(rr).toFloat().mean() as tf.Scalar,
        "rewards/margins": rc.sub(rr).mean() as tf.Scalar,
      },
    };
  });
}
