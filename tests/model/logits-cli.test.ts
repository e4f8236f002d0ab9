import { test, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { tf } from "../../lib/tensor/tf";
import { initBackend } from "../../lib/tensor/backend";
import { createModel, resolveModelConfig, saveModel } from "../../lib/model";
import { expectClose } from "../helpers/expect";
import { tmpDir } from "../helpers/tmp";
import { runCli } from "../helpers/cli";

const WASM = { RFTLAB_BACKEND: "wasm" };

const dir = path.join(tmpDir(), "tiny-qwen2");
let expected: number[][];

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
  const m = createModel(
    resolveModelConfig({ family: "qwen2", vocabSize: 50, dModel: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, dFF: 24, maxPositions: 16 }),
    { seed: 3 },
  );
  await saveModel(m, dir);
  const ids = tf.tensor2d([[3, 17, 42]], undefined, "int32");
  const out = m.forward(ids);
  expected = (out.arraySync() as number[][][])[0];
  tf.dispose([ids, out]);
  m.dispose();
});

test("rftlab logits --json prints one float32 row of vocabulary logits per position", () => {
  const r = runCli(["logits", dir, "--tokens", "3,17,42", "--json"], WASM);
  assert.equal(r.code, 0, r.stderr);
  const { logits } = JSON.parse(r.stdout) as { logits: number[][] };
  assert.equal(logits.length, 3);
  assert.equal(logits[0].length, 50);
  expectClose(logits.flat(), expected.flat(), { atol: 1e-6, what: "CLI logits" });
  assert.ok(
    logits.flat().every((v) => Math.fround(v) === v),
    "values are float32",
  );
});

test("rftlab logits human output lists the top tokens per position", () => {
  const r = runCli(["logits", dir, "--tokens", "3,17", "--top", "2"], WASM);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split("\n")[0], /^pos\s+token\s+top 2/);
  assert.equal(r.stdout.trim().split("\n").length, 3);
});

test("bad tokens give a one-line error and exit 2, before the backend starts (no backend warning first)", () => {
  for (const [tokens, re] of [
    ["3,x", /item 2 must be a non-negative integer; got "x"/],
    ["3,50", /item 2 is 50, outside the vocabulary \[0, 50\)/],
    ["1.5", /item 1 must be a non-negative integer/],
    ["3,,4", /comma-separated/],
  ] as const) {
    // auto backend, not quiet: a started backend would print its choice as a warning first
    const r = runCli(["logits", dir, "--tokens", tokens], { RFTLAB_BACKEND: "", RFTLAB_QUIET: "" });
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const missing = runCli(["logits", dir], WASM);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--tokens is required/);
});
