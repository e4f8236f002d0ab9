// Confidence intervals of accuracy matrices (lib/forgetting/intervals.ts): sample counts and seeds.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { countIntervals, seedIntervals, forgettingMetrics, taskForgetting } from "../../lib/forgetting";
import { wilson, meanCI } from "../../lib/stats";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";
import { HAND_T3 } from "./hand-matrix";

const counts = (T: number, n: number) => Array.from({ length: T + 1 }, () => new Array(T).fill(n));

describe("count intervals (one run, sample counts per cell)", () => {
  test("cells: Wilson of k = a·n; metrics: parametric bootstrap around the point estimate, seeded", () => {
    const m = { ...HAND_T3, counts: counts(3, 50) };
    const r = countIntervals(m, { reps: 500, seed: 3 });
    assert.deepEqual(r.cells[1][0], wilson(45, 50));
    const point = forgettingMetrics(m);
    for (const name of ["avgAcc", "bwt", "fm", "fwt"] as const) {
      const ci = r.metrics[name]!;
      assert.equal(ci.estimate, point[name]);
      assert.equal(ci.method, "parametric-bootstrap");
      assert.ok(ci.lo < ci.estimate && ci.estimate < ci.hi, `${name}: ${ci.lo} < ${ci.estimate} < ${ci.hi}`);
    }
    assert.deepEqual(countIntervals(m, { reps: 500, seed: 3 }), r, "same seed, same intervals");
  });

  test("AvgAcc's bootstrap interval matches the normal approximation (T cells of n = 400 at p = 1/2)", () => {
    // AvgAcc = mean of the last row; its s.e. is √(Σ p(1−p)/n)/T = √(2·0.25/400)/2 = 0.0177 → 95% half-width 0.0347.
    const m = {
      tasks: ["a", "b"],
      matrix: [
        [0.5, 0.5],
        [0.5, 0.5],
        [0.5, 0.5],
      ],
      counts: counts(2, 400),
    };
    const ci = countIntervals(m, { reps: 4000, seed: 1 }).metrics.avgAcc!;
    expectClose((ci.hi - ci.lo) / 2, (1.96 * Math.sqrt((2 * 0.25) / 400)) / 2, { rtol: 0.1, what: "half-width" });
  });

  test("T = 1: BWT, FM, FWT intervals are null; a matrix without counts is an error", () => {
    const r = countIntervals({ tasks: ["a"], matrix: [[0.2], [0.6]], counts: [[10], [10]] }, { reps: 100 });
    assert.deepEqual([r.metrics.bwt, r.metrics.fm, r.metrics.fwt], [null, null, null]);
    assert.ok(r.metrics.avgAcc);
    assert.throws(
      () => countIntervals(HAND_T3),
      (e: unknown) => e instanceof RftlabError && /no "counts"/.test(e.message),
    );
    assert.throws(() => countIntervals({ ...HAND_T3, counts: counts(3, 5) }, { reps: 5 }), /reps must be an integer ≥ 10/);
  });
});

describe("seed intervals (one matrix per seed)", () => {
  const runs = [0, 0.1, -0.1].map((d) => ({
    tasks: ["a", "b"],
    matrix: [
      [0.2, 0.1],
      [0.7 + d, 0.1],
      [0.5, 0.6 + d],
    ],
  }));

  test("mean ± t over seeds of every metric, cell and per-task forgetting", () => {
    const r = seedIntervals(runs);
    assert.equal(r.seeds, 3);
    assert.deepEqual(r.metrics.bwt, meanCI(runs.map((m) => forgettingMetrics(m).bwt!)));
    expectClose(r.metrics.bwt!.estimate, -0.2, { atol: 1e-12, what: "mean BWT" });
    assert.deepEqual(r.cells[1][0], meanCI(runs.map((m) => m.matrix[1][0])));
    assert.deepEqual(r.perTask[0].forgetting, meanCI(runs.map((m) => taskForgetting(m)[0].forgetting!)));
    expectClose(r.perTask[0].forgetting!.estimate, 0.2, { atol: 1e-12, what: "mean forgetting of a" });
    assert.equal(r.perTask[1].forgetting, null, "the last task has no forgetting");
  });

  test("one seed: bounds null, never a made-up width; mismatched task lists are an error", () => {
    const one = seedIntervals(runs.slice(0, 1));
    assert.deepEqual([one.metrics.avgAcc!.lo, one.metrics.avgAcc!.hi], [null, null]);
    assert.throws(
      () => seedIntervals([runs[0], { ...runs[1], tasks: ["b", "a"] }]),
      /runs\[1\] has tasks \["b","a"\] but runs\[0\] has \["a","b"\]/,
    );
    assert.throws(() => seedIntervals([]), /runs is empty/);
    const t1 = seedIntervals([
      { tasks: ["a"], matrix: [[0], [0.5]] },
      { tasks: ["a"], matrix: [[0], [0.7]] },
    ]);
    assert.equal(t1.metrics.fwt, null);
  });
});
