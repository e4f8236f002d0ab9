// Task data in the instruct format (PLAN.md conventions): prompt `Question: …\n`, completion `{answer}\n`,
// sampling stops at "\n" and at eos; a completion is correct iff it equals the answer once one trailing
// "\n" and surrounding spaces are stripped.
import { taskSplits, type TaskExample } from "../tasks";
import { generate } from "../sampling";
import type { Transformer } from "../model";
import type { WeightedReward } from "../rewards";
import type { TextCodec } from "../rl";
import type { ContinualConfig } from "./config";

/** What the continual runner needs of a tokenizer. */
export interface ContinualCodec extends TextCodec {
  eosId: number;
}

export interface TaskData {
  task: string;
  train: TaskExample[];
  test: TaskExample[];
}

/** Disjoint train/test examples of every task of the sequence; task i is seeded with seed + 1000·i. */
export function continualTaskData(c: ContinualConfig): TaskData[] {
  return c.tasks.map((t, i) => ({
    task: t.name,
    ...taskSplits(t.name, { ...(t.options ?? {}), seed: c.seed + 1000 * i, style: "terse", nTrain: c.nTrain, nTest: c.nTest }),
  }));
}

/** SFT rows on gold answers in the instruct format. */
export const sftRows = (examples: TaskExample[]) => examples.map((e) => ({ prompt: e.prompt, completion: `${e.answer}\n` }));

/** GRPO prompt rows: the prompt plus the answer column the reward reads. */
export const promptRows = (examples: TaskExample[]) => examples.map((e) => ({ prompt: e.prompt, answer: e.answer }));

// TODO(stats): replace with taskCorrect / taskReward of lib/rewards/task-reward.ts once it lands on main.
/** Exact match of a completion with the canonical answer after stripping one trailing "\n" and spaces. */
export function completionCorrect(completion: string, answer: string): boolean {
  return completion.replace(/\n$/, "").trim() === answer;
}

/** Binary correctness reward (1/0) over the rows' `answer` column: the RFT reward. */
export function correctnessReward(): WeightedReward {
  return {
    name: "correct",
    fn: (ctx) => ctx.completions.map((c, k) => (completionCorrect(c, String((ctx.answer as unknown[])[k])) ? 1 : 0)),
  };
}

// TODO(stats): replace with evaluateTask of lib/evaluation once it lands on main.
/** Greedy accuracy on held-out examples: sampling stops at "\n" and eos. */
export async function greedyAccuracy(
  model: Transformer,
  codec: ContinualCodec,
  examples: TaskExample[],
  maxNewTokens: number,
): Promise<{ correct: number; n: number; accuracy: number }> {
  const g = await generate(
    model,
    examples.map((e) => codec.encode(e.prompt)),
    { temperature: 0, maxNewTokens, stopStrings: ["\n"], stopTokenIds: [codec.eosId] },
    { tokenizer: codec },
  );
  const correct = g.completions!.filter((c, i) => completionCorrect(c, examples[i].answer)).length;
  return { correct, n: examples.length, accuracy: correct / examples.length };
}
