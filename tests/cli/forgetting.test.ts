// rftlab forgetting (lib/cli/forgetting.ts): JSON and human output, bad input exits 2 with one line.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tmpDir } from "../helpers/tmp";
import { runCli } from "../helpers/cli";
import { expectClose } from "../helpers/expect";
import { HAND_T3 } from "../forgetting/hand-matrix";

describe("rftlab forgetting", () => {
  let dir: string;
  before(() => {
    dir = tmpDir();
    fs.writeFileSync(path.join(dir, "m.json"), JSON.stringify(HAND_T3));
    fs.writeFileSync(path.join(dir, "m.csv"), "stage,a,b,c\nbase,0.1,0.2,0.3\n1,0.9,0.4,0.3\n2,0.6,0.8,0.5\n3,0.5,0.7,0.9\n");
    fs.writeFileSync(path.join(dir, "one.csv"), "stage,a\nbase,0.2\n1,0.7\n");
    fs.writeFileSync(path.join(dir, "ragged.csv"), "stage,a,b\nbase,0,0\n1,0.5\n2,0.5,0.5\n");
  });

  test("--json on .json and .csv: the same summary", () => {
    const outs = ["m.json", "m.csv"].map((f) => {
      const r = runCli(["forgetting", path.join(dir, f), "--json"]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    });
    assert.deepEqual(outs[0], outs[1]);
    const s = outs[0];
    assert.deepEqual(Object.keys(s), ["tasks", "T", "avgAcc", "bwt", "fm", "fwt", "perTask"]);
    assert.equal(s.T, 3);
    expectClose([s.avgAcc, s.bwt, s.fm, s.fwt], [0.7, -0.25, 0.25, 0.2], { atol: 1e-12, what: "metrics" });
    assert.deepEqual(
      s.perTask.map((p: { task: string; forgetting: number | null }) => [p.task, p.forgetting === null ? null : +p.forgetting.toFixed(9)]),
      [
        ["a", 0.4],
        ["b", 0.1],
        ["c", null],
      ],
    );
  });

  test("human output: the matrix, per-task table and the metric line", () => {
    const r = runCli(["forgetting", path.join(dir, "m.csv")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stage\s+a\s+b\s+c\nbase\s+0\.1000/);
    assert.match(r.stdout, /a\s+0\.5000\s+0\.4000/);
    assert.match(r.stdout, /T 3 {2}AvgAcc 0\.7000 {2}BWT -0\.2500 {2}FM 0\.2500 {2}FWT 0\.2000/);
  });

  test("T = 1: nulls in JSON, dashes and the reason in text", () => {
    const j = runCli(["forgetting", path.join(dir, "one.csv"), "--json"]);
    assert.equal(j.code, 0, j.stderr);
    const s = JSON.parse(j.stdout);
    assert.deepEqual([s.bwt, s.fm, s.fwt], [null, null, null]);
    assert.match(runCli(["forgetting", path.join(dir, "one.csv")]).stdout, /BWT - {2}FM - {2}FWT - {2}\(BWT, FM, FWT need T ≥ 2\)/);
  });

  test("bad input exits 2 with one line naming the place and the fix", () => {
    const r = runCli(["forgetting", path.join(dir, "ragged.csv")]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /ragged\.csv: line 3 \(row 1\) has 1 value\(s\).*make every row as long as the header/);
    const missing = runCli(["forgetting", path.join(dir, "nope.json")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: cannot read accuracy matrix: file not found/);
    assert.equal(runCli(["forgetting"]).code, 2);
  });
});
