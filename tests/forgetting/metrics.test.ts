// Continual-learning metrics on hand-worked matrices (lib/forgetting/metrics.ts; spec/analyses.md §2).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type AccuracyMatrix, summarizeForgetting, checkAccuracyMatrix, taskForgetting } from "../../lib/forgetting";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";
import { HAND_T3 } from "./hand-matrix";

const close = (a: number | null, e: number, what: string) => {
  assert.notEqual(a, null, `${what} is null`);
  expectClose(a as number, e, { atol: 1e-12, what });
};

describe("forgetting metrics", () => {
  test("T = 3 worked by hand: AvgAcc 0.7, BWT −0.25, FM 0.25, FWT 0.2", () => {
    const s = summarizeForgetting(HAND_T3);
    assert.equal(s.T, 3);
    close(s.avgAcc, (0.5 + 0.7 + 0.9) / 3, "avgAcc");
    close(s.bwt, (0.5 - 0.9 + (0.7 - 0.8)) / 2, "bwt");
    close(s.fm, (0.9 - 0.5 + (0.8 - 0.7)) / 2, "fm");
    close(s.fwt, (0.4 - 0.2 + (0.5 - 0.3)) / 2, "fwt");
    assert.deepEqual(
      s.perTask.map((p) => [p.task, p.forgetting === null ? null : Number(p.forgetting.toFixed(12))]),
      [
        ["a", 0.4],
        ["b", 0.1],
        ["c", null],
      ],
    );
    assert.deepEqual(
      s.perTask.map((p) => p.final),
      [0.5, 0.7, 0.9],
    );
  });

  test("the base row is not in the FM max (Chaudhry et al. 2018)", () => {
    // Task a is 0.9 before training, 0.4 after its own stage: FM counts 0.5 − 0.5 = 0, not 0.9 − 0.5.
    const s = summarizeForgetting({
      tasks: ["a", "b", "c"],
      matrix: [
        [0.9, 0, 0],
        [0.4, 0, 0],
        [0.5, 0.6, 0],
        [0.5, 0.6, 0.7],
      ],
    });
    close(s.fm, 0, "fm");
    close(s.bwt, (0.5 - 0.4 + (0.6 - 0.6)) / 2, "bwt");
  });

  test("ties: a constant matrix gives zero transfer and forgetting; a max reached twice counts once", () => {
    const flat = summarizeForgetting({
      tasks: ["a", "b"],
      matrix: [
        [0.5, 0.5],
        [0.5, 0.5],
        [0.5, 0.5],
      ],
    });
    assert.deepEqual([flat.avgAcc, flat.bwt, flat.fm, flat.fwt], [0.5, 0, 0, 0]);
    const twice = taskForgetting({
      tasks: ["a", "b", "c"],
      matrix: [
        [0, 0, 0],
        [0.7, 0, 0],
        [0.7, 0.3, 0],
        [0.6, 0.3, 0.2],
      ],
    });
    close(twice[0].forgetting, 0.1, "forgetting of a");
    close(twice[1].forgetting, 0, "forgetting of b");
  });

  test("T = 2 with a task never learned", () => {
    // b stays at 0 throughout; a is learned (0.8) and partly forgotten (0.6).
    const s = summarizeForgetting({
      tasks: ["a", "b"],
      matrix: [
        [0, 0],
        [0.8, 0],
        [0.6, 0],
      ],
    });
    close(s.avgAcc, 0.3, "avgAcc");
    close(s.bwt, -0.2, "bwt");
    close(s.fm, 0.2, "fm");
    close(s.fwt, 0, "fwt");
    // a is never learned: flat at 0.2, so nothing to forget.
    const n = summarizeForgetting({
      tasks: ["a", "b"],
      matrix: [
        [0.2, 0.1],
        [0.2, 0.3],
        [0.2, 0.9],
      ],
    });
    close(n.bwt, 0, "bwt");
    close(n.fm, 0, "fm");
    close(n.fwt, 0.2, "fwt");
  });

  test("rows that improve: positive BWT, negative forgetting", () => {
    const s = summarizeForgetting({
      tasks: ["a", "b"],
      matrix: [
        [0, 0],
        [0.5, 0.1],
        [0.8, 0.9],
      ],
    });
    close(s.bwt, 0.3, "bwt");
    close(s.fm, -0.3, "fm");
    close(s.perTask[0].forgetting, -0.3, "forgetting of a");
    close(s.fwt, 0.1, "fwt");
  });

  test("T = 1: BWT, FM, FWT are null, never 0", () => {
    const s = summarizeForgetting({ tasks: ["only"], matrix: [[0.2], [0.7]] });
    assert.deepEqual(s, {
      tasks: ["only"],
      T: 1,
      avgAcc: 0.7,
      bwt: null,
      fm: null,
      fwt: null,
      perTask: [{ task: "only", final: 0.7, forgetting: null }],
    });
  });

  test("the input is not changed", () => {
    const m = {
      tasks: ["a", "b"],
      matrix: [
        [0, 0],
        [0.5, 0.1],
        [0.8, 0.9],
      ],
    };
    const copy = JSON.parse(JSON.stringify(m));
    summarizeForgetting(m).tasks.push("x");
    assert.deepEqual(m, copy);
  });

  const bad: [string, AccuracyMatrix, RegExp][] = [
    ["empty", { tasks: [], matrix: [] }, /non-empty list of task names/],
    [
      "missing base row",
      {
        tasks: ["a", "b"],
        matrix: [
          [0.5, 0],
          [0.6, 0.7],
        ],
      },
      /need 3 rows.*got 2.*base row.*missing/,
    ],
    ["too many rows", { tasks: ["a"], matrix: [[0], [0.5], [0.6]] }, /need 2 rows.*got 3/],
    ["ragged row", { tasks: ["a", "b"], matrix: [[0, 0], [0.5], [0.6, 0.7]] }, /row 1 \(after stage 1\) has 1 value\(s\), expected 2/],
    [
      "out of range",
      {
        tasks: ["a", "b"],
        matrix: [
          [0, 0],
          [0.5, 85],
          [0.6, 0.7],
        ],
      },
      /row 1 \(after stage 1\), column 2 \("b"\): 85 is outside \[0, 1\].*fractions/,
    ],
    ["negative", { tasks: ["a"], matrix: [[-0.1], [0.5]] }, /row 0 \(base\), column 1 \("a"\): -0.1 is outside/],
    [
      "not a number",
      { tasks: ["a"], matrix: [[0], ["0.5" as unknown as number]] },
      /row 1 \(after stage 1\), column 1 \("a"\): "0.5" is not a number/,
    ],
    ["NaN", { tasks: ["a"], matrix: [[NaN], [0.5]] }, /row 0 \(base\), column 1 \("a"\): NaN is not a number/],
    [
      "duplicate tasks",
      {
        tasks: ["a", "b", "a"],
        matrix: [
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      },
      /task "a" appears in columns 1 and 3/,
    ],
    [
      "blank task name",
      {
        tasks: ["a", " "],
        matrix: [
          [0, 0],
          [0, 0],
          [0, 0],
        ],
      },
      /column 2 must be a non-empty string/,
    ],
    [
      "bad counts",
      { tasks: ["a"], matrix: [[0], [0.5]], counts: [[10], [0]] },
      /counts row 1 \(after stage 1\), column 1 \("a"\): 0 is not a positive integer/,
    ],
    ["counts with a row missing", { tasks: ["a"], matrix: [[0], [0.5]], counts: [[10]] }, /"counts" must have 2 rows like "matrix"; got 1/],
  ];
  for (const [name, m, re] of bad) {
    test(`bad input: ${name} → RftlabError naming row/column, value and fix`, () => {
      assert.throws(
        () => checkAccuracyMatrix(m, "m.json"),
        (e: unknown) => e instanceof RftlabError && e.message.startsWith("m.json: ") && re.test(e.message),
      );
      assert.throws(() => summarizeForgetting(m), RftlabError);
    });
  }
});
