import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { scoreRewards, type RewardFn } from "../../lib/rewards";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";

const ctx = { prompts: ["p0", "p1", "p2", "p3"], completions: ["a", "b", "c", "d"] };
const fixed =
  (xs: (number | null)[]): RewardFn =>
  () =>
    xs;

describe("scoreRewards", () => {
  test("warns once, with the row's inputs, when every function returned null (first: warnOnce is per process)", async () => {
    // warnOnce writes one plain line to stderr (no process warning event: no code banner or trace hint).
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (warnings.push(String(s)), true)) as typeof write;
    try {
      await scoreRewards([{ name: "n", fn: fixed([null, 1, 1, null]) }], ctx);
      await scoreRewards([{ name: "n", fn: fixed([null, 1, 1, 1]) }], ctx);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /row 0 \(prompt: p0; completion: a\)/);
  });

  test("weighted nansum; null is NaN, excluded from the function's mean; all-null row is NaN", async () => {
    const s = await scoreRewards(
      [
        { name: "acc", fn: fixed([1, 0, null, null]), weight: 2 },
        // async custom function
        { name: "fmt", fn: async () => [0.5, null, 1, null] },
      ],
      ctx,
    );
    expectClose(s.total, [2.5, 0, 1, NaN], { what: "total" });
    expectClose(s.perFunction.acc, [1, 0, NaN, NaN], { what: "acc" });
    assert.equal(s.metrics["rewards/acc/mean"], 0.5);
    expectClose(s.metrics["rewards/acc/std"], Math.SQRT1_2, { what: "acc std (Bessel)" });
    assert.equal(s.metrics["rewards/fmt/mean"], 0.75);
    // reward = mean of non-NaN totals: (2.5 + 0 + 1)/3
    expectClose(s.metrics.reward, 3.5 / 3, { what: "reward" });
    // batch std of [2.5, 0, 1], Bessel: mean 7/6, Σ(x−m)² = 3.1667, /2
    expectClose(s.metrics.reward_std, Math.sqrt((1.3333333333 ** 2 + (7 / 6) ** 2 + (1 / 6) ** 2) / 2), { atol: 1e-9, what: "reward_std" });
  });

  test("group metrics: reward_std is the mean group std, frac_reward_zero_std counts flat groups", async () => {
    const s = await scoreRewards([{ name: "r", fn: fixed([1, 0, 1, 1]) }], ctx, { groupSize: 2 });
    expectClose(s.metrics.reward_std, Math.SQRT1_2 / 2, { what: "reward_std" });
    assert.equal(s.metrics.frac_reward_zero_std, 0.5);
  });

  test("validation errors name the function and the row", async () => {
    await assert.rejects(
      scoreRewards([{ name: "short", fn: fixed([1, 2]) }], ctx),
      (e: Error) => e instanceof RftlabError && /"short" returned 2 scores for 4/.test(e.message),
    );
    await assert.rejects(
      scoreRewards([{ name: "bad", fn: (() => [1, "x", 0, 0]) as unknown as RewardFn }], ctx),
      (e: Error) => e instanceof RftlabError && /"bad" returned "x" \(string\) for row 1/.test(e.message),
    );
    await assert.rejects(scoreRewards([{ name: "inf", fn: fixed([1, 0, Infinity, 0]) }], ctx), /"inf" returned .* for row 2/);
    await assert.rejects(
      scoreRewards(
        [
          { name: "a", fn: fixed([1, 1, 1, 1]) },
          { name: "a", fn: fixed([1, 1, 1, 1]) },
        ],
        ctx,
      ),
      /used twice/,
    );
    await assert.rejects(scoreRewards([{ name: "a", fn: fixed([1, 1, 1, 1]) }], ctx, { groupSize: 3 }), /groupSize/);
  });
});

test("scoreRewards: a reward that throws surfaces with the reward's name (its error kept as the cause)", async () => {
  const boom = new Error("boom");
  await assert.rejects(
    scoreRewards(
      [
        { name: "format", fn: () => [1, 1, 1, 1] },
        {
          name: "judge",
          fn: () => {
            throw boom;
          },
        },
      ],
      ctx,
    ),
    (e: unknown) => e instanceof RftlabError && /reward function "judge" threw: boom/.test(e.message) && e.cause === boom,
  );
});
