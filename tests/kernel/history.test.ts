import { test } from "node:test";
import assert from "node:assert/strict";
import { CellHistory } from "../../kernel/history";

function filled(): CellHistory {
  const h = new CellHistory();
  h.add(1, "1 + 2", "3");
  h.add(2, "const a = 1", null);
  h.add(3, "1 + 2", "3");
  h.add(4, "a * 2", "2");
  return h;
}

test("tail returns the last n entries, with outputs when asked", () => {
  assert.deepEqual(filled().query({ hist_access_type: "tail", n: 2 }), [
    [1, 3, "1 + 2"],
    [1, 4, "a * 2"],
  ]);
  assert.deepEqual(filled().query({ hist_access_type: "tail", n: 1, output: true }), [[1, 4, ["a * 2", "2"]]]);
});

test("range is [start, stop) of this session; other sessions are empty", () => {
  assert.deepEqual(filled().query({ hist_access_type: "range", session: 1, start: 2, stop: 4 }), [
    [1, 2, "const a = 1"],
    [1, 3, "1 + 2"],
  ]);
  assert.deepEqual(filled().query({ hist_access_type: "range", session: 0, start: 4 }), [[1, 4, "a * 2"]]);
  assert.deepEqual(filled().query({ hist_access_type: "range", session: 7, start: 1 }), []);
});

test("search matches a glob against the whole input; unique keeps the latest", () => {
  assert.deepEqual(filled().query({ hist_access_type: "search", pattern: "1 + *" }), [
    [1, 1, "1 + 2"],
    [1, 3, "1 + 2"],
  ]);
  assert.deepEqual(filled().query({ hist_access_type: "search", pattern: "1 + *", unique: true }), [[1, 3, "1 + 2"]]);
  assert.deepEqual(filled().query({ hist_access_type: "search", pattern: "a ?*", n: 1 }), [[1, 4, "a * 2"]]);
  assert.deepEqual(filled().query({ hist_access_type: "search", pattern: "1" }), []);
});
