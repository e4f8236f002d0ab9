import { RftlabError, warnOnce } from "../errors";
import type { RewardContext, WeightedReward } from "./types";

/** TRL's per-function metric key, e.g. `rewards/accuracy/mean`. */
export function rewardMetricKey(name: string, stat: "mean" | "std"): string {
  return `rewards/${name}/${stat}`;
}

export interface RewardScores {
  /** r = nansum_k w_k r_k per row; NaN when every function returned null for the row. */
  total: number[];
  /** Raw (unweighted) scores per function name; null → NaN. */
  perFunction: Record<string, number[]>;
  /**
   * `rewards/<fn>/mean`, `rewards/<fn>/std` (NaN-excluding, Bessel std), `reward` (mean of total over
   * non-NaN rows), `reward_std` (mean of per-group stds when groupSize is given, else the batch std)
   * and, with groupSize, `frac_reward_zero_std`.
   */
  metrics: Record<string, number>;
}

/** Mean over the non-NaN entries; NaN if there are none. */
export function nanMean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) if (!Number.isNaN(x)) (s += x), n++;
  return n === 0 ? NaN : s / n;
}

/** Bessel-corrected std over the non-NaN entries (as torch.std); NaN with fewer than two. */
export function nanStd(xs: readonly number[]): number {
  const m = nanMean(xs);
  let s = 0;
  let n = 0;
  for (const x of xs) if (!Number.isNaN(x)) (s += (x - m) ** 2), n++;
  return n < 2 ? NaN : Math.sqrt(s / (n - 1));
}

function checkScores(name: string, out: unknown, rows: number): number[] {
  if (!Array.isArray(out)) {
    throw new RftlabError(`reward function "${name}" must return an array of ${rows} numbers or nulls; got ${typeof out}`);
  }
  if (out.length !== rows) {
    throw new RftlabError(
      `reward function "${name}" returned ${out.length} scores for ${rows} completions; return one score (or null) per row`,
    );
  }
  return out.map((v, i) => {
    if (v === null || v === undefined) return NaN;
    if (typeof v !== "number" || v === Infinity || v === -Infinity) {
      throw new RftlabError(
        `reward function "${name}" returned ${JSON.stringify(v) ?? String(v)} (${typeof v}) for row ${i}; ` +
          `return a finite number, or null when the reward does not apply`,
      );
    }
    return v;
  });
}

/** A reward's scores; an exception names the reward (its stack stays on `cause`). */
async function callReward(f: WeightedReward, ctx: RewardContext): Promise<unknown> {
  try {
    return await f.fn(ctx);
  } catch (e) {
    throw new RftlabError(`reward function "${f.name}" threw: ${(e as Error)?.message ?? String(e)}; fix the reward or its inputs`, {
      cause: e,
    });
  }
}

function shorten(s: unknown, n = 200): string {
  const t = typeof s === "string" ? s : (JSON.stringify(s) ?? String(s));
  return t.length > n ? t.slice(0, n) + "…" : t;
}

/**
 * Runs every reward function (concurrently; async allowed) and combines them with weights,
 * "sum_then_normalize" (spec/algorithms.md "Rewards"): r = nansum_k(w_k r_k), NaN if all are NaN.
 * Warns once, showing the row's inputs, when every function returned null for a row.
 * `groupSize` (G completions per prompt, rows grouped consecutively) adds the group metrics.
 */
export async function scoreRewards(
  fns: readonly WeightedReward[],
  ctx: RewardContext,
  { groupSize }: { groupSize?: number } = {},
): Promise<RewardScores> {
  const rows = ctx.completions.length;
  if (fns.length === 0) throw new RftlabError("scoreRewards: fns is empty; pass at least one {name, fn, weight}");
  if (ctx.prompts.length !== rows) {
    throw new RftlabError(
      `scoreRewards: ctx.prompts has ${ctx.prompts.length} rows but ctx.completions has ${rows}; pass one prompt per completion`,
    );
  }
  const names = new Set<string>();
  for (const f of fns) {
    if (names.has(f.name))
      throw new RftlabError(`scoreRewards: reward name "${f.name}" is used twice; names key the metrics, make them unique`);
    names.add(f.name);
  }
  if (groupSize !== undefined && (!Number.isInteger(groupSize) || groupSize < 1 || rows % groupSize !== 0)) {
    throw new RftlabError(`scoreRewards: groupSize must be a positive integer dividing the ${rows} rows; got ${groupSize}`);
  }
  const raw = await Promise.all(fns.map(async (f) => checkScores(f.name, await callReward(f, ctx), rows)));
  const perFunction: Record<string, number[]> = {};
  const metrics: Record<string, number> = {};
  fns.forEach((f, k) => {
    perFunction[f.name] = raw[k];
    metrics[rewardMetricKey(f.name, "mean")] = nanMean(raw[k]);
    metrics[rewardMetricKey(f.name, "std")] = nanStd(raw[k]);
  });
  const total = Array.from({ length: rows }, (_, i) => {
    let s = 0;
    let any = false;
    fns.forEach((f, k) => {
      const v = raw[k][i];
      if (!Number.isNaN(v)) (s += (f.weight ?? 1) * v), (any = true);
    });
    if (!any) {
      warnOnce(
        "reward-all-null",
        `rftlab: every reward function returned null for row ${i} (prompt: ${shorten(ctx.prompts[i])}; ` +
          `completion: ${shorten(ctx.completions[i])}); its reward is NaN. Check the dataset columns the rewards read.`,
      );
    }
    return any ? s : NaN;
  });
  metrics.reward = nanMean(total);
  if (groupSize === undefined) {
    metrics.reward_std = nanStd(total);
  } else {
    const stds: number[] = [];
    for (let g = 0; g < rows; g += groupSize) stds.push(nanStd(total.slice(g, g + groupSize)));
    metrics.reward_std = nanMean(stds);
    // A group of one has no spread: count it as zero std, as the advantage it gets is 0.
    metrics.frac_reward_zero_std = stds.filter((s) => !(s > 0)).length / stds.length;
  }
  return { total, perFunction, metrics };
}
