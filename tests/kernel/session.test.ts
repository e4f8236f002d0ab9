// One kernel driven over the Jupyter protocol: interrupts, unhandled rejections, errors that cancel (or with
// stop_on_error false do not cancel) later requests, top-level await, rich values, compile errors with line:col,
// and a node_modules folder created mid-session (tslab's converter).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { installTestKernel, runSession, streamText, type StepResult, type TestJupyter } from "./jupyter";

let jup: TestJupyter;
let steps: StepResult[][];

before(async () => {
  jup = await installTestKernel();
  steps = runSession(jup, [
    { code: "let spins = 0;\nwhile (true) { spins++; }", interrupt_after: 3 },
    { code: "await new Promise(() => {})", interrupt_after: 2 },
    { code: "1 + 1" },
    { code: 'Promise.reject(new Error("nobody catches me"));\n7' },
    { code: 'setTimeout(() => { throw new Error("thrown later"); }, 10);\nawait new Promise((r) => setTimeout(r, 200));\n8' },
    { code: 'const n: number = "x";' },
    { batch: ['throw new RangeError("first fails")', "40 + 2"], stop_on_error: false },
    { code: "const r = await Promise.resolve(41);\nr + 1" },
    {
      code: '({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<i>rich</i>", "image/png": new Uint8Array([137, 80, 78, 71]) }) })',
    },
    {
      code: "const z: tf.Tensor2D = tf.zeros([1, 1]);\nconst c: lab.ModelConfig | undefined = undefined;\ntypeof lab.initBackend + ' ' + typeof z.shape",
    },
    {
      code: 'display({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>sunk</b>" }) }, { displayId: "d1" });\ndisplay({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>again</b>" }) }, { displayId: "d1", update: true });',
    },
    // node_modules beside the notebook is where TypeScript looked for modules and did not find them.
    { code: 'require("fs").mkdirSync("node_modules");\nawait new Promise((r) => setTimeout(r, 500));' },
    { code: "6 * 7" },
    // The failing cell waits first so the kernel has received the second request before the error (a margin
    // for loaded machines: a request that arrives after the error is not queued behind it and runs).
    { batch: ['await new Promise((r) => setTimeout(r, 2000));\nthrow new RangeError("stops the queue");', "1 + 2"] },
  ]);
});

const result = (i: number, j = 0) => steps[i][j];
const executeResult = (res: StepResult) => res.outputs.find((o) => o.type === "execute_result")?.content;
const errorOutput = (res: StepResult) => res.outputs.find((o) => o.type === "error")?.content;

test("SIGINT stops a busy synchronous loop and the kernel stays usable", () => {
  assert.equal(result(0).reply.status, "error");
  assert.equal(result(0).reply.ename, "KeyboardInterrupt");
  assert.equal(errorOutput(result(0))?.ename, "KeyboardInterrupt");
  assert.equal(executeResult(result(2))?.data["text/plain"], "2");
});

test("SIGINT stops a cell awaiting a promise that never settles", () => {
  assert.equal(result(1).reply.status, "error");
  assert.equal(result(1).reply.ename, "KeyboardInterrupt");
});

test("execute_result carries the execution count", () => {
  const r = executeResult(result(2));
  assert.equal(r?.execution_count, result(2).reply.execution_count);
  assert.equal(r?.execution_count, 3);
});

test("an unhandled rejection is reported in the cell without killing the kernel", () => {
  assert.equal(result(3).reply.status, "ok");
  assert.match(streamText(result(3), "stderr"), /Unhandled promise rejection: Error: nobody catches me/);
  assert.equal(executeResult(result(3))?.data["text/plain"], "7");
});

test("an exception thrown from a timer is reported and the kernel survives", () => {
  assert.match(streamText(result(4), "stderr"), /Uncaught exception: Error: thrown later/);
  assert.equal(executeResult(result(4))?.data["text/plain"], "8");
});

test("a compile error is a TypeScript error with line:col in the reply and on iopub", () => {
  const { reply } = result(5);
  assert.equal(reply.status, "error");
  assert.equal(reply.ename, "TypeScriptError");
  assert.match(reply.evalue, /^1:7 - Type 'string' is not assignable to type 'number'/);
  assert.deepEqual(errorOutput(result(5)), { ename: reply.ename, evalue: reply.evalue, traceback: reply.traceback });
});

test("with stop_on_error false an error does not cancel the next queued request", () => {
  const [fails, next] = steps[6];
  assert.equal(fails.reply.status, "error");
  assert.equal(fails.reply.ename, "RangeError");
  assert.equal(fails.reply.evalue, "first fails");
  assert.ok(
    fails.reply.traceback.some((l: string) => l.startsWith("RangeError: first fails")),
    fails.reply.traceback.join("\n"),
  );
  assert.equal(next.reply.status, "ok");
  assert.equal(executeResult(next)?.data["text/plain"], "42");
});

test("with stop_on_error an error aborts the queued request: no execution count, nothing run", () => {
  const [fails, next] = steps[13];
  assert.equal(fails.reply.status, "error");
  assert.deepEqual(next.reply, { status: "aborted" });
  assert.deepEqual(next.outputs, []);
});

test("top-level await works", () => {
  assert.equal(executeResult(result(7))?.data["text/plain"], "42");
});

test("a value with Symbol.for('Jupyter.display') is shown with its own bundle, bytes as base64", () => {
  const data = executeResult(result(8))?.data;
  assert.equal(data["text/html"], "<i>rich</i>");
  assert.equal(data["image/png"], Buffer.from([137, 80, 78, 71]).toString("base64"));
  assert.equal(typeof data["text/plain"], "string");
});

test("lab and common names are usable (values and types) before any cell imports them", () => {
  assert.equal(executeResult(result(9))?.data["text/plain"], "'function object'");
});

test("lab's display() publishes display_data and update_display_data through the kernel's sink", () => {
  const outs = result(10).outputs.filter((o) => o.type !== "execute_input");
  assert.deepEqual(
    outs.map((o) => o.type),
    ["display_data", "update_display_data"],
  );
  assert.equal(outs[0].content.data["text/html"], "<b>sunk</b>");
  assert.deepEqual(outs[0].content.transient, { display_id: "d1" });
  assert.equal(outs[1].content.data["text/html"], "<b>again</b>");
});

test("a folder a cell creates where module lookups failed (node_modules) does not break the cells after it", () => {
  assert.equal(result(11).reply.status, "ok", JSON.stringify(result(11).reply));
  assert.equal(result(12).reply.status, "ok", JSON.stringify(result(12).reply));
  assert.equal(executeResult(result(12))?.data["text/plain"], "42");
});
