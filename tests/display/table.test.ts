import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import * as aq from "arquero";
import { displayBundle, JUPYTER_DISPLAY } from "../../lib/display/sink";
import { formatCell, installTableDisplay, tableBundle } from "../../lib/display/table";
import { tmpDir } from "../helpers/tmp";

const rows = Array.from({ length: 25 }, (_, i) => ({ id: i, name: `run-${i}`, reward: i / 3 }));

describe("tableBundle", () => {
  test("escapes HTML in headers and cells", () => {
    const b = tableBundle([{ "<col>": "<script>alert('x')</script>", n: 1 }]);
    const html = String(b["text/html"]);
    assert.ok(!html.includes("<script>") && !html.includes("<col>"));
    assert.ok(html.includes("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert.ok(html.includes('<th style="text-align:left;padding:2px 8px">&lt;col&gt;</th>'));
  });

  test("head and tail rows around '… N more rows', in text and HTML", () => {
    const b = tableBundle(rows, { maxRows: 4 });
    const text = String(b["text/plain"]).split("\n");
    assert.deepEqual(text, [
      "Table: 3 cols x 25 rows",
      "id  name    reward",
      " 0  run-0        0",
      " 1  run-1   0.3333",
      "… 21 more rows",
      "23  run-23   7.667",
      "24  run-24       8",
    ]);
    const html = String(b["text/html"]);
    assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 4 + 1);
    assert.match(html, /… 21 more rows/);
    assert.match(html, /run-24/);
    assert.ok(!html.includes("run-2<"), "hidden rows are not in the HTML");
  });

  test("small tables show every row; bad options are named", () => {
    assert.ok(!String(tableBundle(rows.slice(0, 3))["text/plain"]).includes("more row"));
    assert.throws(() => tableBundle(rows, { maxRows: 0 }), /maxRows must be an integer ≥ 1; got 0/);
    assert.throws(() => tableBundle(42 as never), /expected an array of row objects, an arquero table or a danfo DataFrame; got 42/);
  });
});

test("formatCell: integers, significant digits, exponents, objects, truncation", () => {
  assert.equal(formatCell(12), "12");
  assert.equal(formatCell(0.123456), "0.1235");
  assert.equal(formatCell(123456.789), "123457");
  assert.equal(formatCell(1.5e-7), "1.500e-7");
  assert.equal(formatCell(null), "null");
  assert.equal(formatCell(undefined), "");
  assert.equal(formatCell({ a: [1, 2] }), '{"a":[1,2]}');
  assert.equal(formatCell(new Float32Array([0.5, 1])), "[0.5,1]");
  assert.equal(formatCell("x".repeat(100), 4, 10), "xxxxxxxxx…");
});

describe("installTableDisplay", () => {
  test("arquero tables display as HTML tables", () => {
    installTableDisplay();
    const t = aq.from(rows);
    assert.equal(typeof (t as unknown as Record<symbol, unknown>)[JUPYTER_DISPLAY], "function");
    const b = displayBundle(t);
    assert.match(String(b["text/plain"]), /^Table: 3 cols x 25 rows/);
    assert.match(String(b["text/html"]), /<table class="rftlab-table"/);
    // Installed on a prototype, not enumerable there (Object.keys never lists symbol keys, so ask the descriptor).
    let owner: object | null = t;
    while (owner && !Object.getOwnPropertySymbols(owner).includes(JUPYTER_DISPLAY)) owner = Object.getPrototypeOf(owner);
    assert.ok(owner && owner !== t, "installed on a prototype of the table");
    assert.equal(Object.getOwnPropertyDescriptor(owner, JUPYTER_DISPLAY)?.enumerable, false, "not enumerable");
  });

  test("danfo DataFrames (once loaded) show their index and columns", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dfd = require("danfojs-node");
    installTableDisplay({ danfo: dfd });
    const df = new dfd.DataFrame([
      { a: 1, b: "x<y" },
      { a: 2, b: "z" },
    ]);
    const b = displayBundle(df);
    assert.deepEqual(String(b["text/plain"]).split("\n"), ["Table: 2 cols x 2 rows", "   a  b", "0  1  x<y", "1  2  z"]);
    assert.match(String(b["text/html"]), /x&lt;y/);
    const s = new dfd.Series([0.5, 0.25]);
    assert.match(String(displayBundle(s)["text/plain"]), /1\s+0.25$/);
  });

  test("a second copy of danfo, loaded from a notebook's own node_modules, is patched too", () => {
    // A stand-in package with danfo's data layout: its classes are not the ones beside rftlab.
    const nb = tmpDir("rftlab-notebook-");
    const pkg = path.join(nb, "node_modules", "danfojs-node");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, "index.js"),
      "class DataFrame { constructor() { this.columns = ['a']; this.values = [[1], [2]]; this.index = [0, 1]; this.shape = [2, 1]; } }\n" +
        "class Series extends DataFrame {}\nmodule.exports = { DataFrame, Series };\n",
    );
    const other = createRequire(path.join(nb, "notebook.js"))("danfojs-node");
    installTableDisplay();
    const b = displayBundle(new other.DataFrame());
    assert.match(String(b["text/html"]), /<table class="rftlab-table"/);
    assert.deepEqual(String(b["text/plain"]).split("\n"), ["Table: 1 cols x 2 rows", "   a", "0  1", "1  2"]);
  });
});
