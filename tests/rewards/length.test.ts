import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { overlongPenalty, overlongPenaltyReward } from "../../lib/rewards";

describe("DAPO overlong penalty", () => {
  // L_max = 20, L_cache = 4: free up to 16, linear to −1 at 20, −1 beyond.
  const table: [number, number][] = [
    [0, 0],
    [16, 0],
    [17, -0.25],
    [18, -0.5],
    [20, -1],
    [21, -1],
  ];
  for (const [len, want] of table) test(`|y| = ${len} → ${want}`, () => assert.equal(overlongPenalty(len, 20, 4), want));

  test("counts tokens from completionIds, not characters", () => {
    const fn = overlongPenaltyReward({ maxCompletionLength: 20, cacheLength: 4 });
    const out = fn({ prompts: ["q", "q"], completions: ["short", "x"], completionIds: [new Array(18).fill(1), new Array(3).fill(1)] });
    assert.deepEqual(out, [-0.5, 0]);
  });
  test("rejects a buffer wider than the limit", () => {
    assert.throws(
      () => overlongPenaltyReward({ maxCompletionLength: 4, cacheLength: 8 }),
      /cacheLength must be an integer in \[1, maxCompletionLength=4\]/,
    );
  });
});

test("overlongPenalty validates L_max, L_cache and the length", () => {
  assert.throws(() => overlongPenalty(10, -5, 2), /overlongPenalty: maxLength must be a positive integer \(L_max, tokens\); got -5/);
  assert.throws(() => overlongPenalty(10, 20, 0), /cacheLength must be an integer in \[1, maxLength=20\]/);
  assert.throws(() => overlongPenalty(-1, 20, 4), /length must be an integer ≥ 0/);
  assert.equal(overlongPenalty(18, 20, 4), -0.5);
});
