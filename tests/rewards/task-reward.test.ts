import { test } from "node:test";
import assert from "node:assert/strict";
import { taskCorrect, taskReward, getReward, rewardNames, REWARDS } from "../../lib/rewards";

test("taskCorrect: one trailing newline and surrounding spaces are dropped, nothing else is forgiven", () => {
  const table: [string, string, boolean][] = [
    ["579\n", "579", true],
    ["579", "579", true], // stopped at eos before the newline
    [" 579 \n", "579", true],
    ["579 \n ", "579", true],
    ["579\n\n", "579", false], // two newlines: the model went on
    ["0579\n", "579", false],
    ["579.0\n", "579", false],
    ["<answer>579</answer>", "579", false],
    ["579\nmore", "579", false],
    ["", "579", false],
  ];
  for (const [completion, answer, want] of table) assert.equal(taskCorrect("add", completion, answer), want, JSON.stringify(completion));
  assert.equal(taskCorrect("sort", "1, 3, 5\n", "1, 3, 5"), true);
  assert.equal(taskCorrect("sort", "1,3,5\n", "1, 3, 5"), false);
  assert.equal(taskCorrect("reverse", "olleh\n", "olleh"), true);
  assert.throws(() => taskCorrect("ad", "1", "1"), /unknown task "ad" \(did you mean "add"\?\)/);
});

test("taskReward reads the answer column; null where a row has no answer; missing column is an error", () => {
  const r = taskReward("add");
  const ctx = { prompts: ["a", "b", "c"], completions: ["3\n", "4\n", "5\n"], answer: ["3", "5", null] };
  assert.deepEqual(r(ctx), [1, 0, null]);
  assert.deepEqual(r({ prompts: ["a"], completions: ["12\n"], answer: [12] }), [1]); // numbers are compared as their text
  assert.throws(() => r({ prompts: ["a"], completions: ["3"] }), /taskReward\("add"\): dataset column "answer" is missing/);
});

test("reward registry: built-ins by name, a task where needed, did-you-mean for typos", () => {
  assert.deepEqual(rewardNames(), ["exact", "correct", "format", "tag_count"]);
  const exact = getReward("exact").create({ task: "add" });
  assert.deepEqual(exact({ prompts: ["q", "q"], completions: ["7\n", "<answer>7</answer>"], answer: ["7", "7"] }), [1, 0]);
  const correct = getReward("correct").create({ task: "add" });
  assert.deepEqual(correct({ prompts: ["q", "q"], completions: ["7\n", "<answer>7</answer>"], answer: ["7", "7"] }), [1, 1]);
  const numeric = getReward("correct").create({}); // no task: numeric match of the answer column
  assert.deepEqual(numeric({ prompts: ["q"], completions: ["it is 7.0"], answer: ["7"] }), [1]);
  assert.deepEqual(getReward("tag_count").create({})({ prompts: ["q"], completions: ["<think>\nr\n</think>\n42"] }), [0.5]);
  assert.throws(() => getReward("exact").create({}), /reward "exact" needs a bundled task dataset/);
  assert.throws(
    () => getReward("tagcount"),
    /unknown reward "tagcount" \(did you mean "tag_count"\?\); rewards: exact, correct, format, tag_count/,
  );
  for (const [name, spec] of Object.entries(REWARDS)) assert.equal(spec.name, name);
});
