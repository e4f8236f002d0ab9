import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapCI, pairedBootstrap, unpairedBootstrap, standardError } from "../../lib/stats";
import { createRng } from "../../lib/base/random";
import { expectClose } from "../helpers/expect";

test("a constant sample gives a zero-width interval at the constant", () => {
  assert.deepEqual(bootstrapCI([0.5, 0.5, 0.5], { reps: 50 }), {
    estimate: 0.5,
    lo: 0.5,
    hi: 0.5,
    level: 0.95,
    method: "bootstrap-percentile",
  });
});

test("two values: the resampled mean takes 0, ½, 1 with probabilities ¼, ½, ¼, so the 95% interval is [0, 1]", () => {
  const ci = bootstrapCI([0, 1], { reps: 2000, seed: 3 });
  assert.equal(ci.estimate, 0.5);
  assert.deepEqual([ci.lo, ci.hi], [0, 1]);
  const mid = bootstrapCI([0, 1], { reps: 2000, seed: 3, level: 0.4 }); // central 40% lies inside the ½ atom
  assert.deepEqual([mid.lo, mid.hi], [0.5, 0.5]);
});

test("seeded: same seed same interval; for a large normal sample the width matches ±1.96 s.e.", () => {
  const rng = createRng(1);
  const xs = Array.from({ length: 400 }, () => rng.normal());
  const a = bootstrapCI(xs, { seed: 7 });
  assert.deepEqual(bootstrapCI(xs, { seed: 7 }), a);
  assert.notDeepEqual(bootstrapCI(xs, { seed: 8 }), a);
  const se = standardError(xs);
  // Bootstrap s.e. of the mean is s·√((n−1)/n)/√n; with B = 2000 the percentile ends scatter by a few percent.
  expectClose(a.hi - a.lo, 2 * 1.959964 * se, { rtol: 0.08 });
  assert.ok(a.lo < a.estimate && a.estimate < a.hi);
});

test("a custom statistic (the median)", () => {
  const med = (xs: Float64Array) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const ci = bootstrapCI([1, 2, 3, 4, 100], { statistic: med, reps: 500 });
  assert.equal(ci.estimate, 3);
  assert.ok(ci.hi <= 100 && ci.lo >= 1);
});

test("paired vs unpaired: shared prompt difficulty cancels only when pairs travel together", () => {
  const rng = createRng(2);
  // 200 prompts whose difficulty varies a lot; model A is exactly 0.05 better on every prompt.
  const b = Array.from({ length: 200 }, () => rng.next());
  const a = b.map((x) => x + 0.05);
  const paired = pairedBootstrap(a, b);
  expectClose([paired.estimate, paired.lo, paired.hi], [0.05, 0.05, 0.05], { atol: 1e-12 });
  assert.equal(paired.method, "paired-bootstrap");
  const unpaired = unpairedBootstrap(a, b);
  expectClose(unpaired.estimate, 0.05, { atol: 1e-12 });
  assert.ok(unpaired.lo < 0 && unpaired.hi > 0.1, `unpaired ${JSON.stringify(unpaired)} should straddle 0`);
});

test("argument errors", () => {
  assert.throws(
    () => pairedBootstrap([1, 2], [1]),
    /pairedBootstrap: a and b must score the same prompts; got 2 and 1 values \(use unpairedBootstrap\)/,
  );
  assert.throws(() => bootstrapCI([], {}), /bootstrapCI: xs needs at least 1 value/);
  assert.throws(() => bootstrapCI([1], { reps: 5 }), /bootstrapCI: reps must be an integer ≥ 10 \(default 2000\); got 5/);
});
