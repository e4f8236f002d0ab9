import { RftlabError, warnOnce } from "../errors";
import type { RewardFn } from "./types";

/**
 * DAPO's soft overlong punishment (Yu et al. 2025, eq. 13; spec/algorithms.md "Rewards"):
 * 0 if |y| ≤ L_max − L_cache, ((L_max − L_cache) − |y|)/L_cache inside the buffer, −1 beyond L_max.
 */
export function overlongPenalty(length: number, maxLength: number, cacheLength: number): number {
  checkOverlong("overlongPenalty", maxLength, cacheLength, "maxLength");
  if (!(Number.isInteger(length) && length >= 0))
    throw new RftlabError(`overlongPenalty: length must be an integer ≥ 0 (tokens); got ${length}`);
  if (length <= maxLength - cacheLength) return 0;
  if (length <= maxLength) return (maxLength - cacheLength - length) / cacheLength;
  return -1;
}

function checkOverlong(fn: string, maxLength: number, cacheLength: number, maxName: string): void {
  if (!(Number.isInteger(maxLength) && maxLength > 0)) {
    throw new RftlabError(`${fn}: ${maxName} must be a positive integer (L_max, tokens); got ${maxLength}`);
  }
  if (!(Number.isInteger(cacheLength) && cacheLength > 0 && cacheLength <= maxLength)) {
    throw new RftlabError(`${fn}: cacheLength must be an integer in [1, ${maxName}=${maxLength}] (L_cache); got ${cacheLength}`);
  }
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
  checkOverlong("overlongPenaltyReward", maxCompletionLength, cacheLength, "maxCompletionLength");
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
