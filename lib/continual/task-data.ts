// Task data in the instruct format (PLAN.md conventions): prompt `Question: …\n`, completion `{answer}\n`;
// correctness is lib/rewards taskCorrect, evaluation lib/evaluation evaluateTask (same test split).
import { taskSplits, type TaskExample } from "../tasks";
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

/** Seed of task i's split: evaluateTask with this seed and n = nTest scores the same held-out prompts. */
export const taskSeed = (c: ContinualConfig, i: number) => c.seed + 1000 * i;

/** Disjoint train/test examples of every task of the sequence. */
export function continualTaskData(c: ContinualConfig): TaskData[] {
  return c.tasks.map((t, i) => ({
    task: t.name,
    ...taskSplits(t.name, { ...(t.options ?? {}), seed: taskSeed(c, i), style: "terse", nTrain: c.nTrain, nTest: c.nTest }),
  }));
}

/** SFT rows on gold answers in the instruct format. */
export const sftRows = (examples: TaskExample[]) => examples.map((e) => ({ prompt: e.prompt, completion: `${e.answer}\n` }));

/** GRPO prompt rows: the prompt plus the answer column the reward reads. */
export const promptRows = (examples: TaskExample[]) => examples.map((e) => ({ prompt: e.prompt, answer: e.answer }));
