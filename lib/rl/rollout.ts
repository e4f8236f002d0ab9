import type { Transformer } from "../model";
import type { TextCodec } from "../io/tokenizer";
import { generate, type Generation } from "../sampling";
import { scoreRewards, type RewardScores, type WeightedReward } from "../rewards";
import type { SampleConfig } from "../sampling";
import type { PromptRow } from "./trainer-types";

export interface Rollout {
  rows: PromptRow[];
  generation: Generation;
  scores: RewardScores;
  /** Prompt token ids per completion row (prompt-major, G per prompt). */
  promptIds: number[][];
}

/** Samples G completions for each row and scores them (rewards see every dataset column, repeated G times). */
export async function rollout(
  model: Transformer,
  tokenizer: TextCodec,
  rows: PromptRow[],
  rewards: readonly WeightedReward[],
  sampling: Partial<SampleConfig> & { numGenerations: number; seed: number },
): Promise<Rollout> {
  const encoded = rows.map((r) => tokenizer.encode(r.prompt));
  const generation = await generate(model, encoded, sampling, { tokenizer });
  const rep = <T>(xs: T[]) => generation.promptIndex.map((i) => xs[i]);
  const columns: Record<string, unknown[]> = {};
  for (const key of new Set(rows.flatMap((r) => Object.keys(r)))) if (key !== "prompt") columns[key] = rep(rows.map((r) => r[key]));
  const scores = await scoreRewards(
    rewards,
    { ...columns, prompts: rep(rows.map((r) => r.prompt)), completions: generation.completions!, completionIds: generation.completionIds },
    { groupSize: sampling.numGenerations },
  );
  return { rows, generation, scores, promptIds: rep(encoded) };
}
