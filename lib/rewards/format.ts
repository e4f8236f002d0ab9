import type { RewardFn } from "./types";

// `s` flag: dot matches newline (spec/algorithms.md "Rewards", format).
const THINK_ANSWER = /^<think>\n.*?\n<\/think>\n<answer>\n.*?\n<\/answer>$/s;

/** 1 if the whole completion is `<think>\n…\n</think>\n<answer>\n…\n</answer>`, else 0. */
export function thinkAnswerFormat(completion: string): number {
  return THINK_ANSWER.test(completion) ? 1 : 0;
}

const TAGS = ["<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"];

function count(text: string, sub: string): number {
  let n = 0;
  for (let i = text.indexOf(sub); i >= 0; i = text.indexOf(sub, i + 1)) n++;
  return n;
}

/** Partial format credit: 0.25 for each of `<think>\n`, `\n</think>\n`, `\n<answer>\n`, `\n</answer>` occurring exactly once. */
export function tagCount(completion: string): number {
  return TAGS.reduce((s, t) => s + (count(completion, t) === 1 ? 0.25 : 0), 0);
}

/** Strict think/answer format reward (0/1) per completion. */
export function formatReward(): RewardFn {
  return (ctx) => ctx.completions.map(thinkAnswerFormat);
}

/** Soft "tag count" format reward in {0, 0.25, 0.5, 0.75, 1} per completion. */
export function tagCountReward(): RewardFn {
  return (ctx) => ctx.completions.map(tagCount);
}
