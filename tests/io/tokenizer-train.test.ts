import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { BYTE_LEVEL_SPLIT_PATTERN, bytesToUnicode, trainByteLevelBpe } from "../../lib/io/tokenizer-train";
import { byteLevelTokenizerConfig, tokenizerFromJson } from "../../lib/io/tokenizer";
import { readCorpus } from "../../lib/io/corpus";

const DATASETS = path.join(__dirname, "..", "..", "..", "datasets");

test("bytesToUnicode is GPT-2's map: printable bytes stay, others shift past 255", () => {
  const m = bytesToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[65], "A");
  assert.equal(m[32], "Ġ"); // U+0120
  assert.equal(m[10], "Ċ"); // U+010A
  assert.equal(m[0], "Ā"); // U+0100
});

test("pre-tokenisation keeps digits single and spaces attached to words", () => {
  const pieces = (s: string) => [...s.matchAll(new RegExp(BYTE_LEVEL_SPLIT_PATTERN, "gu"))].map((m) => m[0]);
  assert.deepEqual(pieces("I've 123 cats!"), ["I", "'ve", " ", "1", "2", "3", " cats", "!"]);
  assert.deepEqual(pieces("a  b\n"), ["a", " ", " b", "\n"]);
});

test("trainByteLevelBpe: a case worked by hand", () => {
  // Words: "ab" ×1, "Ġab" ×2, "Ġabc" ×1. Pair counts: (a,b)=4, (Ġ,a)=3, (b,c)=1 → merge a+b (id 262).
  // Then (Ġ,ab)=3, (ab,c)=1 → merge Ġ+ab (id 263). Ids 0–5 are the special/added tokens, bytes are 6–261.
  const json = trainByteLevelBpe(["ab ab ab abc"], { vocabSize: 264 });
  assert.deepEqual(json.model.merges, ["a b", "Ġ ab"]);
  assert.equal(json.model.vocab.ab, 262);
  assert.equal(json.model.vocab.Ġab, 263);
  const t = tokenizerFromJson(json, byteLevelTokenizerConfig(16));
  assert.deepEqual(t.encode("ab abc"), [262, 263, 6 + 99]);
  assert.equal(t.decode([262, 263, 105]), "ab abc");
  // minFrequency stops merging once no pair repeats.
  assert.equal(trainByteLevelBpe(["xy"], { vocabSize: 300 }).model.merges.length, 0);
  assert.throws(() => trainByteLevelBpe([], { vocabSize: 100 }), /vocabSize must be an integer ≥ 262 .*; got 100/);
});

// Regression check (the bundled file was made by trainByteLevelBpe itself); the independent check of BPE
// training is the hand-worked merges test above.
test("regression: the bundled tokenizer is what trainByteLevelBpe gives on the bundled corpus", () => {
  const corpus = readCorpus(path.join(DATASETS, "tiny-corpus"));
  const json = trainByteLevelBpe(corpus.train, { vocabSize: 512 });
  const bundled = JSON.parse(fs.readFileSync(path.join(DATASETS, "tiny-tokenizer", "tokenizer.json"), "utf8"));
  assert.deepEqual(json, bundled);
  assert.ok(
    !Object.keys(bundled.model.vocab).some((k: string) => /\d./u.test(k) && /\d/.test(k) && k.length > 1),
    "no multi-character token contains a digit",
  );
});
