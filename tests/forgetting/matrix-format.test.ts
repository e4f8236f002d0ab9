// Accuracy matrices as JSON and CSV text and files (lib/forgetting/matrix-format.ts, matrix-file.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  accuracyMatrixFromCsv,
  accuracyMatrixFromJson,
  accuracyMatrixToCsv,
  accuracyMatrixToJson,
  readAccuracyMatrix,
  writeAccuracyMatrix,
} from "../../lib/forgetting";
import { RftlabError } from "../../lib/errors";
import { tmpDir } from "../helpers/tmp";

const M = {
  tasks: ["add", "sort, stable", 'say "hi"'],
  matrix: [
    [0.1, 0.2, 0.3],
    [0.9, 0.4, 0.3],
    [0.6, 0.8, 0.5],
    [0.5, 0.7, 0.9],
  ],
};

const throwsWith = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof RftlabError && re.test(e.message) && !e.message.includes("\n"));

describe("accuracy matrix text formats", () => {
  test("CSV: header stage,<tasks>, base row first; quoted names round-trip", () => {
    const csv = accuracyMatrixToCsv(M);
    assert.equal(csv.split("\n")[0], 'stage,add,"sort, stable","say ""hi"""');
    assert.equal(csv.split("\n")[1], "base,0.1,0.2,0.3");
    assert.deepEqual(accuracyMatrixFromCsv(csv, "m.csv"), M);
  });

  test("CSV from elsewhere: CRLF, BOM, spaces, blank trailing lines, any stage labels", () => {
    const text = "\uFEFFStage, a , b\r\n0, 0.5, 0\r\nafter a,1,.25\r\n2,1e-1,1.0\r\n\r\n";
    assert.deepEqual(accuracyMatrixFromCsv(text, "x.csv"), {
      tasks: ["a", "b"],
      matrix: [
        [0.5, 0],
        [1, 0.25],
        [0.1, 1],
      ],
    });
  });

  test("JSON round-trip, with and without sample counts", () => {
    assert.deepEqual(accuracyMatrixFromJson(JSON.parse(accuracyMatrixToJson(M)), "m.json"), M);
    const withCounts = { tasks: ["a"], matrix: [[0], [0.5]], counts: [[10], [10]] };
    assert.deepEqual(accuracyMatrixFromJson(JSON.parse(accuracyMatrixToJson(withCounts)), "m.json"), withCounts);
  });

  test("bad CSV: empty, no header, ragged, non-number, percent, missing base row, duplicates, unclosed quote", () => {
    throwsWith(() => accuracyMatrixFromCsv("\n\n", "m.csv"), /^m.csv: empty file/);
    throwsWith(() => accuracyMatrixFromCsv("0,0.5\n1,0.6\n", "m.csv"), /line 1 must be the header "stage,/);
    throwsWith(
      () => accuracyMatrixFromCsv("stage,a,b\nbase,0,0\n1,0.5\n2,0.5,0.5\n", "m.csv"),
      /line 3 \(row 1\) has 1 value\(s\).*expected 2/,
    );
    throwsWith(
      () => accuracyMatrixFromCsv("stage,a\nbase,0\n1,abc\n", "m.csv"),
      /line 3 \(row 1\), column 2 \("a"\): "abc" is not a number/,
    );
    throwsWith(() => accuracyMatrixFromCsv("stage,a\nbase,0\n1,\n", "m.csv"), /line 3 \(row 1\), column 2 \("a"\): "" is not a number/);
    throwsWith(() => accuracyMatrixFromCsv("stage,a\nbase,0\n1,85%\n", "m.csv"), /"85%" is not a number.*not 85%/);
    throwsWith(
      () => accuracyMatrixFromCsv("stage,a\nbase,0\n1,85\n", "m.csv"),
      /row 1 \(after stage 1\), column 1 \("a"\): 85 is outside \[0, 1\]/,
    );
    throwsWith(() => accuracyMatrixFromCsv("stage,a,b\n1,0.5,0\n2,0.5,0.6\n", "m.csv"), /base row .* is missing/);
    throwsWith(() => accuracyMatrixFromCsv("stage,a,a\nbase,0,0\n1,0,0\n2,0,0\n", "m.csv"), /task "a" appears in columns 1 and 2/);
    throwsWith(() => accuracyMatrixFromCsv('stage,"a\nbase,0\n', "m.csv"), /line 1 has an unclosed double quote/);
  });

  test("bad JSON shapes: not an object, unknown key with suggestion, missing key", () => {
    throwsWith(() => accuracyMatrixFromJson([[0], [1]], "m.json"), /expected an object .*got a list/);
    throwsWith(
      () => accuracyMatrixFromJson({ tasks: ["a"], matrx: [[0], [1]] }, "m.json"),
      /unknown key "matrx" \(did you mean "matrix"\?\)/,
    );
    throwsWith(() => accuracyMatrixFromJson({ tasks: ["a"] }, "m.json"), /missing key "matrix"/);
    throwsWith(
      () => accuracyMatrixFromJson({ tasks: ["a"], matrix: [[0], [null]] }, "m.json"),
      /row 1 \(after stage 1\), column 1 \("a"\): null is not a number/,
    );
  });

  test("files: write and read .json and .csv; unknown extension and missing file are errors", async () => {
    const dir = tmpDir();
    for (const ext of ["json", "csv"]) {
      const f = path.join(dir, `m.${ext}`);
      await writeAccuracyMatrix(f, M);
      assert.deepEqual(readAccuracyMatrix(f), M);
    }
    throwsWith(() => readAccuracyMatrix(path.join(dir, "m.txt")), /unknown accuracy-matrix format ".txt"; name the file .json or .csv/);
    throwsWith(() => readAccuracyMatrix(path.join(dir, "none.csv")), /cannot read accuracy matrix: file not found/);
    fs.writeFileSync(path.join(dir, "broken.json"), '{"tasks": ["a"], "matrix": [[0], [0.5]');
    throwsWith(() => readAccuracyMatrix(path.join(dir, "broken.json")), /accuracy matrix is not valid JSON: syntax error at line 1/);
    await assert.rejects(writeAccuracyMatrix(path.join(dir, "bad.csv"), { tasks: ["a"], matrix: [[0]] }), RftlabError);
  });
});
