import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAnswer, extractAnswer, lastNumber, numbersIn } from "../../lib/tasks/verify";

test("extractAnswer: last closed <answer>, else last ####, else null", () => {
  const cases: [string, string | null][] = [
    ["<think>\nx\n</think>\n<answer>\n579\n</answer>", "579"],
    ["<answer>1</answer> then <answer> 2 </answer>", "2"],
    ["<answer>unclosed 5", null],
    ["work\n#### 42", "42"],
    ["#### 1\nmore\n####   7  \n", "7"],
    ["<answer>3</answer>\n#### 4", "3"],
    ["the answer is 12", null],
  ];
  for (const [text, want] of cases) assert.equal(extractAnswer(text), want, JSON.stringify(text));
});

test("numbersIn strips $ and thousands commas but keeps list commas", () => {
  assert.deepEqual(numbersIn("$1,234 and 5, 6, -7.5"), [1234, 5, 6, -7.5]);
  assert.deepEqual(numbersIn("1,2,3"), [1, 2, 3]);
  assert.equal(lastNumber("no digits"), null);
});

test("checkAnswer: table of hand-worked cases", () => {
  const cases: [string, string, string, boolean][] = [
    // number tasks
    ["add", "<think>\n...\n</think>\n<answer>\n579\n</answer>", "579", true],
    ["add", "<answer>578</answer>", "579", false],
    ["add", "8+7=15 carry 1\n#### 1,579", "1579", true],
    ["add", "123 plus 456 equals 579.", "579", true],
    ["add", ">>> 123 + 456\n579", "579", true],
    ["add", "579 is what 123 + 456 gives", "579", false], // last number is 456
    ["add", "", "579", false],
    ["add", "<answer>$579</answer>", "579", true],
    ["linear", "x = -3", "-3", true],
    ["linear", "#### 3", "-3", false],
    ["max", "The largest number is 91.", "91", true],
    ["min", "The smallest number is 7.", "7", true],
    ["min", "running min: 9, 7\n#### 9", "7", false],
    ["count", "The letter a appears 3 times.", "3", true],
    // list task
    ["sort", "<answer>\n1, 3, 5\n</answer>", "1, 3, 5", true],
    ["sort", ">>> sorted([5, 1, 3])\n[1, 3, 5]", "1, 3, 5", true],
    ["sort", "#### 1, 5, 3", "1, 3, 5", false],
    ["sort", "#### 1, 3", "1, 3, 5", false],
    ["sort", "In increasing order the numbers are 1, 3, 5.", "1, 3, 5", true],
    // word task
    ["reverse", "<answer>\nolleh\n</answer>", "olleh", true],
    ["reverse", ">>> \"hello\"[::-1]\n'olleh'", "olleh", true],
    ["reverse", "Written backwards, hello is olleh.", "olleh", true],
    ["reverse", "#### ollhe", "olleh", false],
    ["reverse", "<answer></answer>", "", false],
  ];
  for (const [task, completion, answer, want] of cases) {
    assert.equal(checkAnswer(task, completion, answer), want, `${task}: ${JSON.stringify(completion)} vs ${answer}`);
  }
});

test("checkAnswer names an unknown task and suggests the closest", () => {
  assert.throws(() => checkAnswer("addd", "1", "1"), /unknown task "addd" \(did you mean "add"\?\)/);
});
