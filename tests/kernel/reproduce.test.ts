// `rftlab reproduce` on two tiny notebooks: one draws a PNG, one fails in its second code cell.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { main } from "../../lib/cli/main";
import { installTestKernel } from "./jupyter";

const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function notebook(...sources: string[]) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "rftlab", display_name: "rftlab (TypeScript)", language: "typescript" } },
    cells: sources.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
}

test("reproduce writes executed notebooks, PNGs and an index, and names the failing notebook and cell", async () => {
  const jup = await installTestKernel();
  const dir = path.join(jup.root, "nbs");
  const out = path.join(jup.root, "out");
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, "01-draw.ipynb"),
    JSON.stringify(
      notebook(
        `import * as tslab from "tslab";\ntslab.display.png(Buffer.from("${PNG_1x1}", "base64"));`,
        'process.env.RFTLAB_FAST ?? "slow"',
        'const claims = new lab.stats.Claims("arXiv:0000.00001");\n' +
          'claims.check({ id: "gain", statement: "training helps", measured: { gain: lab.stats.wilson(30, 40) }, on: "gain", claimed: { above: 0.5 } });\n' +
          "lab.display.claimsTable(claims)",
      ),
    ),
  );
  fs.writeFileSync(path.join(dir, "02-broken.ipynb"), JSON.stringify(notebook("1 + 1", 'throw new Error("broken on purpose")', "3")));

  const saved = { ...process.env };
  Object.assign(process.env, jup.env);
  const stderr: string[] = [];
  const [writeErr, writeOut] = [process.stderr.write, process.stdout.write];
  process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof writeErr;
  process.stdout.write = (() => true) as typeof writeOut;
  let code: number;
  try {
    code = await main(["reproduce", "--dir", dir, "--out", out, "--fast", "--json", "--jobs", "2"]);
  } finally {
    process.stderr.write = writeErr;
    process.stdout.write = writeOut;
    process.env = saved;
  }
  assert.equal(code, 1, stderr.join(""));
  assert.match(stderr.join(""), /rftlab reproduce: 02-broken\.ipynb failed at cell 2: Error: broken on purpose/);

  const executed = JSON.parse(fs.readFileSync(path.join(out, "notebooks", "01-draw.ipynb"), "utf8"));
  const fast = executed.cells[1].outputs[0].data["text/plain"];
  assert.equal(Array.isArray(fast) ? fast.join("") : fast, "'1'");
  const png = path.join(out, "figures", "01-draw-cell1-1.png");
  assert.deepEqual(fs.readFileSync(png), Buffer.from(PNG_1x1, "base64"));
  const html = fs.readFileSync(path.join(out, "index.html"), "utf8");
  assert.match(html, /01-draw\.ipynb/);
  assert.match(html, /failed at cell 2/);
  assert.match(html, /figures\/01-draw-cell1-1\.png/);

  // The claims cell's CLAIMS_MIME output is collected into claims.json and tabled at the top of the index.
  const claims = JSON.parse(fs.readFileSync(path.join(out, "claims.json"), "utf8"));
  assert.equal(claims.length, 1);
  assert.deepEqual(
    {
      notebook: claims[0].notebook,
      id: claims[0].id,
      paper: claims[0].paper,
      verdict: claims[0].verdict,
      measured: claims[0].measured[0].name,
    },
    { notebook: "01-draw.ipynb", id: "gain", paper: "arXiv:0000.00001", verdict: "reproduced", measured: "gain" },
  );
  assert.ok(html.indexOf("training helps") < html.indexOf("01-draw.ipynb</a>"), "the claims table comes before the notebooks table");

  // RESULTS.md: the run's facts, each notebook's status and every claim, as committed for full mode.
  const md = fs.readFileSync(path.join(out, "RESULTS.md"), "utf8");
  assert.match(md, /^# rftlab reproduce: fast-mode results$/m);
  assert.match(md, /^- Commit: ([0-9a-f]{40}(-dirty)?|unknown \(not a git checkout\))$/m);
  assert.match(md, /^- Command: `rftlab reproduce --fast --jobs 2`/m);
  assert.match(md, /^\| 02-broken\.ipynb \| failed at cell 2: Error: broken on purpose \| [0-9.]+ \| [0-9.]+ \| 0 \|$/m);
  const cpu = Number(/^\| 01-draw\.ipynb \| ok \| [0-9.]+ \| ([0-9.]+) \|/m.exec(md)?.[1]);
  assert.ok(cpu > 0, `the kernel's CPU seconds are recorded: ${cpu}`);
  assert.match(md, /^## Claims: 1 \(1 reproduced, 0 not reproduced, 0 inconclusive\)$/m);
  assert.match(
    md,
    /^\| 01-draw\.ipynb \| arXiv:0000\.00001 \| gain \| training helps \| gain 0\.75 \[[0-9.]+, [0-9.]+\] \| \*\*reproduced\*\* \| /m,
  );
});
