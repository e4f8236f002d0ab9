// The mutation runner's own logic (tests/mutation/*.ts): mutant generation, seeded sampling, coverage
// lookup, test selection patterns and resumable result files.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { executes } from "./coverage";
import { applyMutant, codeMask, mutantId, mutantsOf, seededOrder } from "./mutants";
import { appendResult, type Result, readResults, score } from "./results";
import { namePatterns } from "./test-process";

const JS = [
  '"use strict";',
  "var __importDefault = (this && this.__importDefault) || function (m) { return m && m.__esModule ? m : { default: m }; };",
  'Object.defineProperty(exports, "__esModule", { value: true });',
  "function f(a, b) {",
  '    // a < b in a comment, "x + y" in a string',
  '    if (a < 0) throw new RftlabError("a < 0");',
  "    total += a * b;",
  '    return a === b && "1 + 2";',
  "}",
].join("\n");

test("mutantsOf: operators on code only, not comments, strings, throw lines or tsc's helpers", () => {
  const ms = mutantsOf("lib/x.ts", JS);
  assert.deepEqual(
    ms.map((m) => [m.line, m.op, m.from, m.to]),
    [
      [7, "arithmetic", " += ", " -= "],
      [7, "arithmetic", " * ", " / "],
      [7, "drop statement", "    total += a * b;", ""],
      [8, "comparison", "===", "!=="],
      [8, "logical", " && ", " || "],
    ],
  );
  // Each offset points at the text it replaces, and the edit is exactly that text.
  for (const m of ms) assert.equal(JS.slice(m.at, m.at + m.from.length), m.from);
  assert.equal(applyMutant(JS, ms[3]).split("\n")[7], '    return a !== b && "1 + 2";');
  assert.equal(mutantId(ms[0]), `lib/x.ts:${ms[0].at}:" += "→" -= "`);
});

test("codeMask: comments, strings and template literals are not code", () => {
  const js = 'a /* b */ "c\\"d" `e` // f\ng';
  const mask = Array.from(codeMask(js), (x, i) => (x ? js[i] : "")).join("");
  assert.equal(mask, "a    \ng");
});

test("constants: 0 ↔ 1, other integers + 1, decimals × 10", () => {
  const js = `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nconst x = [0, 1, 7, 0.5, 1e-5];`;
  assert.deepEqual(
    mutantsOf("lib/c.ts", js)
      .filter((m) => m.op === "constant")
      .map((m) => m.to),
    ["1", "0", "8", "5", "0.0001"],
  );
});

test("seededOrder: the same seed gives the same sample, another seed another order; the input is kept", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = seededOrder(items, 1);
  assert.deepEqual(a, seededOrder(items, 1));
  assert.notDeepEqual(a, seededOrder(items, 2));
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    items,
  );
  assert.deepEqual(
    items,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test("executes: the innermost V8 range around an offset decides; any process counts", () => {
  // A function [0, 100) called once with a block [40, 60) never entered.
  const fn: [number, number, number][] = [
    [0, 100, 1],
    [40, 60, 0],
  ];
  assert.equal(executes([fn], 10), true);
  assert.equal(executes([fn], 50), false);
  assert.equal(executes([fn], 60), true);
  assert.equal(executes([fn], 150), false);
  // Another process entered the block.
  assert.equal(executes([fn, [[40, 60, 2]]], 50), true);
});

test("namePatterns: each selects its test by the exact name, regex characters included", () => {
  const names = ["hand-worked {a: 1} (x+y)*2", "k3 KL: ref − logp = ln 2"];
  const res = namePatterns(names).map((p) => new RegExp(p.slice("--test-name-pattern=".length)));
  assert.deepEqual(
    res.map((re) => names.map((n) => re.test(n))),
    [
      [true, false],
      [false, true],
    ],
  );
  assert.equal(res[0].test(`${names[0]} more`), false);
});

test("results: a resumed run sees every judged mutant; a torn last line is ignored and not glued to the next", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rftlab-mutation-test-")), "m.jsonl");
  const r = (id: string, status: Result["status"]): Result => ({
    id,
    hash: "h",
    module: "m",
    file: "lib/x.ts",
    line: 1,
    op: "comparison",
    from: "<",
    to: "<=",
    code: "",
    status,
    ms: 1,
    date: "2026-12-03",
  });
  appendResult(file, r("a", "killed"));
  appendResult(file, r("b", "survived"));
  fs.appendFileSync(file, '{"id":"c","sta'); // the run was killed mid-write
  appendResult(file, r("d", "invalid"));
  appendResult(file, r("b", "killed")); // rechecked after a new test: the newest line wins
  appendResult(file, r("e", "uncovered"));
  const got = readResults(file);
  assert.deepEqual(
    [...got.values()].map((x) => [x.id, x.status]),
    [
      ["a", "killed"],
      ["b", "killed"],
      ["d", "invalid"],
      ["e", "uncovered"],
    ],
  );
  const s = score(got.values(), new Map([["e", "cannot change behaviour"]]));
  assert.deepEqual([s.total, s.killed, s.equivalent, s.survivors.length], [3, 2, 1, 0]);
  fs.rmSync(path.dirname(file), { recursive: true });
});
