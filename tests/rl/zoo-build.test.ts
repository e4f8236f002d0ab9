import { test } from "node:test";
import assert from "node:assert/strict";
import type { SftRecipe } from "../../lib/model";
import { zooSftRows, zooTaskSplits } from "../../lib/rl/zoo-build";

const recipe = (maxWeight?: number): SftRecipe => ({
  name: "t",
  description: "",
  kind: "sft",
  parent: "tiny-base",
  dtype: "BF16",
  tasks: [
    { task: "max", options: { length: 3 }, ...(maxWeight === undefined ? {} : { weight: maxWeight }) },
    { task: "min", options: { length: 3 } },
  ],
  split: { seed: 0, nTrain: 3, nTest: 4 },
  sft: {},
  eval: { samples: 1, seed: 0 },
});

test("a task's weight multiplies its training rows and keeps its held-out prompts", () => {
  const [one, min] = zooTaskSplits(recipe());
  const [two] = zooTaskSplits(recipe(2));
  assert.deepEqual([one.weight, one.train.length, two.weight, two.train.length, min.train.length], [1, 3, 2, 6, 3]);
  assert.deepEqual(two.test, one.test);
  assert.deepEqual(two.train.slice(0, 3), one.train); // the same stream, drawn further
});

test("SFT rows interleave the tasks, weight rows of a task per round, completion = answer, newline, eos", () => {
  const [max, min] = zooTaskSplits(recipe(2));
  const rows = zooSftRows(recipe(2), "<eos>");
  const order = [
    max.train[0],
    max.train[1],
    min.train[0],
    max.train[2],
    max.train[3],
    min.train[1],
    max.train[4],
    max.train[5],
    min.train[2],
  ];
  assert.deepEqual(
    rows,
    order.map((e) => ({ prompt: e.prompt, completion: `${e.answer}\n<eos>` })),
  );
  const [max1, min1] = zooTaskSplits(recipe());
  assert.deepEqual(
    zooSftRows(recipe(), "E").map((r) => r.prompt),
    [max1.train[0], min1.train[0], max1.train[1], min1.train[1], max1.train[2], min1.train[2]].map((e) => e.prompt),
  );
});

test("a weight that is not an integer ≥ 1 is refused with the fix", () => {
  assert.throws(() => zooTaskSplits(recipe(0)), /zoo recipe t: task "max" has weight 0; use an integer ≥ 1/);
  assert.throws(() => zooTaskSplits(recipe(1.5)), /has weight 1.5/);
});
