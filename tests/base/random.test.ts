import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng } from "../../lib/base/random";
import { expectClose } from "../helpers/expect";

test("createRng is deterministic per seed and differs across seeds", () => {
  const a = Array.from({ length: 5 }, createRng(7).next);
  const b = createRng(7);
  assert.deepEqual(Array.from({ length: 5 }, b.next), a);
  const c = createRng(8);
  assert.notDeepEqual(Array.from({ length: 5 }, c.next), a);
});

test("createRng: golden first values (mulberry32 over splitmix32 seed) stay fixed across releases", () => {
  const r = createRng(0);
  const xs = [r.next(), r.next(), r.next()];
  // Regenerate only on a deliberate algorithm change: node -e 'r=require("./dist/lib/tasks").createRng(0);console.log(r.next(),r.next(),r.next())'
  expectClose(xs, GOLDEN_SEED0, { atol: 0, what: "createRng(0).next()" });
});

test("int covers [lo, hi] inclusively and uniformly", () => {
  const r = createRng(1);
  const counts = new Array(4).fill(0);
  for (let i = 0; i < 8000; i++) counts[r.int(2, 5) - 2]++;
  for (const c of counts) expectClose(c / 8000, 0.25, { atol: 0.03, what: "int frequency" });
  assert.throws(() => r.int(3, 2), /lo ≤ hi; got lo=3, hi=2/);
  assert.throws(() => createRng(1.5), /seed must be an integer; got 1.5/);
});

test("shuffle is a permutation that leaves its input alone; choice rejects empty arrays", () => {
  const r = createRng(3);
  const xs = [1, 2, 3, 4, 5, 6];
  const s = r.shuffle(xs);
  assert.deepEqual(xs, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(s.slice().sort(), xs);
  assert.throws(() => r.choice([]), /items is empty/);
});

test("normal has mean 0 and variance 1; fork gives an independent deterministic stream", () => {
  const r = createRng(5);
  const xs = Array.from({ length: 20000 }, r.normal);
  const mean = xs.reduce((a, b) => a + b) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  expectClose(mean, 0, { atol: 0.03, what: "mean" });
  expectClose(v, 1, { atol: 0.05, what: "variance" });
  const f1 = createRng(9).fork();
  const f2 = createRng(9).fork();
  assert.equal(f1.next(), f2.next());
});

const GOLDEN_SEED0 = [0.6225702704396099, 0.3551594908349216, 0.43118691933341324];
