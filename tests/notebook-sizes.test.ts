// The curated notebooks' declared sizes (issue 9, items 6 and 8): read from their sources, without running them.
// Every paper notebook opens with its scale next to the paper's; every notebook that compares runs uses ≥ 3
// seeds; full mode evaluates ≥ 128 held-out prompts per task (fast mode may use fewer problems, never one seed).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const NOTEBOOKS = path.join(__dirname, "..", "..", "notebooks");
interface Cell {
  id?: string;
  cell_type: string;
  source: string[] | string;
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const notebooks = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith(".ipynb"))
  .sort()
  .map((name) => ({ name, cells: (JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, name), "utf8")) as { cells: Cell[] }).cells }));
const papers = notebooks.filter((n) => n.name !== "00-tour.ipynb");
const code = (cells: Cell[]) =>
  cells
    .filter((c) => c.cell_type === "code")
    .map(text)
    .join("\n");

test("there are paper notebooks to check", () => {
  assert.ok(papers.length >= 6, notebooks.map((n) => n.name).join(", "));
});

test("every cell of every notebook has an id", () => {
  for (const { name, cells } of notebooks) cells.forEach((c, i) => assert.ok(c.id, `${name}: cell ${i} has no id`));
});

test("every paper notebook opens with its scale next to the paper's", () => {
  for (const { name, cells } of papers) assert.match(text(cells[0]), /scale vs paper/i, `${name}: no "Scale vs paper" in its first cell`);
});

test("every notebook that compares runs declares ≥ 3 seeds", () => {
  for (const { name, cells } of papers.filter((n) => /\bSEEDS\b/.test(code(n.cells)))) {
    const m = /const SEEDS = \[([^\]]*)\]/.exec(code(cells));
    assert.ok(m, `${name}: SEEDS is not declared as a literal list`);
    assert.ok(m[1].split(",").filter((s) => s.trim()).length >= 3, `${name}: SEEDS = [${m[1]}]`);
  }
});

test("full mode evaluates ≥ 128 held-out prompts per task", () => {
  for (const { name, cells } of papers) {
    const src = code(cells);
    // `N_TEST = FAST ? 64 : 256` or a size object `FAST ? { …, nTest: 40, … } : { …, nTest: 128, … }`
    const full = [...src.matchAll(/N_(?:EVAL|TEST|HELD_OUT) = FAST \? \d+ : (\d+)/g)].map((m) => Number(m[1]));
    const sizes = /FAST \? \{[^}]*\bnTest: \d+[^}]*\}\s*: \{[^}]*\bnTest: (\d+)/.exec(src);
    if (sizes) full.push(Number(sizes[1]));
    for (const n of full) assert.ok(n >= 128, `${name}: full mode evaluates ${n} held-out prompts`);
  }
});

test("the real-checkpoints notebook says when its pair is a planted synthetic one", () => {
  const nb = notebooks.find((n) => n.name === "23-real-checkpoints.ipynb");
  assert.ok(nb);
  assert.match(nb.cells.map(text).join("\n"), /planted synthetic pair/i);
});
