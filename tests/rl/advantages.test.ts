import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { computeAdvantages } from "../../lib/rl";
import { expectClose } from "../helpers/expect";
import { rng } from "./seeded";

describe("computeAdvantages", () => {
  const r = [1, 0, 0, 1];
  const sd4 = Math.sqrt(1 / 3); // Bessel std of [1,0,0,1]
  const sd2 = Math.SQRT1_2; // Bessel std of [1,0]
  const table: [string, Parameters<typeof computeAdvantages>[1], number[]][] = [
    ["grpo G=4, group std", { groupSize: 4, estimator: "grpo" }, [1, -1, -1, 1].map((s) => (s * 0.5) / (sd4 + 1e-4))],
    [
      "grpo G=2, group std",
      { groupSize: 2, estimator: "grpo", scaleRewards: "group" },
      [1, -1, -1, 1].map((s) => (s * 0.5) / (sd2 + 1e-4)),
    ],
    [
      "grpo G=2, batch std",
      { groupSize: 2, estimator: "grpo", scaleRewards: "batch" },
      [1, -1, -1, 1].map((s) => (s * 0.5) / (sd4 + 1e-4)),
    ],
    ["grpo G=4, none (Dr. GRPO)", { groupSize: 4, estimator: "grpo", scaleRewards: "none" }, [0.5, -0.5, -0.5, 0.5]],
    ["rloo G=4: 1 − 1/3, 0 − 2/3", { groupSize: 4, estimator: "rloo" }, [2 / 3, -2 / 3, -2 / 3, 2 / 3]],
    ["rloo G=2", { groupSize: 2, estimator: "rloo" }, [1, -1, -1, 1]],
    ["reinforce, group-mean baseline", { groupSize: 4, estimator: "reinforce" }, [0.5, -0.5, -0.5, 0.5]],
    ["reinforce, constant baseline 0.25", { groupSize: 4, estimator: "reinforce", baseline: 0.25 }, [0.75, -0.25, -0.25, 0.75]],
  ];
  for (const [what, cfg, want] of table) test(what, () => expectClose(computeAdvantages(r, cfg), want, { atol: 1e-12, what }));

  test("zero-variance group and single-completion groups give 0, not NaN", () => {
    assert.deepEqual(computeAdvantages([1, 1, 1, 0.5], { groupSize: 2 }).slice(0, 2), [0, 0]);
    assert.deepEqual(computeAdvantages([1, 0, 3], { groupSize: 1 }), [0, 0, 0]);
  });

  test("batch scaling: the batch std is over the rewards that are not NaN", () => {
    // Valid rewards [1, 0, 1, 0, 0]: mean 0.4, Bessel std √(0.3); groups [1, NaN, 0] and [1, 0, 0].
    const s = Math.sqrt(0.3) + 1e-4;
    expectClose(
      computeAdvantages([1, NaN, 0, 1, 0, 0], { groupSize: 3, scaleRewards: "batch" }),
      [0.5 / s, 0, -0.5 / s, 2 / 3 / s, -1 / 3 / s, -1 / 3 / s],
      { atol: 1e-12 },
    );
  });

  test("a NaN reward gets 0 and is left out of its group's statistics", () => {
    expectClose(computeAdvantages([1, NaN, 0], { groupSize: 3, scaleRewards: "none" }), [0.5, 0, -0.5], { atol: 1e-12 });
  });

  test("property: group advantages sum to 0 (grpo, rloo, any scaling)", () => {
    const { normal } = rng(7);
    const rewards = Array.from({ length: 48 }, () => normal() * 3 + 1);
    for (const estimator of ["grpo", "rloo"] as const) {
      for (const scaleRewards of ["group", "batch", "none"] as const) {
        const a = computeAdvantages(rewards, { groupSize: 6, estimator, scaleRewards });
        for (let g = 0; g < 48; g += 6)
          expectClose(
            a.slice(g, g + 6).reduce((s, x) => s + x, 0),
            0,
            { atol: 1e-9, what: `${estimator}/${scaleRewards} group ${g / 6}` },
          );
      }
    }
  });

  test("errors name the field, value and fix", () => {
    assert.throws(() => computeAdvantages([1, 2, 3], { groupSize: 2 }), /3 rewards is not a multiple of groupSize 2/);
    assert.throws(() => computeAdvantages([1, 2], { groupSize: 1, estimator: "rloo" }), /rloo" needs groupSize ≥ 2/);
    assert.throws(() => computeAdvantages([1, 2], { groupSize: 0 }), /groupSize \(G\) must be a positive integer; got 0/);
    assert.throws(() => computeAdvantages([1, 2], { groupSize: 2, baseline: 1 }), /baseline applies to estimator "reinforce" only/);
  });
});

test("computeAdvantages: rewards that are not numbers are errors naming the index (NaN stays a missing reward)", () => {
  assert.throws(() => computeAdvantages(["1", "0"] as never, { groupSize: 2 }), /rewards\[0\] = "1" is not a number/);
  assert.throws(() => computeAdvantages([undefined, 1] as never, { groupSize: 2 }), /rewards\[0\] = undefined is not a number/);
  assert.deepEqual(computeAdvantages([NaN, 1, 0, 1], { groupSize: 2, scaleRewards: "none" }), [0, 0, -0.5, 0.5]);
});
