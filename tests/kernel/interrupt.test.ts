// Interrupts through a real Jupyter client (jupyter_client): a training cell stops within 2 s and its work
// really stops (checkpointed, resumable); a synchronous loop after an await stops too; busy is published
// before a cell's synchronous code runs and its console output streams while it runs; a blocked kernel
// whose client died exits.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { installTestKernel, KERNEL_TEST_SRC, python, runSession, type StepResult, type TestJupyter } from "./jupyter";

let jup: TestJupyter;
let steps: StepResult[][];
let runDir: string;

const helpers = JSON.stringify(path.join(__dirname, "..", "helpers", "tiny-model").split(path.sep).join("/"));
const sleep = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms}));`;

before(async () => {
  jup = await installTestKernel();
  jup.env.RFTLAB_QUIET = "0"; // tests/run.js quiets progress; this file checks that training shows it
  runDir = path.join(jup.root, "grpo-run");
  steps = runSession(jup, [
    {
      code: [
        `import { tinyModel, charCodec, tinyPrompts, digitShare } from ${helpers};`,
        "const g = globalThis as { stepsDone?: number };",
        "g.stepsDone = 0;",
        "await lab.rl.grpoTrain({",
        '  model: tinyModel("llama", 3), tokenizer: charCodec, data: tinyPrompts,',
        '  rewards: [{ name: "digits", fn: digitShare }],',
        "  config: { steps: 100000, promptsPerStep: 2, numGenerations: 4, microBatchSize: 4, saveEvery: 1000, sampling: { maxNewTokens: 4 } },",
        `  options: { runDir: ${JSON.stringify(runDir)}, onStep: (s) => { g.stepsDone = s; } },`,
        "});",
      ].join("\n"),
      interrupt_after: 8,
    },
    // The interrupted cell's declarations are gone: reach the counter through globalThis again.
    {
      code: `const gg = globalThis as { stepsDone?: number };\n${sleep(1500)}\nconst atFirst = gg.stepsDone;\n${sleep(2000)}\n[atFirst, gg.stepsDone]`,
    },
    { code: "await null;\nlet spins = 0;\nwhile (true) { spins++; }", interrupt_after: 2 },
    { code: "1 + 1" },
    { code: "const t0 = Date.now();\nwhile (Date.now() - t0 < 2000) {}\nt0" },
    { code: 'for (let i = 0; i < 3; i++) {\n  console.log("line " + i);\n  const t = Date.now();\n  while (Date.now() - t < 700) {}\n}' },
  ]);
});

const result = (i: number) => steps[i][0];
const value = (res: StepResult) => res.outputs.find((o) => o.type === "execute_result")?.content.data["text/plain"];

test("interrupting a grpoTrain cell ends it with KeyboardInterrupt within 2 s", () => {
  const r = result(0);
  assert.equal(r.reply.status, "error", JSON.stringify(r.reply));
  assert.equal(r.reply.ename, "KeyboardInterrupt");
  assert.ok(r.interrupt_seconds !== undefined && r.interrupt_seconds < 2, `interrupt took ${r.interrupt_seconds} s`);
});

test("training shows a progress bar by default, updated in place", () => {
  const bars = result(0).outputs.filter((o) => o.type.endsWith("display_data") && /rftlab-progress/.test(o.content.data["text/html"]));
  assert.ok(bars.length >= 2, `progress outputs: ${bars.length}`);
  assert.equal(bars[0].type, "display_data");
  assert.match(bars[0].content.data["text/plain"], /^grpo .*\/100000/);
});

test("after the interrupt the training really stopped: the step counter no longer advances", () => {
  const [first, later] = JSON.parse(String(value(result(1)))) as number[];
  assert.ok(first > 0, `the run made no step before the interrupt (${first})`);
  assert.equal(later, first);
});

test("the interrupted run folder holds a checkpoint of the last finished step (resumable)", () => {
  const [stopped] = JSON.parse(String(value(result(1)))) as number[];
  const checkpoints = fs.readdirSync(path.join(runDir, "checkpoints")).filter((n) => /^step-\d+$/.test(n));
  assert.deepEqual(
    checkpoints.map((n) => Number(n.slice(5))),
    [stopped],
  );
});

test("a synchronous loop after an await is interrupted within 2 s and the kernel stays usable", () => {
  const r = result(2);
  assert.equal(r.reply.ename, "KeyboardInterrupt", JSON.stringify(r.reply));
  assert.ok(r.interrupt_seconds !== undefined && r.interrupt_seconds < 2, `interrupt took ${r.interrupt_seconds} s`);
  assert.equal(value(result(3)), "2");
});

test("busy reaches the client while the cell's synchronous code still runs", () => {
  const r = result(4);
  const startedMs = Number(value(r));
  assert.ok(r.busy_t * 1000 < startedMs + 1000, `busy arrived ${r.busy_t * 1000 - startedMs} ms after the loop started`);
});

test("console output of a synchronous loop streams as it is written", () => {
  const lines = result(5).outputs.filter((o) => o.type === "stream");
  assert.equal(lines.map((o) => o.content.text).join(""), "line 0\nline 1\nline 2\n");
  assert.ok(lines[lines.length - 1].t - lines[0].t > 0.5, `all lines arrived together: ${lines.map((o) => o.t)}`);
});

test("a kernel blocked in a loop exits within 10 s when its client is killed", () => {
  const r = python([path.join(KERNEL_TEST_SRC, "orphan.py")], jup, { cwd: jup.root });
  assert.equal(r.status, 0, r.stderr);
  const { gone_after } = JSON.parse(r.stdout) as { gone_after: number | null };
  assert.ok(gone_after !== null && gone_after <= 10, `the orphaned kernel was still running after ${gone_after ?? "30+"} s`);
});
