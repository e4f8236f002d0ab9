import { rewardMetricKey } from "../rewards/score";

/** Log keys shared with TRL so runs compare (spec/algorithms.md "Metric names"). */
export const METRIC_NAMES = {
  reward: "reward",
  rewardStd: "reward_std",
  fracRewardZeroStd: "frac_reward_zero_std",
  kl: "kl",
  entropy: "entropy",
  clipRatioLow: "clip_ratio/low_mean",
  clipRatioHigh: "clip_ratio/high_mean",
  clipRatioRegion: "clip_ratio/region_mean",
  completionsMeanLength: "completions/mean_length",
  completionsClippedRatio: "completions/clipped_ratio",
  loss: "loss",
  gradNorm: "grad_norm",
  learningRate: "learning_rate",
  numTokens: "num_tokens",
  stepTime: "step_time",
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** `rewards/<fn>/mean` and `rewards/<fn>/std` for a named reward function. */
export { rewardMetricKey };
