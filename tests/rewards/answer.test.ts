import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { extractAnswer, lastNumber, parseNumber, answersMatch, answerAccuracyReward } from "../../lib/rewards";

describe("answer extraction", () => {
  const cases: [string, string][] = [
    ["<think>\nx\n</think>\n<answer>\n 42 \n</answer>", "42"],
    ["<answer>1</answer> then <answer>2</answer>", "2"],
    ["Natalia sold 48/2 = 24 clips.\n#### 72", "72"],
    ["just text", "just text"],
  ];
  for (const [text, want] of cases) test(`extractAnswer(${JSON.stringify(text)})`, () => assert.equal(extractAnswer(text), want));

  const numbers: [string, number][] = [
    ["The total is $1,234.50.", 1234.5],
    ["3 apples and 4 pears, so 7", 7],
    ["#### -12", -12],
    ["<answer>3/4</answer>", 0.75],
    ["no digits", NaN],
    ["it costs $ 5", 5],
  ];
  for (const [text, want] of numbers) test(`lastNumber(${JSON.stringify(text)}) = ${want}`, () => assert.deepEqual(lastNumber(text), want));

  test("parseNumber strips , and $", () => {
    assert.equal(parseNumber("$1,000"), 1000);
    assert.equal(parseNumber("3.0"), 3);
    assert.ok(Number.isNaN(parseNumber("3 apples")));
  });
});

describe("answerAccuracyReward", () => {
  const table: [string, string | number | null, number | null][] = [
    ["<answer>3.0</answer>", "3", 1],
    ["so the answer is $18.", "Janet makes 18 dollars.\n#### 18", 1],
    ["<answer>1,000</answer>", 1000, 1],
    ["<answer>17</answer>", "18", 0],
    ["no number", "18", 0],
    ["<answer>Paris</answer>", "Paris", 1],
    ["<answer>paris</answer>", "Paris", 0],
    ["anything", null, null],
  ];
  test("table", () => {
    const fn = answerAccuracyReward();
    const out = fn({ prompts: table.map(() => "q"), completions: table.map((r) => r[0]), answer: table.map((r) => r[1]) });
    assert.deepEqual(
      out,
      table.map((r) => r[2]),
    );
  });
  test("missing column names it", () => {
    assert.throws(
      () => answerAccuracyReward({ answerColumn: "solution" })({ prompts: ["q"], completions: ["1"] }),
      /column "solution" is missing/,
    );
  });
  test("answersMatch tolerates float noise only", () => {
    assert.ok(answersMatch("0.30000000000000004", "0.3"));
    assert.ok(!answersMatch("0.31", "0.3"));
  });
});
