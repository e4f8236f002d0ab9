/**
 * What a reward function sees for one batch of rows (spec/algorithms.md "Rewards"): the prompts, the
 * decoded completions, optionally their token ids, and every dataset column by name (one value per row).
 */
export interface RewardContext {
  prompts: string[];
  completions: string[];
  /** Token ids of each completion (without the prompt); length rewards count these when present. */
  completionIds?: number[][];
  [column: string]: unknown;
}

/**
 * A reward function: one score per row, `null` = not applicable (stored as NaN, excluded from that
 * function's mean, never counted as 0). May be async (e.g. a judge behind a queue).
 */
export type RewardFn = (ctx: RewardContext) => (number | null)[] | Promise<(number | null)[]>;

/** A named, weighted reward function as combined by `scoreRewards` (r = nansum_k w_k r_k). */
export interface WeightedReward {
  /** Used in metric keys `rewards/<name>/mean`: keep it short and unique. */
  name: string;
  fn: RewardFn;
  /** w_k; default 1. */
  weight?: number;
}
