// What cells show through a real Jupyter client: danfo tables without set-up, runtime tracebacks in cell
// line numbers, process.exit as an error reply, and a figure left as a cell's value with its PNG.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { installTestKernel, notebookFolderWithOwnDanfo, runSession, streamText, type StepResult } from "./jupyter";

let steps: StepResult[][];

before(async () => {
  const jup = await installTestKernel();
  steps = runSession(
    jup,
    [
      { code: 'import * as dfd from "danfojs-node";\nnew dfd.DataFrame({ a: [1, 2], b: ["x", "y"] })' },
      { code: "new dfd.Series([1.5, 2.5, 3.5])" },
      { code: 'const f = (x: number): number => {\n  if (x > 1) throw new Error("too big");\n  return x;\n};\nf(1);\nf(2);' },
      { code: "process.exit(1);" },
      { code: "1 + 1" },
      { code: 'lineFigure([{ step: 1, loss: 2 }, { step: 2, loss: 1 }], { x: "step", y: "loss" })' },
      { code: 'require.resolve("danfojs-node")' },
      // The last expression compiles to `exports.tsLastExpr = …;`: a semicolon the cell does not have.
      { code: 'function check(x: number) {\n  if (x > 2) {\n    throw new Error("too big");\n  }\n  return x;\n}\n[1, 2, 3].map(check)' },
    ],
    notebookFolderWithOwnDanfo(jup),
  );
});

const result = (i: number) => steps[i][0];
const data = (res: StepResult) => res.outputs.find((o) => o.type === "execute_result")?.content.data;

test("danfo DataFrames and Series render as HTML tables without set-up, from the notebook's own danfo copy", () => {
  for (const i of [0, 1]) {
    assert.equal(result(i).reply.status, "ok", JSON.stringify(result(i).reply));
    assert.match(String(data(result(i))?.["text/html"]), /<table/);
  }
  assert.match(String(data(result(0))?.["text/html"]), /<th[^>]*>b<\/th>/);
  assert.match(String(data(result(6))?.["text/plain"]), /notebook\/node_modules\/danfojs-node\//);
});

test("the backend note on the first cell is one short line, or nothing when a GPU backend started", () => {
  const note = streamText(result(0), "stderr");
  if (note === "") return;
  assert.match(note, /^rftlab: using \w+, no GPU backend \([^\n]*environment\.md\)\n$/);
  assert.ok(note.length <= 100, note); // one line of a Notebook 6 output at its default width
});

test("a runtime traceback names the cell's lines, not the compiled ones", () => {
  const { reply } = result(2);
  assert.equal(reply.evalue, "too big");
  const tb = reply.traceback.join("\n");
  assert.match(tb, /cell\[3\] line 2/, tb);
  assert.match(tb, /cell\[3\] line 6/, tb);
});

test("a traceback maps a last expression without a semicolon, and shows no frame of the executor's wrapper", () => {
  const { reply } = result(7);
  const cell = `cell[${reply.execution_count}]`;
  assert.deepEqual(
    reply.traceback.filter((l: string) => l.includes("cell[")),
    [`    at check (${cell} line 3)`, `    at ${cell} line 7`],
    reply.traceback.join("\n"),
  );
});

test("process.exit in a cell is an error reply and the kernel keeps running", () => {
  assert.equal(result(3).reply.status, "error");
  assert.equal(result(3).reply.ename, "ProcessExit");
  assert.equal(data(result(4))?.["text/plain"], "2");
});

test("a figure left as a cell's value carries its PNG, and no inlined plotly.js", () => {
  const d = data(result(5));
  assert.ok(d?.["image/png"], `bundle keys: ${Object.keys(d ?? {})}`);
  assert.ok(d["application/vnd.plotly.v1+json"]);
  assert.equal(d["text/html"], undefined);
});
