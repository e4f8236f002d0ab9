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

test("resolveCorpusConfig rejects bad fields by name", () => {
  assert.throws(() => resolveCorpusConfig({ testFraction: 0.7 }), /testFraction must be in \(0, 0.5\); got 0.7/);
  assert.throws(() => resolveCorpusConfig({ tasks: ["nope"] }), /unknown task "nope"/);
});

test("the bundled corpus equals a fresh generation from its recorded config", () => {
  const bundled = readCorpus<CorpusConfig>(path.join(DATASETS, "tiny-corpus"));
  const fresh = generateCorpus(bundled.config);
  assert.deepEqual(bundled.train, fresh.train);
  assert.deepEqual(bundled.test, fresh.test);
  const bytes = fs.statSync(path.join(DATASETS, "tiny-corpus", "train.jsonl")).size;
  assert.ok(bytes < 500_000, `train.jsonl is ${bytes} bytes`);
});
