import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CheckpointError, readJsonFile } from "../../lib/io";
import { jsonErrorOffset, lineColumn } from "../../lib/io/json";
import { tmpDir } from "../helpers/tmp";

const dir = tmpDir("rftlab-io-json-");

describe("readJsonFile", () => {
  test("parses a valid file", () => {
    const f = path.join(dir, "ok.json");
    fs.writeFileSync(f, '{"n_embd": 64, "a": [1, 2]}');
    assert.deepEqual(readJsonFile(f, "config.json"), { n_embd: 64, a: [1, 2] });
  });

  test("names file, line and column of a syntax error", () => {
    const f = path.join(dir, "bad.json");
    fs.writeFileSync(f, '{\n  "a": 1,\n  "b": tru\n}');
    assert.throws(
      () => readJsonFile(f, "config.json"),
      (e: unknown) =>
        e instanceof CheckpointError &&
        e.file === f &&
        /config.json is not valid JSON: syntax error at line 3, column 8 \(offset 19\) near "tru\\n}"/.test(e.message),
    );
  });

  test("a missing file says so", () => {
    const f = path.join(dir, "none.json");
    assert.throws(
      () => readJsonFile(f, "config.json"),
      (e: unknown) => e instanceof CheckpointError && /cannot read config.json: file not found/.test(e.message),
    );
  });
});

describe("jsonErrorOffset", () => {
  const cases: [string, number][] = [
    ['{"a": 1}', -1],
    ["[1, 2, 3] ", -1],
    ['"\\u00e9\\n"', -1],
    ["-0.5e+3", -1],
    ["", 0],
    ["{", 1],
    ['{"a" 1}', 5],
    ['{"a": 1,}', 8],
    ["[1 2]", 3],
    ["01", 1],
    ["nul", 0],
    ['"abc', 4],
    ['{"a": 1} x', 9],
    ['"\\x"', 2],
  ];
  for (const [text, want] of cases) test(JSON.stringify(text), () => assert.equal(jsonErrorOffset(text), want));

  test("agrees with JSON.parse on validity for mutated documents", () => {
    const base = JSON.stringify({ a: [1, -2.5e3, 'x"y\\z', true, null, { b: {} }], c: "\u00e9" });
    const alphabet = '{}[]",:0-.eE+ \\atrunl';
    let s = 42;
    const rand = (n: number) => ((s = (s * 1103515245 + 12345) >>> 0), s % n);
    for (let k = 0; k < 2000; k++) {
      const i = rand(base.length);
      const op = rand(3);
      const c = alphabet[rand(alphabet.length)];
      const text =
        op === 0
          ? base.slice(0, i) + base.slice(i + 1)
          : op === 1
            ? base.slice(0, i) + c + base.slice(i)
            : base.slice(0, i) + c + base.slice(i + 1);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(jsonErrorOffset(text) === -1, valid, text);
    }
  });

  test("lineColumn is 1-based", () => {
    assert.equal(lineColumn("ab\ncd", 0), "line 1, column 1");
    assert.equal(lineColumn("ab\ncd", 4), "line 2, column 2");
  });
});
