import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadTokenizer, tokenizerFromJson, saveTokenizer, byteLevelTokenizerConfig } from "../../lib/io/tokenizer";
import { createRng } from "../../lib/base/random";
import { tmpDir } from "../helpers/tmp";

const BUNDLED = path.join(__dirname, "..", "..", "..", "datasets", "tiny-tokenizer");

test("bundled tokenizer: sizes and special ids", () => {
  const t = loadTokenizer(BUNDLED);
  assert.equal(t.vocabSize, 512);
  assert.equal(t.eosId, 0); // <|endoftext|>
  assert.equal(t.bosId, 0);
  assert.equal(t.padId, 1); // <|pad|>
  assert.deepEqual(
    [...t.specialTokens],
    [
      ["<|endoftext|>", 0],
      ["<|pad|>", 1],
    ],
  );
  assert.equal(t.source, path.join(BUNDLED, "tokenizer.json"));
});

test("bundled tokenizer: known encodings (byte b has id 6 + b; tags are single ids 2–5)", () => {
  const t = loadTokenizer(path.join(BUNDLED, "tokenizer.json"));
  // "1"=49, "9"=57, "\n"=10 → Ċ, " "=32 → Ġ
  assert.deepEqual(t.encode("<answer>\n19\n</answer>"), [4, 16, 55, 63, 16, 5]);
  assert.deepEqual(t.encode("<think></think>"), [2, 3]);
  const toks = (s: string) => t.encode(s).map((i) => t.idToToken(i));
  assert.deepEqual(toks("What is 12 + 7?"), ["W", "hat", "Ġis", "Ġ", "1", "2", "Ġ+", "Ġ", "7", "?"]);
  assert.deepEqual(toks("a cat"), ["a", "Ġc", "at"]);
  assert.equal(t.tokenToId("Ġ"), 38);
  assert.equal(t.tokenToId("<|endoftext|>"), 0);
});

test("digits are always single tokens", () => {
  const t = loadTokenizer(BUNDLED);
  const digitIds = new Set("0123456789".split("").map((d) => t.tokenToId(d)!));
  for (const s of ["1234567890", "x=42", " 99 bottles", "3.14159", "#### 1,579"]) {
    const ids = t.encode(s);
    const digits = s.replace(/\D/g, "").length;
    assert.equal(ids.filter((i) => digitIds.has(i)).length, digits, s);
  }
});

test("decode(encode(s)) == s for arbitrary UTF-8, emoji and whitespace", () => {
  const t = loadTokenizer(BUNDLED);
  const fixed = [
    "",
    " ",
    "  leading and trailing  ",
    "tabs\tand\r\nCRLF\n\n\n",
    "héllo wörld ñ",
    "日本語のテキスト",
    "emoji 🤗🎉👩‍👩‍👧 flags 🇫🇷",
    "e\u0301 combining",
    "<|endoftext|>doc<|pad|>",
    "a .b ,c n't 's",
    "don't I'm",
    "\u0000\u0001\u007f",
  ];
  const rng = createRng(0);
  const random = Array.from({ length: 200 }, () =>
    String.fromCodePoint(
      ...Array.from({ length: rng.int(1, 12) }, () => {
        const cp = rng.choice([
          () => rng.int(32, 126),
          () => rng.int(0, 0xd7ff),
          () => rng.int(0x1f300, 0x1faff),
          () => rng.int(0xe000, 0x10ffff),
        ])();
        return cp;
      }),
    ),
  );
  for (const s of [...fixed, ...random]) assert.equal(t.decode(t.encode(s)), s, JSON.stringify(s));
});

test("decode skips special tokens on request; encode adds none for byte-level BPE", () => {
  const t = loadTokenizer(BUNDLED);
  const ids = [t.eosId, ...t.encode("hi"), t.padId];
  assert.equal(t.decode(ids), "<|endoftext|>hi<|pad|>");
  assert.equal(t.decode(ids, { skipSpecialTokens: true }), "hi");
  assert.deepEqual(t.encode("hi", { addSpecialTokens: false }), t.encode("hi"));
});

test("save then load gives the same ids", () => {
  const t = loadTokenizer(BUNDLED);
  const dir = tmpDir();
  saveTokenizer(t, dir);
  const u = loadTokenizer(dir);
  const s = "Question: What is 58 + 67?\n8+7=15 carry 1\n#### 125";
  assert.deepEqual(u.encode(s), t.encode(s));
  assert.equal(u.padId, t.padId);
});

test("loading errors name the file and the fix", () => {
  const dir = tmpDir();
  const missing = path.join(dir, "nope", "tokenizer.json");
  assert.throws(
    () => loadTokenizer(missing),
    (e: Error) => e.name === "TokenizerLoadError" && e.message.includes(missing) && /does not exist/.test(e.message),
  );
  assert.throws(
    () => loadTokenizer(dir),
    (e: Error) => e.message.includes(path.join(dir, "tokenizer.json")),
  );
  const bad = path.join(dir, "bad.json");
  fs.writeFileSync(bad, "{ not json");
  assert.throws(
    () => loadTokenizer(bad),
    (e: Error) => e.message.includes(bad) && /not valid JSON/.test(e.message),
  );
  const noModel = path.join(dir, "nomodel.json");
  fs.writeFileSync(noModel, JSON.stringify({ version: "1.0" }));
  assert.throws(
    () => loadTokenizer(noModel),
    (e: Error) => e.message.includes(noModel) && /no "model" field/.test(e.message),
  );
  const json = JSON.parse(fs.readFileSync(path.join(BUNDLED, "tokenizer.json"), "utf8"));
  json.pre_tokenizer = { type: "Mystery" };
  assert.throws(() => tokenizerFromJson(json, {}, "x/tokenizer.json"), /x\/tokenizer.json: not a tokenizer/);
  const noEos = JSON.parse(fs.readFileSync(path.join(BUNDLED, "tokenizer.json"), "utf8"));
  assert.throws(
    () => tokenizerFromJson(noEos, { ...byteLevelTokenizerConfig(8), eos_token: "<nope>" }, "y.json"),
    /y.json: no end-of-sequence token/,
  );
});
