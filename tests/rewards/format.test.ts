import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { thinkAnswerFormat, tagCount, formatReward, tagCountReward } from "../../lib/rewards";

describe("format rewards", () => {
  const table: [string, number, number][] = [
    // text, strict format, tag count
    ["<think>\nreason\n</think>\n<answer>\n42\n</answer>", 1, 1],
    ["<think>\nline 1\nline 2\n</think>\n<answer>\na\nb\n</answer>", 1, 1], // dot matches newline
    ["<think>\nr\n</think>\n<answer>\n42\n</answer>\nextra", 0, 1],
    ["<think>r</think><answer>42</answer>", 0, 0],
    ["<think>\nr\n</think>\n42", 0, 0.5],
    ["<think>\na\n</think>\n<think>\nb\n</think>\n<answer>\n1\n</answer>", 1, 0.5], // duplicate think tags
    ["", 0, 0],
  ];
  for (const [text, strict, tags] of table) {
    test(JSON.stringify(text), () => {
      assert.equal(thinkAnswerFormat(text), strict);
      assert.equal(tagCount(text), tags);
    });
  }
  test("as reward functions", () => {
    const ctx = { prompts: ["q", "q"], completions: [table[0][0], table[4][0]] };
    assert.deepEqual(formatReward()(ctx), [1, 0]);
    assert.deepEqual(tagCountReward()(ctx), [1, 0.5]);
  });
});
