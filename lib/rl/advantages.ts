import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";

export type AdvantageEstimator = "grpo" | "rloo" | "reinforce";
export type RewardScaling = "group" | "batch" | "none";

/** Epsilon added to the std before dividing (TRL's GRPOTrainer). */
export const ADVANTAGE_STD_EPS = 1e-4;

export interface AdvantageConfig {
  /** G: completions per prompt; rewards are grouped consecutively (rows g·G … g·G+G−1). */
  groupSize: number;
  /** "grpo" (Shao et al. 2024), "rloo" (Ahmadian et al. 2024), "reinforce" (with baseline). */
  estimator: AdvantageEstimator;
  /**
   * Divide by std + 1e-4 of the group ("group", GRPO), of the whole batch ("batch"), or not at all
   * ("none" = Dr. GRPO, Liu et al. 2025). Default "group" for grpo, "none" for rloo/reinforce.
   */
  scaleRewards: RewardScaling;
  /** b for "reinforce": a constant baseline; default the group mean. */
  baseline?: number;
}

/** Reward scaling of each estimator when `scaleRewards` is not given (see AdvantageConfig.scaleRewards). */
const SCALE_REWARDS_OF: Readonly<Record<AdvantageEstimator, RewardScaling>> = deepFreeze({
  grpo: "group",
  rloo: "none",
  reinforce: "none",
});

/**
 * Defaults of the fields that have one (groupSize has none; baseline defaults to the group mean).
 * scaleRewards is the default estimator's; with another estimator the resolver picks that one's.
 */
export const DEFAULT_ADVANTAGE_CONFIG: Readonly<Pick<AdvantageConfig, "estimator" | "scaleRewards">> = deepFreeze({
  estimator: "grpo",
  scaleRewards: SCALE_REWARDS_OF.grpo,
});

/** Fills defaults and validates across fields; errors name the field, the value and the fix. */
export function resolveAdvantageConfig(partial: Partial<AdvantageConfig> & { groupSize: number }): AdvantageConfig {
  const estimator = partial.estimator ?? DEFAULT_ADVANTAGE_CONFIG.estimator;
  if (!["grpo", "rloo", "reinforce"].includes(estimator)) {
    throw new RftlabError(`computeAdvantages: estimator must be "grpo", "rloo" or "reinforce"; got ${JSON.stringify(estimator)}`);
  }
  const scaleRewards = partial.scaleRewards ?? SCALE_REWARDS_OF[estimator];
  if (!["group", "batch", "none"].includes(scaleRewards)) {
    throw new RftlabError(`computeAdvantages: scaleRewards must be "group", "batch" or "none"; got ${JSON.stringify(scaleRewards)}`);
  }
  const { groupSize, baseline } = partial;
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new RftlabError(`computeAdvantages: groupSize (G) must be a positive integer; got ${groupSize}`);
  }
  if (estimator === "rloo" && groupSize < 2) {
    throw new RftlabError(
      `computeAdvantages: estimator "rloo" needs groupSize ≥ 2 (leave-one-out baseline over G−1 others); got ${groupSize}`,
    );
  }
  if (baseline !== undefined && (estimator !== "reinforce" || !Number.isFinite(baseline))) {
    throw new RftlabError(
      `computeAdvantages: baseline applies to estimator "reinforce" only and must be finite; got baseline ${baseline} with estimator "${estimator}"`,
    );
  }
  return { groupSize, estimator, scaleRewards, baseline };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Bessel-corrected std (torch.std); NaN for fewer than two values. */
function std(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Per-completion advantages (spec/algorithms.md "Advantages"):
 * - grpo: A_i = (r_i − mean_g) / (std_g + 1e-4), std Bessel-corrected (or the batch std, or no division);
 * - rloo: A_i = r_i − (Σ_g r − r_i)/(G−1);
 * - reinforce: A_i = r_i − b, b = group mean or `baseline`.
 * With scaling on, rloo/reinforce are divided by std + 1e-4 the same way. NaN rewards (no reward
 * applied) are left out of the group statistics and get advantage 0; any NaN result (e.g. the std of
 * a one-completion group) becomes 0.
 */
export function computeAdvantages(rewards: readonly number[], config: Partial<AdvantageConfig> & { groupSize: number }): number[] {
  const { groupSize: G, estimator, scaleRewards, baseline } = resolveAdvantageConfig(config);
  const bad = rewards.findIndex((r) => typeof r !== "number");
  if (bad >= 0) {
    throw new RftlabError(
      `computeAdvantages: rewards[${bad}] = ${JSON.stringify(rewards[bad]) ?? String(rewards[bad])} is not a number; pass numbers (NaN marks a missing reward)`,
    );
  }
  if (rewards.length % G !== 0) {
    throw new RftlabError(`computeAdvantages: ${rewards.length} rewards is not a multiple of groupSize ${G}; pass whole groups`);
  }
  const valid = (xs: readonly number[]) => xs.filter((x) => !Number.isNaN(x));
  const batchStd = std(valid(rewards));
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += G) {
    const group = rewards.slice(g, g + G);
    const ok = valid(group);
    const sum = ok.reduce((s, x) => s + x, 0);
    const scale = scaleRewards === "group" ? std(ok) + ADVANTAGE_STD_EPS : scaleRewards === "batch" ? batchStd + ADVANTAGE_STD_EPS : 1;
    for (const r of group) {
      let a: number;
      if (estimator === "rloo") a = r - (sum - r) / (ok.length - 1);
      else if (estimator === "reinforce" && baseline !== undefined) a = r - baseline;
      else a = r - sum / ok.length;
      a /= scale;
      out.push(Number.isFinite(a) ? a : 0);
    }
  }
  return out;
}
