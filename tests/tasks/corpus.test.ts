import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { generateCorpus, resolveCorpusConfig, type CorpusConfig } from "../../lib/tasks/corpus";
import { readCorpus } from "../../lib/io/corpus";

const DATASETS = path.join(__dirname, "..", "..", "..", "datasets");

test("generateCorpus is deterministic, disjoint, and mixes English with every task style", () => {
  const a = generateCorpus({ chars: 20_000, seed: 3 });
  const b = generateCorpus({ chars: 20_000, seed: 3 });
  assert.deepEqual(a, b);
  const all = [...a.train, ...a.test].join("\n");
  assert.ok(all.length >= 20_000);
  for (const marker of ["<answer>", "####", ">>> ", " equals ", "Once upon a time", "The capital of"]) {
    assert.ok(all.includes(marker), `corpus lacks ${marker}`);
  }
  assert.ok(a.test.length > 0 && a.train.length > 10 * a.test.length);
});

test("the default corpus keeps tiny-base's seven tasks: min (added later) is learned in SFT only", () => {
  assert.deepEqual(resolveCorpusConfig().tasks, ["add", "mul", "linear", "max", "sort", "count", "reverse"]);
  const all = generateCorpus({ chars: 20_000, seed: 3 }).train.join("\n");
  assert.ok(all.includes("largest number") && !all.includes("smallest number"));
  assert.ok(
    generateCorpus({ chars: 5_000, seed: 3, tasks: ["min"], englishFraction: 0 })
      .train.join("\n")
      .includes("smallest number"),
  );
});

test("resolveCorpusConfig rejects bad fields by name", () => {
  assert.throws(() => resolveCorpusConfig({ testFraction: 0.7 }), /testFraction must be in \(0, 0.5\); got 0.7/);
  assert.throws(() => resolveCorpusConfig({ tasks: ["nope"] }), /unknown task "nope"/);
});

/** The answer of one "Question: …" segment: inside <answer>…</answer>, after "####", or its last line (a Python repr unquoted). */
function answerOf(segment: string): string {
  const tagged = /<answer>\n(.*)\n<\/answer>/.exec(segment) ?? /#### (.*)/.exec(segment);
  return (tagged ? tagged[1] : segment.trim().split("\n").at(-1)!).trim();
}

// The answer's last integer or word: answers come as "96", "The largest number is 96.", "'mwgeoy'", …
const lastInteger = (text: string) => Number(text.match(/\d+/g)?.at(-1));

// Independent of generateCorpus: the bundled text's answers recomputed from its questions.
test("the bundled corpus answers its reverse, count and max questions correctly", () => {
  const { train, test: held } = readCorpus(path.join(DATASETS, "tiny-corpus"));
  const checked = { reverse: 0, count: 0, max: 0 };
  for (const doc of [...train, ...held]) {
    for (const seg of doc.split(/(?=Question: )/).filter((x) => x.startsWith("Question: "))) {
      const q = seg.split("\n")[0];
      const a = answerOf(seg);
      const rev = /^Question: Reverse the word (\w+)\.$/.exec(q);
      const count = /^Question: How many times does the letter (\w) appear in (\w+)\?$/.exec(q);
      const max = /^Question: What is the largest number in ([\d, ]+)\?$/.exec(q);
      if (rev) {
        assert.equal(a.match(/[a-z]+/g)?.at(-1), [...rev[1]].reverse().join(""), seg);
        checked.reverse += 1;
      } else if (count) {
        assert.equal(lastInteger(a), [...count[2]].filter((c) => c === count[1]).length, seg);
        checked.count += 1;
      } else if (max) {
        assert.equal(lastInteger(a), Math.max(...max[1].split(", ").map(Number)), seg);
        checked.max += 1;
      }
    }
  }
  assert.ok(
    Object.values(checked).every((n) => n >= 50),
    JSON.stringify(checked),
  );
});

// Regression check (its expected value is the code's own earlier output): generation has not changed.
test("regression: the bundled corpus equals a fresh generation from its recorded config", () => {
  const bundled = readCorpus<CorpusConfig>(path.join(DATASETS, "tiny-corpus"));
  const fresh = generateCorpus(bundled.config);
  assert.deepEqual(bundled.train, fresh.train);
  assert.deepEqual(bundled.test, fresh.test);
  const bytes = fs.statSync(path.join(DATASETS, "tiny-corpus", "train.jsonl")).size;
  assert.ok(bytes < 500_000, `train.jsonl is ${bytes} bytes`);
});
