// Every curated notebook in notebooks/ runs through the rftlab kernel in fast mode (`rftlab reproduce
// --fast`), ends with no error (the last cell is each notebook's check), and its figures arrive as plotly bundles
// with real PNGs and no inlined plotly.js (the executed tour stays ≤ 1 MB).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { main } from "../lib/cli/main";
import { installTestKernel } from "./kernel/jupyter";
import { decodePng, inkStats } from "./display/png";

const NOTEBOOKS = path.join(__dirname, "..", "..", "notebooks");
const PLOTLY = "application/vnd.plotly.v1+json";

test("every curated notebook executes in fast mode with no error (the last cell is each notebook's check)", async () => {
  const names = fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  assert.ok(names.includes("00-tour.ipynb"), names.join(", "));
  const jup = await installTestKernel();
  // RFTLAB_REPRODUCE_OUT keeps the executed notebooks, figures and claims.json (e.g. for a release note).
  const out = process.env.RFTLAB_REPRODUCE_OUT ?? path.join(jup.root, "reproduce");
  // The kernels' temp folder: notebooks keep run folders (checkpoints) there and must remove them on exit.
  const kernelTmp = fs.mkdtempSync(path.join(jup.root, "tmp-"));
  const saved = { ...process.env };
  Object.assign(process.env, jup.env, { TMPDIR: kernelTmp });
  let code: number;
  try {
    code = await main(["reproduce", "--fast", "--out", out, "--dir", NOTEBOOKS]);
  } finally {
    process.env = saved;
  }
  assert.equal(code, 0, `rftlab reproduce --fast failed; see ${path.join(out, "index.html")}`);
  const leftovers = fs.readdirSync(kernelTmp).filter((f) => f.startsWith("rftlab-"));
  assert.deepEqual(leftovers, [], "notebooks left run folders in the temp folder (use lab.io.scratchDir)");
  // Every paper notebook records its claims, each with one of the three verdicts (issue 9: claims.json).
  const claims = JSON.parse(fs.readFileSync(path.join(out, "claims.json"), "utf8")) as { notebook: string; id: string; verdict: string }[];
  for (const c of claims)
    assert.ok(["reproduced", "not reproduced", "inconclusive"].includes(c.verdict), `${c.notebook} ${c.id}: verdict ${c.verdict}`);
  for (const name of names.filter((n) => n !== "00-tour.ipynb")) {
    assert.ok(
      claims.some((c) => c.notebook === name),
      `${name} records no claims`,
    );
  }
  const tourBytes = fs.statSync(path.join(out, "notebooks", "00-tour.ipynb")).size;
  assert.ok(tourBytes <= 1_000_000, `the executed tour is ${tourBytes} bytes (limit 1 MB)`);
  for (const name of names) {
    const nb = JSON.parse(fs.readFileSync(path.join(out, "notebooks", name), "utf8"));
    const codeCells = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    codeCells.forEach((c: { execution_count: unknown }, i: number) =>
      assert.ok(Number.isInteger(c.execution_count), `${name}: code cell ${i} has no execution count`),
    );
    const outputs = codeCells.flatMap((c: { outputs: Record<string, unknown>[] }) => c.outputs);
    assert.ok(!outputs.some((o: Record<string, unknown>) => o.output_type === "error"), `${name}: a cell raised`);
    assert.ok(
      outputs.some((o: Record<string, unknown>) => o.output_type === "execute_result"),
      `${name}: no execute_result`,
    );
    const figures = outputs.filter((o: { data?: Record<string, unknown> }) => o.data?.[PLOTLY]);
    assert.ok(figures.length > 0, `${name}: no plotly figure`);
    for (const f of figures as { data: Record<string, string> }[]) {
      assert.ok(f.data["image/png"], `${name}: a figure has no PNG fallback`);
      // The PNG is the static fallback: an HTML one would inline plotly.js (~4.8 MB) per figure.
      assert.equal(f.data["text/html"], undefined, `${name}: a figure carries HTML (inlined plotly.js)`);
      const img = decodePng(Buffer.from(f.data["image/png"], "base64"));
      assert.ok(img.width >= 300 && img.height >= 200, `${name}: PNG ${img.width}×${img.height}`);
      const ink = inkStats(img);
      assert.ok(ink.nonWhite > 0.01 && ink.variance > 10, `${name}: PNG looks blank (${JSON.stringify(ink)})`);
    }
  }
});
