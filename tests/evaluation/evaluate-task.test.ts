import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/tensor";
import { createModel, resolveModelConfig, type Transformer } from "../../lib/model";
import { evaluateTask, scoreCompletions, passAtK } from "../../lib/evaluation";
import { generate } from "../../lib/sampling";
import { generateTask } from "../../lib/tasks";
import { wilson } from "../../lib/stats";
import { expectClose } from "../helpers/expect";
import { setDisplaySink } from "../../lib/display/sink";

before(async () => {
  await initBackend(process.env.RFTLAB_BACKEND ?? "wasm");
});

/** One token per ASCII character; NUL is the eos. */
const ascii = {
  encode: (text: string) => [...text].map((c) => c.charCodeAt(0)),
  decode: (ids: number[]) =>
    ids
      .filter((i) => i !== 0)
      .map((i) => String.fromCharCode(i))
      .join(""),
  eosId: 0,
};

function asciiModel(seed = 0): Transformer {
  return createModel(resolveModelConfig({ family: "gpt2", vocabSize: 128, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxPositions: 96 }), {
    seed,
  });
}

/**
 * A model whose next-token logits are the same everywhere: the final LayerNorm's weight is 0, so its output
 * is its bias e₀, and the head's column 0 holds `logits` (every other head entry 0). Greedy then always
 * emits the argmax token; sampling draws from softmax(logits) at every step.
 */
function constantModel(logits: Record<string, number>): Transformer {
  const m = asciiModel();
  const D = m.config.dModel;
  const head = m.paramNames().includes("lm_head.weight") ? "lm_head.weight" : "wte.weight";
  const col = new Float32Array(128);
  for (const [ch, v] of Object.entries(logits)) col[ch.charCodeAt(0)] = v;
  m.param("ln_f.weight").assign(tf.zeros([D]));
  m.param("ln_f.bias").assign(tf.oneHot([0], D).reshape([D]).toFloat());
  m.param(head).assign(tf.tensor2d(Array.from({ length: 128 }, (_, t) => Array.from({ length: D }, (_, d) => (d === 0 ? col[t] : 0)))));
  return m;
}

test("pass@k by hand (Chen et al. 2021)", () => {
  assert.equal(passAtK(5, 0, 1), 0);
  assert.equal(passAtK(5, 5, 3), 1);
  expectClose(passAtK(5, 2, 1), 0.4, { atol: 1e-15 }); // k = 1: c/n
  expectClose(passAtK(5, 2, 2), 1 - 3 / 10, { atol: 1e-15 }); // 1 − C(3,2)/C(5,2)
  expectClose(passAtK(10, 3, 5), 1 - 21 / 252, { atol: 1e-15 }); // 1 − C(7,5)/C(10,5)
  assert.equal(passAtK(4, 3, 2), 1); // n − c < k: every k-subset holds a correct one
  assert.throws(() => passAtK(4, 1, 5), /passAtK: k must be an integer in \[1, n=4\]; got 5/);
});

test("scoreCompletions by hand: accuracy over all samples, Wilson CI, per-prompt shares, pass@k", () => {
  const examples = [
    { prompt: "Question: What is 1 + 2?\n", answer: "3" },
    { prompt: "Question: What is 2 + 2?\n", answer: "4" },
  ];
  const r = scoreCompletions("add", examples, [
    ["3\n", "3", "5\n"],
    ["44\n", "x", "4\n\n"],
  ]);
  assert.deepEqual([r.n, r.samples, r.accuracy, r.perPrompt, r.k], [2, 3, 2 / 6, [2 / 3, 0], 3]);
  const w = wilson(2, 6);
  assert.deepEqual(r.ci95, [w.lo, w.hi]);
  assert.equal(r.passAtK, (1 + 0) / 2); // k = n = 3: any correct
  expectClose(
    scoreCompletions(
      "add",
      examples,
      [
        ["3\n", "9", "5\n"],
        ["4", "x", "4\n"],
      ],
      1,
    ).passAtK!,
    (1 / 3 + 2 / 3) / 2,
    { atol: 1e-15 },
  ); // k = 1: c/n
  assert.equal(scoreCompletions("add", examples, [["3\n"], ["1\n"]]).passAtK, undefined);
  assert.throws(() => scoreCompletions("add", examples, [["3"]]), /one list of completions per example; got 1 lists for 2 examples/);
});

test("a model that always says 7: greedy accuracy is the share of held-out answers equal to 7", async () => {
  const m = constantModel({ "7": 10 });
  const held = generateTask("add", { n: 64, seed: 3, digits: 1 });
  const sevens = held.filter((e) => e.answer === "7").length;
  assert.ok(sevens > 0 && sevens < 64, `need some but not all answers 7; got ${sevens}`);
  const r = await evaluateTask(m, ascii, { task: "add", taskOptions: { digits: 1 }, n: 64, seed: 3, maxNewTokens: 1 });
  assert.deepEqual(
    r.examples.map((e) => e.prompt),
    held.map((e) => e.prompt),
  ); // the held-out split is the seed's test set
  assert.ok(r.completions.every((c) => c.length === 1 && c[0] === "7"));
  assert.equal(r.accuracy, sevens / 64);
  const w = wilson(sevens, 64);
  assert.deepEqual([r.ci95, r.n, r.samples, r.temperature], [[w.lo, w.hi], 64, 1, 0]);
  assert.deepEqual(
    r.perPrompt,
    held.map((e) => (e.answer === "7" ? 1 : 0)),
  );
  // Three tokens "777" are never a one-digit sum: accuracy 0, the interval still says how sure that is.
  const long = await evaluateTask(m, ascii, { task: "add", taskOptions: { digits: 1 }, n: 64, seed: 3, maxNewTokens: 3 });
  assert.deepEqual([long.accuracy, long.ci95], [0, [0, wilson(0, 64).hi]]);
  // Given examples replace the split (a validation set): 3 + 4 and 2 + 5 are 7, 1 + 1 is not.
  const own = [
    { prompt: "Question: 3 + 4\n", answer: "7" },
    { prompt: "Question: 1 + 1\n", answer: "2" },
    { prompt: "Question: 2 + 5\n", answer: "7" },
  ];
  const v = await evaluateTask(m, ascii, { task: "add", examples: own, maxNewTokens: 1 });
  assert.deepEqual([v.examples.map((e) => e.prompt), v.perPrompt, v.n], [own.map((e) => e.prompt), [1, 0, 1], 3]);
  m.dispose();
});

test("sampled: 7 or 8 with probability ½ each; pass@k and accuracy agree with the per-prompt counts", async () => {
  const m = constantModel({ "7": 20, "8": 20 });
  const r = await evaluateTask(m, ascii, {
    task: "add",
    taskOptions: { digits: 1 },
    n: 48,
    samples: 6,
    temperature: 1,
    k: 2,
    seed: 1,
    maxNewTokens: 1,
  });
  assert.ok(r.completions.flat().every((c) => c === "7" || c === "8"));
  r.examples.forEach((e, i) => {
    if (e.answer !== "7" && e.answer !== "8") assert.equal(r.perPrompt[i], 0);
  });
  const counts = r.perPrompt.map((p) => Math.round(p * 6));
  expectClose(r.accuracy, counts.reduce((a, b) => a + b, 0) / (48 * 6), { atol: 1e-15 });
  expectClose(r.passAtK!, counts.reduce((s, c) => s + passAtK(6, c, 2), 0) / 48, { atol: 1e-15 });
  const relevant = r.examples.map((e, i) => (e.answer === "7" || e.answer === "8" ? counts[i] : -1)).filter((c) => c >= 0);
  const share = relevant.reduce((a, b) => a + b, 0) / (6 * relevant.length);
  assert.ok(
    share > 0.2 && share < 0.8,
    `a fair coin between 7 and 8 should be right about half the time; got ${share} over ${relevant.length} prompts`,
  );
  m.dispose();
});

test("a random tiny model: completions are greedy generate's, cut at the newline, whatever the batch size", async () => {
  const m = asciiModel(5);
  const opts = { task: "add", taskOptions: { digits: 1 }, n: 5, seed: 2, maxNewTokens: 6 };
  const a = await evaluateTask(m, ascii, { ...opts, batchSize: 2 });
  const b = await evaluateTask(m, ascii, opts);
  assert.deepEqual(a.completions, b.completions);
  const direct = await generate(
    m,
    a.examples.map((e) => ascii.encode(e.prompt)),
    { temperature: 0, maxNewTokens: 6, stopStrings: ["\n"], stopTokenIds: [0] },
    { tokenizer: ascii },
  );
  assert.deepEqual(a.completions.flat(), direct.completions);
  assert.equal(a.accuracy, a.perPrompt.reduce((s, p) => s + p, 0) / 5);
  m.dispose();
});

test("option errors say the rule and the fix", async () => {
  const m = asciiModel();
  await assert.rejects(
    evaluateTask(m, ascii, { task: "add", samples: 4 }),
    /evaluateTask: samples must be 1 when temperature is 0 \(greedy samples are identical; use temperature 1 for pass@k\); got 4/,
  );
  await assert.rejects(evaluateTask(m, ascii, { task: "add", n: 0 }), /evaluateTask: n must be an integer ≥ 1; got 0/);
  await assert.rejects(
    evaluateTask(m, ascii, { task: "add", examples: [] }),
    /evaluateTask: examples must be a non-empty list \(or left out\); got \[\]/,
  );
  await assert.rejects(evaluateTask(m, ascii, { task: "ad" }), /unknown task "ad" \(did you mean "add"\?\)/);
  m.dispose();
});

test("no tensors leak", async () => {
  const m = constantModel({ "7": 10 });
  const before = tf.memory().numTensors;
  await evaluateTask(m, ascii, { task: "add", n: 4, samples: 2, temperature: 1, maxNewTokens: 2 });
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});

test("evaluateTask shows progress through lib/display (a notebook bar), none with progress: false", async () => {
  await import("../../lib/display"); // installs the progress bar behind lib/base's hook
  const shown: string[] = [];
  setDisplaySink({ display: (b) => void shown.push(String(b["text/plain"])) });
  const quiet = process.env.RFTLAB_QUIET;
  process.env.RFTLAB_QUIET = "";
  try {
    const model = asciiModel(1);
    await evaluateTask(model, ascii, { task: "add", n: 6, batchSize: 3, maxNewTokens: 2 });
    assert.match(shown.at(-1) ?? "", /^evaluate add .*6\/6/);
    const before0 = shown.length;
    await evaluateTask(model, ascii, { task: "add", n: 6, batchSize: 3, maxNewTokens: 2, progress: false });
    assert.equal(shown.length, before0);
    model.dispose();
  } finally {
    process.env.RFTLAB_QUIET = quiet;
    setDisplaySink(undefined);
  }
});
