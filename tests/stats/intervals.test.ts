import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  normalQuantile,
  studentTQuantile,
  studentTCdf,
  logGamma,
  wilson,
  meanCI,
  mean,
  sampleSd,
  standardError,
  proportionSe,
  pairedGain,
} from "../../lib/stats";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython } from "../helpers/python";

describe("quantiles", () => {
  test("t table values (two-sided 95%, 99%) and the closed forms for ν = 1, 2", () => {
    // Standard t tables: t_{0.975,1} = 12.706205, t_{0.975,2} = 4.302653, t_{0.975,4} = 2.776445, t_{0.975,30} = 2.042272.
    expectClose(studentTQuantile(0.975, 1), 12.706205, { atol: 1e-6 });
    expectClose(studentTQuantile(0.975, 2), 4.302653, { atol: 1e-6 });
    expectClose(studentTQuantile(0.975, 4), 2.776445, { atol: 1e-6 });
    expectClose(studentTQuantile(0.975, 30), 2.042272, { atol: 1e-6 });
    expectClose(studentTQuantile(0.995, 10), 3.169273, { atol: 1e-6 });
    for (const p of [0.6, 0.9, 0.999]) {
      expectClose(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), { rtol: 1e-12, what: `Cauchy p=${p}` });
      expectClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), { rtol: 1e-12, what: `ν=2 p=${p}` });
    }
    expectClose(studentTQuantile(0.025, 4), -2.776445, { atol: 1e-6 }); // symmetric
    assert.equal(studentTQuantile(0.5, 7), 0);
    expectClose(studentTQuantile(0.975, 1e7), normalQuantile(0.975), { atol: 1e-6 }); // t → normal
  });

  test("normal quantile, t CDF and ln Γ by hand", () => {
    expectClose(normalQuantile(0.975), 1.959963984540054, { atol: 1e-14 });
    expectClose(normalQuantile(0.5), 0, { atol: 1e-16 });
    expectClose(normalQuantile(0.8413447460685429), 1, { atol: 1e-12 }); // Φ(1)
    expectClose(studentTCdf(0, 3), 0.5, { atol: 1e-15 });
    expectClose(studentTCdf(1, 1), 0.75, { atol: 1e-14 }); // Cauchy: ½ + atan(1)/π
    expectClose(logGamma(5), Math.log(24), { atol: 1e-13 });
    expectClose(logGamma(0.5), 0.5 * Math.log(Math.PI), { atol: 1e-13 });
  });

  test("bad arguments name the function and the value", () => {
    assert.throws(() => normalQuantile(1), /normalQuantile: p must be in \(0, 1\); got 1/);
    assert.throws(() => studentTQuantile(0.9, 0), /studentTQuantile: df must be > 0; got 0/);
  });
});

describe("wilson", () => {
  test("hand-worked: 5/10 at 95% is 0.5 ± 0.2634", () => {
    // z = 1.959964, z² = 3.841459: centre = (5 + 1.920729)/13.841459 = 0.5; half = z/13.841459·√(2.5 + 0.960365) = 0.263407
    const w = wilson(5, 10);
    assert.deepEqual({ ...w, lo: 0, hi: 0 }, { estimate: 0.5, lo: 0, hi: 0, level: 0.95, method: "wilson" });
    expectClose([w.lo, w.hi], [0.236593, 0.763407], { atol: 1e-6 });
  });

  test("k = 0 and k = n give exact 0 and 1 bounds and a non-degenerate other side", () => {
    const zero = wilson(0, 10);
    assert.equal(zero.lo, 0);
    expectClose(zero.hi, 3.841459 / 13.841459, { atol: 1e-6 }); // z²/(n + z²) = 0.277533
    const all = wilson(10, 10);
    assert.equal(all.hi, 1);
    expectClose(all.lo, 1 - zero.hi, { atol: 1e-12 }); // symmetric in k ↔ n − k
  });

  test("n = 0 and k outside [0, n] are errors with the fix", () => {
    assert.throws(() => wilson(0, 0), /wilson: n must be an integer ≥ 1 \(no trials, no proportion\); got n=0/);
    assert.throws(() => wilson(11, 10), /wilson: k must be an integer in \[0, n=10\]; got k=11/);
    assert.throws(() => wilson(1, 10, 95), /wilson: level must be in \(0, 1\)/);
  });

  test("proportion s.e.", () => {
    expectClose(proportionSe(25, 100), Math.sqrt((0.25 * 0.75) / 100), { atol: 1e-15 });
    assert.equal(proportionSe(0, 10), 0);
  });
});

describe("meanCI over seeds", () => {
  test("hand-worked: [1, 2, 3] → 2 ± 4.302653·1/√3", () => {
    const ci = meanCI([1, 2, 3]);
    assert.equal(ci.estimate, 2);
    assert.equal(ci.n, 3);
    expectClose(ci.se!, 1 / Math.sqrt(3), { atol: 1e-15 });
    expectClose([ci.lo!, ci.hi!], [2 - 4.302653 / Math.sqrt(3), 2 + 4.302653 / Math.sqrt(3)], { atol: 1e-6 });
    assert.equal(ci.method, "t");
  });

  test("one seed: the interval is unknown (null), never invented", () => {
    assert.deepEqual(meanCI([0.4]), { estimate: 0.4, lo: null, hi: null, level: 0.95, method: "t", n: 1, se: null });
  });

  test("helpers and errors", () => {
    assert.equal(mean([1, 2, 6]), 3);
    expectClose(sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), { atol: 1e-14 });
    expectClose(standardError([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7 / 8), { atol: 1e-14 });
    assert.throws(() => meanCI([]), /meanCI: xs needs at least 1 value\(s\); got 0/);
    assert.throws(() => meanCI([1, NaN]), /meanCI: xs\[1\] = NaN is not a finite number/);
  });
});

test("against mpmath/numpy (tests/reference/stats-intervals.py)", async () => {
  const { quantileSorted } = await import("../../lib/stats");
  const req = {
    normal: [0.975, 0.001, 1e-10, 0.3],
    t: [
      [0.975, 2],
      [0.975, 4],
      [0.995, 10],
      [0.6, 3.5],
      [0.9995, 1],
      [0.95, 120],
    ],
    wilson: [
      [5, 10, 0.95],
      [0, 10, 0.95],
      [3, 256, 0.9],
      [200, 256, 0.99],
    ],
    percentile: { xs: [3, 1, 4, 1, 5, 9, 2, 6], qs: [0, 0.025, 0.5, 0.975, 1] },
  };
  const ref = runPython<{ normal: number[]; t: number[]; wilson: number[][]; percentile: number[] }>(
    referenceScript("stats-intervals.py"),
    req,
  );
  expectClose(req.normal.map(normalQuantile), ref.normal, { rtol: 1e-14, atol: 1e-15, what: "normal" });
  expectClose(
    req.t.map(([p, df]) => studentTQuantile(p, df)),
    ref.t,
    { rtol: 1e-11, what: "t" },
  );
  expectClose(
    req.wilson.flatMap(([k, n, l]) => {
      const w = wilson(k, n, l);
      return [w.lo, w.hi];
    }),
    ref.wilson.flat(),
    { atol: 1e-13, what: "wilson" },
  );
  const sorted = [...req.percentile.xs].sort((a, b) => a - b);
  expectClose(
    req.percentile.qs.map((q) => quantileSorted(sorted, q)),
    ref.percentile,
    { atol: 1e-12, what: "percentile" },
  );
});

test("pairedGain: mean of the per-prompt differences and their standard error, by hand", () => {
  // d = [1, 0, 1, 0]: mean 0.5, sd √(1/3), se √(1/3)/2.
  const g = pairedGain([1, 1, 1, 0], [0, 1, 0, 0]);
  expectClose(g.delta, 0.5, { atol: 1e-12 });
  expectClose(g.se, Math.sqrt(1 / 3) / 2, { atol: 1e-12 });
  assert.throws(() => pairedGain([1, 0], [1]), /same prompts/);
});
