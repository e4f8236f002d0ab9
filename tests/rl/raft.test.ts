import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { raftSelect, METRIC_NAMES } from "../../lib/rl";

describe("raftSelect", () => {
  const groups = [
    [
      { id: "a0", reward: 0.2, correct: false },
      { id: "a1", reward: 0.9, correct: false },
      { id: "a2", reward: 0.5, correct: true },
      { id: "a3", reward: 0.9, correct: true },
    ],
    [
      { id: "b0", reward: NaN },
      { id: "b1", reward: -1, correct: false },
    ],
  ];
  const ids = (sel: { item: { id: string } }[]) => sel.map((s) => s.item.id);

  test("best per group (ties → first), NaN never kept", () => {
    const sel = raftSelect(groups, { keep: "best" });
    assert.deepEqual(ids(sel), ["a1", "b1"]);
    assert.deepEqual(
      sel.map((s) => [s.group, s.index]),
      [
        [0, 1],
        [1, 1],
      ],
    );
  });
  test("top fraction: ceil(f·K) best, at least one", () => {
    assert.deepEqual(ids(raftSelect(groups, { keep: { topFraction: 0.5 } })), ["a1", "a3", "b1"]);
    assert.deepEqual(ids(raftSelect(groups, { keep: { topFraction: 0.1 } })), ["a1", "b1"]);
  });
  test("expert iteration: correctness filter; groups without a correct sample keep nothing", () => {
    assert.deepEqual(ids(raftSelect(groups, { keep: "best", requireCorrect: true })), ["a3"]);
  });
  test("pure: input untouched; bad keep rejected", () => {
    const copy = JSON.stringify(groups);
    raftSelect(groups, { keep: { topFraction: 1 } });
    assert.equal(JSON.stringify(groups), copy);
    assert.throws(() => raftSelect(groups, { keep: { topFraction: 0 } }), /0 < topFraction ≤ 1/);
  });
  test("metric names are TRL's keys", () => {
    assert.equal(METRIC_NAMES.clipRatioRegion, "clip_ratio/region_mean");
    assert.equal(Object.values(METRIC_NAMES).length, 15);
  });
});
