// A notebook in an arbitrary folder executed headless with `nbconvert --execute --allow-errors`.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { installTestKernel, python } from "./jupyter";

/** nbformat stores multi-line strings as arrays of lines. */
const text = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);
const code = (source: string) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });

test("nbconvert runs every cell: numbered results, a proper error, later cells still run", async () => {
  const jup = await installTestKernel();
  const dir = path.join(jup.root, "some", "folder");
  fs.mkdirSync(dir, { recursive: true });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "rftlab", display_name: "rftlab (TypeScript)", language: "typescript" } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: "# test" },
      code("const a = 20;"),
      code("a + 1"),
      code('throw new Error("deliberate failure")'),
      code('console.log("still running");\na * 2'),
    ],
  };
  fs.writeFileSync(path.join(dir, "nb.ipynb"), JSON.stringify(nb));
  const r = python(["-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors", "--output", "out.ipynb", "nb.ipynb"], jup, {
    cwd: dir,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(fs.readFileSync(path.join(dir, "out.ipynb"), "utf8"));
  const cells = out.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
  assert.deepEqual(
    cells.map((c: { execution_count: number }) => c.execution_count),
    [1, 2, 3, 4],
  );
  assert.equal(cells[1].outputs.length, 1);
  assert.equal(cells[1].outputs[0].output_type, "execute_result");
  assert.equal(cells[1].outputs[0].execution_count, 2);
  assert.equal(text(cells[1].outputs[0].data["text/plain"]), "21");
  const err = cells[2].outputs[0];
  assert.equal(err.output_type, "error");
  assert.equal(err.ename, "Error");
  assert.equal(err.evalue, "deliberate failure");
  assert.ok(err.traceback.length > 0);
  assert.deepEqual(
    cells[3].outputs.map((o: { output_type: string }) => o.output_type),
    ["stream", "execute_result"],
  );
  assert.equal(text(cells[3].outputs[0].text), "still running\n");
  assert.equal(text(cells[3].outputs[1].data["text/plain"]), "40");
});
