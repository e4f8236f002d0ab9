import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { atSize, matchedBySize, relativeUpdateNorm } from "../../lib/analysis";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

describe("update size and matched comparisons", () => {
  test("relative update norm per tensor and overall (hand-worked)", () => {
    const mk = (x: number[], y: number[]): WeightMap =>
      new Map([
        ["model.layers.0.self_attn.q_proj.weight", { shape: [2], data: new Float32Array(x) }],
        ["model.norm.weight", { shape: [2], data: new Float32Array(y) }],
      ]);
    const { rows, overall } = relativeUpdateNorm(mk([3, 4], [0, 2]), mk([3, 5], [0, 2]));
    expectClose([rows[0].deltaNorm, rows[0].baseNorm, rows[0].relative], [1, 5, 0.2], { what: "q" });
    expectClose([rows[1].deltaNorm, rows[1].relative], [0, 0], { what: "norm" });
    assert.deepEqual([rows[0].module, rows[0].layer, rows[1].module], ["q", 0, "norm"]);
    expectClose([overall.deltaNorm, overall.baseNorm, overall.relative], [1, Math.sqrt(29), 1 / Math.sqrt(29)], {
      atol: 1e-12,
      what: "overall",
    });
  });

  test("atSize: first crossing, linear between the points around it", () => {
    // Size dips at step 20: 0.3 is first reached between steps 20 and 30.
    const traj = [
      { step: 10, size: 0.2, metric: 0.3 },
      { step: 0, size: 0, metric: 0.1 },
      { step: 30, size: 0.5, metric: 0.5 },
      { step: 20, size: 0.1, metric: 0.35 },
    ];
    expectClose(Object.values(atSize(traj, 0.1)), [5, 0.2], { atol: 1e-12, what: "size 0.1" });
    expectClose(Object.values(atSize(traj, 0.3)), [25, 0.425], { atol: 1e-12, what: "size 0.3" });
    assert.deepEqual(atSize(traj, 0), { step: 0, metric: 0.1 });
    assert.ok(Number.isNaN(atSize(traj, 0.6).metric), "never reached");
    assert.ok(Number.isNaN(atSize([{ step: 0, size: 0.2, metric: 1 }], 0.1).step), "starts above");
  });

  test("matchedBySize: common range by default, long rows; a run that moves twice as fast is read earlier", () => {
    const runs = {
      sft: [
        { step: 0, size: 0, metric: 0 },
        { step: 10, size: 2, metric: 1 },
      ],
      grpo: [
        { step: 0, size: 0, metric: 0 },
        { step: 10, size: 1, metric: 1 },
      ],
    };
    const rows = matchedBySize(runs, undefined, 3);
    assert.deepEqual(
      rows.map((r) => [r.size, r.run, r.step, r.metric]),
      [
        [0, "sft", 0, 0],
        [0, "grpo", 0, 0],
        [0.5, "sft", 2.5, 0.25],
        [0.5, "grpo", 5, 0.5],
        [1, "sft", 5, 0.5],
        [1, "grpo", 10, 1],
      ],
    );
    assert.equal(matchedBySize(runs, [1.5]).find((r) => r.run === "grpo")!.metric, NaN);
    const apart = {
      a: [
        { step: 0, size: 1, metric: 0 },
        { step: 1, size: 2, metric: 0 },
      ],
      b: [{ step: 0, size: 3, metric: 0 }],
    };
    assert.throws(() => matchedBySize(apart), /no common size range \(starts up to 3, largest sizes down to 2\)/);
    assert.throws(() => matchedBySize({ a: [] }), /run "a" has no points/);
  });
});
