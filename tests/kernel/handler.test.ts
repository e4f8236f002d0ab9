import { test } from "node:test";
import assert from "node:assert/strict";
import { isComplete } from "../../kernel/handler";
import { compileError, runtimeError } from "../../kernel/cell-error";
import { mimeBundle } from "../../kernel/result-bundle";

test("is_complete: complete, incomplete with an indent hint, invalid", () => {
  assert.deepEqual(isComplete("1 + 1"), { status: "complete" });
  assert.deepEqual(isComplete("function f() {"), { status: "incomplete", indent: "  " });
  assert.equal(isComplete("const xs = [1,").status, "incomplete");
  assert.deepEqual(isComplete("let x = )"), { status: "invalid" });
  assert.deepEqual(isComplete("1 +* 2"), { status: "invalid" });
  // Parses, but compiles to "'let' is a reserved word in strict mode": cells are strict-mode modules.
  assert.deepEqual(isComplete("let = 5;"), { status: "invalid" });
  assert.deepEqual(isComplete("let x = 5;"), { status: "complete" });
});

test("compile diagnostics become one TypeScriptError with line:col and a caret under the column", () => {
  const e = compileError([["%s%d:%d - %s", "", 2, 5, "Cannot find name 'y'."]], "let x = 1;\nx + y;");
  assert.equal(e.ename, "TypeScriptError");
  assert.equal(e.evalue, "2:5 - Cannot find name 'y'.");
  assert.deepEqual(e.traceback, ["2:5 - error: Cannot find name 'y'.", "  x + y;", "      ^"]);
});

test("runtime errors keep name, message and stack; other thrown values are shown", () => {
  const e = runtimeError(new TypeError("nope"));
  assert.equal(e.ename, "TypeError");
  assert.equal(e.evalue, "nope");
  assert.equal(e.traceback[0], "TypeError: nope");
  assert.deepEqual(runtimeError(42), { ename: "Thrown", evalue: "42", traceback: ["Uncaught 42"] });
  const interrupted = Object.assign(new Error("Script execution was interrupted by `SIGINT`"), {
    code: "ERR_SCRIPT_EXECUTION_INTERRUPTED",
  });
  assert.equal(runtimeError(interrupted).ename, "KeyboardInterrupt");
});

test("mimeBundle: inspect text by default, the object's own bundle when it has Jupyter.display", () => {
  assert.deepEqual(mimeBundle("hi"), { "text/plain": "'hi'" });
  assert.deepEqual(mimeBundle([1, 2]), { "text/plain": "[ 1, 2 ]" });
  const rich = { [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "T", "image/png": new Uint8Array([1, 2, 3]) }) };
  assert.deepEqual(mimeBundle(rich), { "text/plain": "T", "image/png": "AQID" });
  assert.throws(() => mimeBundle({ [Symbol.for("Jupyter.display")]: () => 5 }), /must return a mime bundle/);
});
