import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { corpusBleu, tokenize13a, bleuReward, bleuTarget } from "../../lib/rewards";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";

describe("BLEU", () => {
  test("13a tokenisation", () => {
    assert.deepEqual(tokenize13a("Hello, world! 3.14 and 1,000 x-y 5-3 &amp; (ok)"), [
      "Hello",
      ",",
      "world",
      "!",
      "3.14",
      "and",
      "1,000",
      "x-y",
      "5",
      "-",
      "3",
      "&",
      "(",
      "ok",
      ")",
    ]);
  });

  test("hand-worked: p = 7/8, 5/7, 3/6, 2/5 (add-one), BP = 1 → 0.125^(1/4)", () => {
    const s = corpusBleu(["the cat sat on the mat."], [["the cat is on the mat."]]);
    assert.deepEqual(s.matches, [6, 4, 2, 1]);
    assert.deepEqual(s.totals, [7, 6, 5, 4]);
    expectClose(s.score, 0.125 ** 0.25, { atol: 1e-12, what: "bleu" });
  });

  test("hand-worked brevity penalty: c = 2, r = 6 → exp(1 − 3)", () => {
    expectClose(corpusBleu(["the cat"], [["the cat sat on the mat"]]).score, Math.exp(-2), { atol: 1e-12 });
  });

  test("multi-reference clipping by the max count: p = 3/4, 2/3, 1/2, 1 → (1/4)^(1/4)", () => {
    const s = corpusBleu(["the the the"], [["the cat", "the the dog"]]);
    assert.deepEqual(s.matches, [2, 1, 0, 0]);
    expectClose(s.score, 0.25 ** 0.25, { atol: 1e-12 });
  });

  test("closest reference length, ties → the shorter (r = 2, no penalty)", () => {
    const s = corpusBleu(["a b c"], [["a b", "a b c d"]]);
    assert.equal(s.refLength, 2);
    assert.equal(s.score, 1);
  });

  test("reward: <answer> content if present, empty → 0, no reference → null", async () => {
    assert.equal(bleuTarget("<think>\nx\n</think>\n<answer>\nthe cat\n</answer>"), "\nthe cat\n".trim());
    const out = bleuReward()({
      prompts: ["q", "q", "q"],
      completions: ["<answer>the cat sat on the mat.</answer>", "<answer>  </answer>", "x"],
      references: [["the cat is on the mat."], "ref", null],
    });
    expectClose(
      (await out).map((x) => x ?? NaN),
      [0.125 ** 0.25, 0, NaN],
      { atol: 1e-12 },
    );
  });
});

// rl-bleu.py is a separate implementation written from the definition (no sacrebleu here).
describe("BLEU vs independent Python", { skip: !torchAvailable() && "python3 missing" }, () => {
  let rand: () => number;
  before(() => {
    let s = 12345;
    rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  });
  const words = [
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "a",
    "dog",
    "3.5",
    "1,000",
    "x-y",
    "7-2",
    "Hello,",
    "world!",
    "(ok)",
    "it's",
    "&amp;",
    "end.",
  ];
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(" ");

  test("random corpora and tokenisations agree", () => {
    const corpora = Array.from({ length: 30 }, (_, k) => {
      const size = 1 + (k % 4);
      const hyps = Array.from({ length: size }, () => sentence(Math.floor(rand() * 12)));
      const refs = hyps.map(() => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => sentence(1 + Math.floor(rand() * 12))));
      return { hyps, refs };
    });
    const tokenize = corpora.flatMap((c) => c.hyps);
    const py = runPython<{ scores: number[]; tokens: string[][] }>(referenceScript("rl-bleu.py"), { corpora, tokenize });
    expectClose(
      corpora.map((c) => corpusBleu(c.hyps, c.refs).score),
      py.scores,
      { atol: 1e-12, what: "corpus BLEU" },
    );
    assert.deepEqual(tokenize.map(tokenize13a), py.tokens);
    assert.ok(py.scores.some((x) => x > 0.2) && py.scores.some((x) => x < 0.1), "cases span low and high scores");
  });
});
