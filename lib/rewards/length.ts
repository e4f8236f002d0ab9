import { RftlabError, warnOnce } from "../errors";
import type { RewardFn } from "./types";

/**
 * DAPO's soft overlong punishment (Yu et al. 2025, eq. 13; spec/algorithms.md "Rewards"):
 * 0 if |y| ≤ L_max − L_cache, ((L_max − L_cache) − |y|)/L_cache inside the buffer, −1 beyond L_max.
 */
export function overlongPenalty(length: number, maxLength: number, cacheLength: number): number {
  if (length <= maxLength - cacheLength) return 0;
  if (length <= maxLength) return (maxLength - cacheLength - length) / cacheLength;
  return -1;
}

export interface OverlongPenaltyOptions {
  /** L_max: the generation limit in tokens. */
  maxCompletionLength: number;
  /** L_cache: width of the soft buffer before L_max, in tokens (DAPO uses 4096 of 20480). */
  cacheLength: number;
}

/**
 * Length-shaping reward per completion, counting tokens from `ctx.completionIds`; without ids it
 * falls back (warning once) to whitespace-separated words.
 */
export function overlongPenaltyReward({ maxCompletionLength, cacheLength }: OverlongPenaltyOptions): RewardFn {
  if (!(Number.isInteger(maxCompletionLength) && maxCompletionLength > 0)) {
    throw new RftlabError(
      `overlongPenaltyReward: maxCompletionLength must be a positive integer (L_max, tokens); got ${maxCompletionLength}`,
    );
  }
  if (!(Number.isInteger(cacheLength) && cacheLength > 0 && cacheLength <= maxCompletionLength)) {
    throw new RftlabError(
      `overlongPenaltyReward: cacheLength must be an integer in [1, maxCompletionLength=${maxCompletionLength}] (L_cache); got ${cacheLength}`,
    );
  }
  return (ctx) => {
    const ids = ctx.completionIds;
    if (!ids)
      warnOnce(
        "overlong-no-ids",
        "overlongPenaltyReward: ctx.completionIds is missing; counting whitespace-separated words instead of tokens",
      );
    return ctx.completions.map((c, i) => {
      const len = ids ? ids[i].length : c.split(/\s+/).filter((w) => w.length > 0).length;
      return overlongPenalty(len, maxCompletionLength, cacheLength);
    });
  };
}
