// Accuracy matrices from lm-evaluation-harness results files (lib/forgetting/eval-results.ts) and
// `rftlab forgetting --from-evals`. Fixtures follow lm-eval's results JSON (results.<task>["acc,none"], n-samples).
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { accuracyMatrixFromEvals, evalFilesInOrder, summarizeForgetting } from "../../lib/forgetting";
import { runCli } from "../helpers/cli";
import { tmpDir } from "../helpers/tmp";
import { expectClose } from "../helpers/expect";

/** One lm-eval results file: acc per task (with a stderr and acc_norm beside it, as lm-eval writes), n = 200. */
function results(acc: Record<string, number>, extra: Record<string, Record<string, number>> = {}) {
  const res: Record<string, Record<string, unknown>> = {};
  for (const [t, a] of Object.entries(acc))
    res[t] = { alias: t, "acc,none": a, "acc_stderr,none": 0.03, "acc_norm,none": a - 0.01, ...extra[t] };
  return {
    results: res,
    "n-samples": Object.fromEntries(Object.keys(acc).map((t) => [t, { original: 200, effective: 200 }])),
    config: { model: "hf" },
  };
}

function write(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

// Hand-worked: a = [[0.5, 0.4], [0.8, 0.45], [0.6, 0.9]] → AvgAcc 0.75, BWT 0.6 − 0.8 = −0.2, FM 0.2, FWT 0.45 − 0.4 = 0.05.
const ROWS = [
  { arc_easy: 0.5, gsm8k: 0.4 },
  { arc_easy: 0.8, gsm8k: 0.45 },
  { arc_easy: 0.6, gsm8k: 0.9 },
];

describe("accuracy matrices from lm-eval results", () => {
  let run: string;
  before(() => {
    run = tmpDir();
    // lm-eval writes <output>/<model name with / as __>/results_<timestamp>.json; the base's name has digits.
    write(path.join(run, "base", "Qwen__Qwen2.5-0.5B", "results_2026-12-01T10-00-00.000001.json"), results(ROWS[0]));
    write(path.join(run, "checkpoint-200", "__runs__grpo__checkpoint-200", "results_2026-12-01T12-00-00.000001.json"), results(ROWS[2]));
    write(path.join(run, "checkpoint-100", "__runs__grpo__checkpoint-100", "results_2026-12-01T11-00-00.000001.json"), results(ROWS[1]));
  });

  test("a folder of per-checkpoint results is ordered by step, base first, and gives the hand-worked metrics", () => {
    const files = evalFilesInOrder([run]);
    assert.deepEqual(
      files.map((f) => path.relative(run, f).split(path.sep)[0]),
      ["base", "checkpoint-100", "checkpoint-200"],
    );
    const m = accuracyMatrixFromEvals(files, { tasks: ["arc_easy", "gsm8k"] });
    assert.deepEqual(
      m.matrix,
      ROWS.map((r) => [r.arc_easy, r.gsm8k]),
    );
    assert.deepEqual(m.counts, [
      [200, 200],
      [200, 200],
      [200, 200],
    ]);
    const s = summarizeForgetting(m);
    expectClose([s.avgAcc, s.bwt!, s.fm!, s.fwt!], [0.75, -0.2, 0.2, 0.05], { atol: 1e-12 });
  });

  test("rftlab forgetting --from-evals prints the same summary and writes the matrix", () => {
    const out = path.join(tmpDir(), "matrix.csv");
    const r = runCli(["forgetting", "--from-evals", run, "--tasks", "arc_easy,gsm8k", "--out", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    expectClose(JSON.parse(r.stdout).bwt, -0.2, { atol: 1e-12 });
    assert.equal(fs.readFileSync(out, "utf8"), "stage,arc_easy,gsm8k\nbase,0.5,0.4\n1,0.8,0.45\n2,0.6,0.9\n");
    const again = runCli(["forgetting", out, "--json"]);
    assert.deepEqual(JSON.parse(again.stdout), JSON.parse(r.stdout));
  });

  test("metric choice: acc_norm, and a filter named when a task has several", () => {
    const dir = tmpDir();
    const f = [0, 1].map((i) =>
      write(
        path.join(dir, `${i}.json`),
        results({ gsm8k: [0.2, 0.3][i] }, { gsm8k: { "exact_match,strict-match": 0.1 * (i + 1), "exact_match,flexible-extract": 0.5 } }),
      ),
    );
    assert.deepEqual(
      accuracyMatrixFromEvals(f, { metric: "acc_norm" })
        .matrix.flat()
        .map((x) => +x.toFixed(6)),
      [0.19, 0.29],
    );
    assert.throws(
      () => accuracyMatrixFromEvals(f, { metric: "exact_match" }),
      /several "exact_match" values \(exact_match,strict-match, exact_match,flexible-extract\); name one with --metric/,
    );
    assert.deepEqual(accuracyMatrixFromEvals(f, { metric: "exact_match,strict-match" }).matrix, [[0.1], [0.2]]);
  });

  test("bad input: one line naming the file or task and the fix", () => {
    const files = evalFilesInOrder([run]);
    const dir = tmpDir();
    const cases: [() => unknown, RegExp][] = [
      [
        () => accuracyMatrixFromEvals(files),
        /3 results file\(s\) holding tasks arc_easy, gsm8k: name the tasks in training order, e\.g\. --tasks arc_easy,gsm8k/,
      ],
      [
        () => accuracyMatrixFromEvals(files.slice(0, 2), { tasks: ["arc_easy", "gsm8k"] }),
        /2 task\(s\) \(arc_easy, gsm8k\) need 3 results files .* got 2/,
      ],
      [
        () => accuracyMatrixFromEvals(files, { tasks: ["arc_easy", "mmlu"] }),
        /results_.*\.json: no results for task "mmlu" \(it has arc_easy, gsm8k\)/,
      ],
      [
        () => accuracyMatrixFromEvals(files, { tasks: ["arc_easy", "gsm8k"], metric: "f1" }),
        /results\.arc_easy has no "f1" \(it has acc,none, acc_norm,none\); pass --metric/,
      ],
      [
        () => accuracyMatrixFromEvals([write(path.join(dir, "x.json"), { acc: 1 }), files[1]], { tasks: ["arc_easy"] }),
        /x\.json: no "results" object/,
      ],
      [
        () => accuracyMatrixFromEvals([write(path.join(dir, "pct.json"), results({ arc_easy: 61 })), files[1]], { tasks: ["arc_easy"] }),
        /\["acc,none"\] is 61, not an accuracy in \[0, 1\]/,
      ],
      [() => evalFilesInOrder([dir]), /have no step .* so which is the base is unclear/],
    ];
    for (const [fn, re] of cases) {
      assert.throws(fn, (e: Error) => re.test(e.message) && !e.message.includes("\n"));
    }
    const r = runCli(["forgetting", "--from-evals", run]);
    assert.equal(r.code === 0, false);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
});
