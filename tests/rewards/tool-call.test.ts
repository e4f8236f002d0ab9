import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { multisetJaccard, parseToolCalls, toolCallCorrectness, toolCallReward, ToolCallParseError, type ToolCall } from "../../lib/rewards";
import { expectClose } from "../helpers/expect";

const weather = (args: Record<string, unknown>): ToolCall => ({ name: "get_weather", arguments: args });
const wrap = (calls: object[]) => `<think>\nplan\n</think>\n<tool_call>\n${calls.map((c) => JSON.stringify(c)).join("\n")}\n</tool_call>`;

describe("ToolRL reward", () => {
  test("multiset Jaccard counts multiplicities", () => {
    assert.equal(multisetJaccard(["a", "a", "b"], ["a", "b", "b"]), 2 / 4);
    assert.equal(multisetJaccard(["a"], []), 0);
    assert.equal(multisetJaccard([], []), 1);
  });

  test("parses one JSON object per line; `parameters` is accepted for `arguments`", () => {
    assert.deepEqual(
      parseToolCalls(
        wrap([
          { name: "f", parameters: { x: 1 } },
          { name: "g", arguments: {} },
        ]),
      ),
      [
        { name: "f", arguments: { x: 1 } },
        { name: "g", arguments: {} },
      ],
    );
    assert.throws(() => parseToolCalls("<tool_call>\n{bad\n</tool_call>"), ToolCallParseError);
  });

  // Hand-worked: S = J(names) + Σ_gt best[J(keys) + #equal values], S_max = 1 + Σ_gt(1 + |params|), R = 6S/S_max − 3.
  const gt = [weather({ city: "Paris", unit: "C" })];
  const table: [string, ToolCall[], number][] = [
    ["exact match", [weather({ unit: "C", city: "Paris" })], 3],
    ["one wrong value: S = 1 + (1 + 1) = 3 of 4", [weather({ city: "Paris", unit: "F" })], 1.5],
    ["extra call, missing key: S = 0.5 + (0.5 + 1) = 2 of 4", [weather({ city: "Paris" }), { name: "search", arguments: { q: "x" } }], 0],
    ["no call: S = 0", [], -3],
    ["wrong tool: S = 0", [{ name: "search", arguments: { city: "Paris", unit: "C" } }], -3],
  ];
  for (const [what, pred, want] of table) test(what, () => expectClose(toolCallCorrectness(pred, gt), want, { atol: 1e-12, what }));

  test("reward = format + correctness, parse failure → −3", async () => {
    const fn = toolCallReward();
    const completions = [
      wrap([{ name: "get_weather", arguments: { city: "Paris", unit: "C" } }]),
      wrap([{ name: "get_weather", arguments: { city: "Paris", unit: "F" } }]),
      "<tool_call>\n" + JSON.stringify({ name: "get_weather", arguments: { city: "Paris", unit: "C" } }) + "\n</tool_call>", // no think: format 0
      "<think>\nx\n</think>\n<tool_call>\n{not json}\n</tool_call>",
      "<think>\nno tool needed\n</think>\nHello!",
      "anything",
    ];
    const truth = [gt, gt, JSON.stringify(gt[0]), gt, [], null];
    const out = fn({ prompts: completions.map(() => "q"), completions, tool_calls: truth });
    expectClose(
      (await out).map((x) => x ?? NaN),
      [4, 2.5, 3, -2, 4, NaN],
      { atol: 1e-12, what: "toolCallReward" },
    );
  });
});
