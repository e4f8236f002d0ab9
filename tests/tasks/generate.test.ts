import { test } from "node:test";
import assert from "node:assert/strict";
import { additionWork, multiplicationWork } from "../../lib/tasks/arithmetic";
import { generateTask, renderTarget, taskPrompt } from "../../lib/tasks/generate";
import { taskNames } from "../../lib/tasks/registry";
import { splitTrainTest, taskSplits } from "../../lib/tasks/split";
import { TASK_STYLES } from "../../lib/tasks/task";
import { checkAnswer } from "../../lib/tasks/verify";

test("worked steps, by hand", () => {
  assert.equal(additionWork(58, 67), "8+7=15 carry 1; 5+6+1=12 carry 1; carry 1");
  assert.equal(additionWork(123, 456), "3+6=9; 2+5=7; 1+4=5");
  assert.equal(multiplicationWork(47, 8), "7*8=56 carry 5; 4*8+5=37 carry 3; carry 3");
});

test("renderTarget: one problem in every style", () => {
  const p = {
    question: "What is 2 + 3?",
    answer: "5",
    work: "2+3=5",
    natural: "2 plus 3 equals 5.",
    code: { input: "2 + 3", output: "5" },
  };
  assert.equal(taskPrompt(p.question), "Question: What is 2 + 3?\n");
  assert.equal(renderTarget(p, "answer"), "<think>\n2+3=5\n</think>\n<answer>\n5\n</answer>");
  assert.equal(renderTarget(p, "hash"), "2+3=5\n#### 5");
  assert.equal(renderTarget(p, "natural"), "2 plus 3 equals 5.");
  assert.equal(renderTarget(p, "code"), ">>> 2 + 3\n5");
  assert.equal(renderTarget(p, "terse"), "5");
});

test("every task's gold target passes its verifier in every style; answers are right", () => {
  for (const name of taskNames()) {
    for (const style of TASK_STYLES) {
      for (const e of generateTask(name, { n: 30, seed: 11, style })) {
        assert.ok(checkAnswer(name, e.target!, e.answer), `${name}/${style}: ${JSON.stringify(e)}`);
        assert.equal(e.meta?.task, name);
      }
    }
  }
  for (const e of generateTask("add", { n: 50, seed: 2, digits: 4 })) {
    const [a, b] = e.prompt.match(/\d+/g)!.map(Number);
    assert.equal(String(a).length, 4);
    assert.equal(Number(e.answer), a + b);
  }
  for (const e of generateTask("linear", { n: 50, seed: 2 })) {
    const [, a, sign, b, c] = e.prompt.match(/(\d+)x ([+-]) (\d+) = (-?\d+)/)!;
    assert.equal(Number(a) * Number(e.answer) + (sign === "+" ? 1 : -1) * Number(b), Number(c));
  }
  for (const e of generateTask("sort", { n: 20, seed: 2, length: 6 })) {
    const xs = e.prompt
      .split(":")
      .pop()!
      .match(/\d+/g)!
      .map(Number)
      .sort((x, y) => x - y);
    assert.equal(e.answer, xs.join(", "));
  }
});

test("max and min: by hand, and the answer is the list's extreme", () => {
  // Pinned from before min shared max's generator: the max problems (and so tiny-base's corpus) are unchanged.
  assert.deepEqual(generateTask("max", { n: 1, seed: 5, length: 4, style: "hash" })[0], {
    prompt: "Question: What is the largest number in 47, 55, 71, 44?\n",
    answer: "71",
    target: "running max: 47, 55, 71, 71\n#### 71",
    meta: { task: "max", style: "hash", options: { length: 4, maxValue: 99 } },
  });
  const [m] = generateTask("min", { n: 1, seed: 5, length: 4, style: "hash" });
  assert.equal(m.prompt, "Question: What is the smallest number in 47, 55, 71, 44?\n");
  assert.equal(m.target, "running min: 47, 47, 47, 44\n#### 44");
  assert.equal(generateTask("min", { n: 1, seed: 5, length: 4, style: "code" })[0].target, ">>> min([47, 55, 71, 44])\n44");
  assert.equal(generateTask("min", { n: 1, seed: 5, length: 4, style: "natural" })[0].target, "The smallest number is 44.");
  for (const e of generateTask("min", { n: 50, seed: 3, length: 6, maxValue: 999 })) {
    const xs = e.prompt.split(" in ").pop()!.match(/\d+/g)!.map(Number);
    assert.equal(xs.length, 6);
    assert.equal(Number(e.answer), Math.min(...xs));
  }
  assert.throws(
    () => generateTask("min", { n: 1, seed: 0, length: 0 }),
    /task "min": option length must be an integer in \[1, 100\]; got 0/,
  );
});

test("generateTask is seeded and validates its options", () => {
  assert.deepEqual(generateTask("mul", { n: 5, seed: 1 }), generateTask("mul", { n: 5, seed: 1 }));
  assert.notDeepEqual(generateTask("mul", { n: 5, seed: 1 }), generateTask("mul", { n: 5, seed: 2 }));
  assert.throws(
    () => generateTask("add", { n: 1, seed: 0, digit: 3 }),
    /unknown option digit \(did you mean "digits"\?\); options are digits/,
  );
  assert.throws(() => generateTask("add", { n: 1, seed: 0, digits: 0 }), /digits must be an integer in \[1, 15\]; got 0/);
  assert.throws(() => generateTask("add", { n: 1, seed: 0, style: "latex" as never }), /style must be one of/);
  assert.throws(() => generateTask("add", { n: -1, seed: 0 }), /n must be an integer ≥ 0; got -1/);
});

test("splits: splitTrainTest partitions; taskSplits keeps test prompts out of train", () => {
  const xs = Array.from({ length: 20 }, (_, i) => i);
  const { train, test: held } = splitTrainTest(xs, { testFraction: 0.25, seed: 4 });
  assert.equal(held.length, 5);
  assert.deepEqual(
    [...train, ...held].sort((a, b) => a - b),
    xs,
  );
  const s = taskSplits("add", { nTrain: 200, nTest: 100, seed: 0, digits: 1 });
  const testPrompts = new Set(s.test.map((e) => e.prompt));
  assert.equal(s.train.length, 200);
  assert.ok(s.train.every((e) => !testPrompts.has(e.prompt)));
  assert.throws(() => taskSplits("add", { nTrain: 100, nTest: 100, seed: 0, digits: 1, maxDigits: 1 }), /unknown option maxDigits/);
  assert.throws(() => splitTrainTest(xs, { testFraction: 1 }), /testFraction must be in \(0, 1\); got 1/);
});
