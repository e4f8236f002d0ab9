import { RftlabError } from "../errors";

/** One scored sample: anything with a reward (NaN = unscored) and, for expert iteration, a correctness flag. */
export interface RaftCandidate {
  reward: number;
  correct?: boolean;
}

export interface RaftSelectConfig {
  /** "best": the highest-reward sample per group (ties → the first); {topFraction}: the ceil(f·K) best (at least one). */
  keep: "best" | { topFraction: number };
  /** Expert iteration: only samples with `correct === true` are eligible; groups without one keep nothing. */
  requireCorrect?: boolean;
}

export interface RaftSelection<T> {
  item: T;
  /** Index of the group (prompt) and of the sample inside it. */
  group: number;
  index: number;
}

/**
 * RAFT / expert-iteration selection (Dong et al. 2023; spec/algorithms.md "Other objectives"): from K
 * samples per prompt keep the best (or a top fraction) by reward, for the next SFT stage. Pure: the
 * input is not modified; the kept samples come back in group order, best first within a group.
 * NaN rewards are never kept.
 */
export function raftSelect<T extends RaftCandidate>(groups: readonly (readonly T[])[], config: RaftSelectConfig): RaftSelection<T>[] {
  const { keep, requireCorrect = false } = config;
  if (keep !== "best" && !(typeof keep === "object" && keep.topFraction > 0 && keep.topFraction <= 1)) {
    throw new RftlabError(`raftSelect: keep must be "best" or {topFraction} with 0 < topFraction ≤ 1; got ${JSON.stringify(keep)}`);
  }
  const out: RaftSelection<T>[] = [];
  groups.forEach((samples, group) => {
    const eligible = samples
      .map((item, index) => ({ item, group, index }))
      .filter(({ item }) => !Number.isNaN(item.reward) && (!requireCorrect || item.correct === true))
      .sort((a, b) => b.item.reward - a.item.reward || a.index - b.index);
    const n = keep === "best" ? 1 : Math.max(1, Math.ceil(keep.topFraction * samples.length));
    out.push(...eligible.slice(0, n));
  });
  return out;
}
