// A new user's first hour, on demand: Jupyter Notebook 6 (Debian's /usr/bin/jupyter-notebook) with the rftlab
// kernel, driven in headless Chromium. Not part of `npm test` (it takes minutes and looks at pixels).
// Usage: node dist/bench/notebook-ui.js [--out /tmp/nbui] [--port 18931] [--steps 3000]
// It installs the kernelspec in a private prefix (private Jupyter config/data/runtime dirs; the system's are
// untouched), starts a server on a temp copy of notebooks/00-tour.ipynb plus a notebook it writes, then: opens
// the tree and the "New" menu, runs the tour (Cell > Run All, RFTLAB_FAST=1) watching the busy indicator,
// interrupts a long grpoTrain with the toolbar button, runs a danfo table, a figure left as a value, an error,
// a synchronous loop that logs, and restarts the kernel. Screenshots <out>/NN-step.png (look at them);
// <out>/report.json holds what each step measured; problems are printed and make the exit code 1.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { installKernelspec } from "../lib/cli/kernelspec";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const OUT = path.resolve(arg("--out", "/tmp/nbui"));
const PORT = Number(arg("--port", "18931"));
const STEPS = Number(arg("--steps", "3000"));
const TOKEN = "nbui";
const BASE = `http://127.0.0.1:${PORT}`;
const REPO = path.join(__dirname, "..", "..");

const report: Record<string, unknown> = {};
const problems: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) problems.push(what);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The user's own notebook: a model, a long training run to interrupt, and the everyday cells. */
function tryNotebook(steps: number): object {
  const cells = [
    `const zoo = await lab.model.loadZooModel("tiny-instruct");
const codec = lab.io.textCodec(zoo.tokenizer);
const TASK = "max";
const TASK_OPTIONS = (zoo.recipe as lab.model.SftRecipe).tasks.find((t) => t.task === TASK)!.options;
const prompts = lab.taskSplits(TASK, { ...TASK_OPTIONS, seed: 0, nTrain: 16, nTest: 0 }).train.map((e) => ({ prompt: e.prompt, answer: e.answer }));
// Declared here: declarations of a cell that is interrupted (or fails) do not persist.
let stepsSeen = 0;
prompts.length`,
    `const run = await lab.grpoTrain({ model: zoo.model, tokenizer: codec, data: prompts,
  rewards: [{ name: "correct", fn: lab.rewards.taskReward(TASK), weight: 1 }],
  config: { steps: ${steps}, promptsPerStep: 2, numGenerations: 4, sampling: { maxNewTokens: 8, stopStrings: ["\\n"], stopTokenIds: [codec.eosId] } },
  options: { onStep: () => { stepsSeen++; } } });
run.history.length`,
    "stepsSeen",
    `import * as dfd from "danfojs-node";
new dfd.DataFrame({ step: [1, 2, 3], reward: [0.25, 0.5, 0.75] })`,
    `lineFigure([{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }], { x: "x", y: "y", title: "a figure left as the cell's value" })`,
    `function check(x: number) {
  if (x > 2) {
    throw new Error(\`x is too big: \${x}\`);
  }
  return x;
}
[1, 2, 3].map(check)`,
    `const t0 = Date.now();
for (let i = 0; i < 3; i++) { console.log(\`sync tick \${i}\`); const end = Date.now() + 1500; while (Date.now() < end) {} }
Date.now() - t0`,
  ];
  return {
    cells: cells.map((source, i) => ({ cell_type: "code", id: `try-${i}`, metadata: {}, source, outputs: [], execution_count: null })),
    metadata: { kernelspec: { name: "rftlab", display_name: "rftlab (TypeScript)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

async function startServer(): Promise<ChildProcess> {
  const nbdir = path.join(OUT, "nbdir");
  fs.rmSync(nbdir, { recursive: true, force: true });
  fs.mkdirSync(nbdir, { recursive: true });
  fs.copyFileSync(path.join(REPO, "notebooks", "00-tour.ipynb"), path.join(nbdir, "00-tour.ipynb"));
  fs.writeFileSync(path.join(nbdir, "01-try.ipynb"), JSON.stringify(tryNotebook(STEPS), null, 1));
  // As in a user's project with rftlab installed: its dependencies (arquero, danfojs-node) resolve from here.
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(nbdir, "node_modules"));
  const prefix = path.join(OUT, "prefix");
  await installKernelspec({ kind: "prefix", dir: prefix });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
    JUPYTER_CONFIG_DIR: path.join(OUT, "jupyter-config"),
    JUPYTER_DATA_DIR: path.join(OUT, "jupyter-data"),
    JUPYTER_RUNTIME_DIR: path.join(OUT, "jupyter-runtime"),
    RFTLAB_FAST: "1",
  };
  const args = [
    "--no-browser",
    "--allow-root",
    `--port=${PORT}`,
    "--ip=127.0.0.1",
    `--NotebookApp.token=${TOKEN}`,
    `--notebook-dir=${nbdir}`,
  ];
  const log = fs.openSync(path.join(OUT, "server.log"), "w");
  const server = spawn("/usr/bin/jupyter-notebook", args, { env, stdio: ["ignore", log, log] });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${BASE}/api/status?token=${TOKEN}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return server;
    await sleep(200);
  }
  throw new Error(`jupyter-notebook did not answer on ${BASE} within 20 s; see ${OUT}/server.log`);
}

let shot = 0;
/** The viewport, or with `whole` the whole notebook (Notebook 6 scrolls inside #site, so fullPage would not). */
async function screenshot(page: Page, name: string, whole = false): Promise<string> {
  const file = `${String(++shot).padStart(2, "0")}-${name}.png`;
  const unscroll = (on: boolean) =>
    page.evaluate((on) => {
      for (const el of [document.body, document.getElementById("site")]) {
        if (!el) continue;
        el.style.height = on ? "auto" : "";
        el.style.overflow = on ? "visible" : "";
      }
    }, on);
  if (whole) await unscroll(true);
  await page.screenshot({ path: path.join(OUT, file), fullPage: whole });
  if (whole) await unscroll(false);
  return file;
}

/** The kernel indicator's state as the user sees it: idle, busy, dead, disconnected. */
const indicator = (page: Page) =>
  page.$eval("#kernel_indicator_icon", (el) => (el.className.match(/kernel_(\w+)_icon/) ?? [])[1] ?? el.className);

async function waitIdle(page: Page, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await page.waitForFunction(
    () => {
      const cls = document.querySelector("#kernel_indicator_icon")?.className ?? "";
      const running = Array.from(document.querySelectorAll(".code_cell .input_prompt")).some((p) => p.textContent?.includes("[*]"));
      return cls.includes("kernel_idle_icon") && !running;
    },
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
  return Date.now() - t0;
}

/** Click into code cell i and run it with Shift+Enter, as a user does. */
async function runCell(page: Page, i: number): Promise<void> {
  await page.locator(".code_cell").nth(i).locator(".CodeMirror").click();
  await page.keyboard.press("Shift+Enter");
}

/** What code cell i shows: output kinds and its text. */
const cellOutputs = (page: Page, i: number) =>
  page
    .locator(".code_cell")
    .nth(i)
    .evaluate((cell) => ({
      prompt: cell.querySelector(".input_prompt")?.textContent?.trim(),
      kinds: Array.from(cell.querySelectorAll(".output_subarea")).map((o) =>
        Array.from(o.classList)
          .filter((c) => c.startsWith("output_") && c !== "output_subarea")
          .join(" "),
      ),
      images: cell.querySelectorAll(".output_subarea img").length,
      plots: cell.querySelectorAll(".js-plotly-plot").length,
      tables: cell.querySelectorAll(".output_subarea table").length,
      // biome-ignore lint/performance/useDomNodeTextContent: the text as laid out for the user
      text: (cell.querySelector(".output_wrapper") as HTMLElement | null)?.innerText.slice(0, 2000) ?? "",
    }));

/** Records every change of the kernel indicator, with its time, in window.__busy. */
async function watchIndicator(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __busy: [number, string][] };
    w.__busy = [];
    const el = document.querySelector("#kernel_indicator_icon")!;
    new MutationObserver(() => w.__busy.push([Date.now(), el.className])).observe(el, { attributes: true });
  });
}

async function tree(page: Page): Promise<void> {
  await page.goto(`${BASE}/tree?token=${TOKEN}`);
  await page.waitForSelector("#notebook_list .list_item a");
  const files = await screenshot(page, "tree");
  await page.click("#new-dropdown-button");
  const kernels = await page.$$eval("#new-menu li a", (as) => as.map((a) => a.textContent?.trim()));
  expect(kernels.includes("rftlab (TypeScript)"), `the New menu lists no "rftlab (TypeScript)": ${kernels.join(", ")}`);
  report.tree = { screenshots: [files, await screenshot(page, "new-menu")], newMenu: kernels };
}

async function tour(page: Page): Promise<void> {
  const t0 = Date.now();
  await page.goto(`${BASE}/notebooks/00-tour.ipynb?token=${TOKEN}`);
  await page.waitForSelector(".code_cell");
  const startMs = await waitIdle(page, 60_000);
  const name = await page.textContent(".kernel_indicator_name");
  expect(name === "rftlab (TypeScript)", `the tour opened with kernel "${name}"`);
  const opened = await screenshot(page, "tour-open");
  await watchIndicator(page);
  const run0 = Date.now();
  await page.click("#celllink");
  await page.click("#run_all_cells");
  await sleep(1500);
  const duringState = await indicator(page);
  const running = await screenshot(page, "tour-running");
  const runMs = (await waitIdle(page, 600_000)) + 1500;
  const busy = await page.evaluate(() => (window as unknown as { __busy: [number, string][] }).__busy);
  const n = await page.locator(".code_cell").count();
  const cells = [];
  for (let i = 0; i < n; i++) cells.push(await cellOutputs(page, i));
  // stderr other than the backend note (one line on machines without a GPU backend) is a problem too.
  const errors = cells.filter(
    (c) =>
      c.kinds.some((k) => k.includes("output_error")) ||
      (c.kinds.some((k) => k.includes("output_stderr")) && !/^rftlab: using \w+, no GPU backend \([^\n]*\)\n/.test(c.text)),
  );
  expect(
    errors.length === 0,
    `the tour shows errors or stderr in ${errors.length} cells: ${errors.map((c) => c.text.slice(0, 200)).join(" | ")}`,
  );
  expect(
    cells.some((c) => c.tables > 0),
    "the tour shows no table",
  );
  expect(
    cells.some((c) => c.plots > 0 || c.images > 0),
    "the tour shows no figure",
  );
  expect(duringState === "busy", `1.5 s into Run All the indicator says ${duringState}`);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  await sleep(1500);
  const saved = fs.statSync(path.join(OUT, "nbdir", "00-tour.ipynb")).size;
  expect(saved <= 1_000_000, `the executed tour is ${saved} bytes (> 1 MB)`);
  await page.evaluate(() => window.scrollTo(0, 0));
  report.tour = {
    kernelStartMs: startMs,
    openToIdleMs: Date.now() - t0 - runMs,
    runAllMs: runMs,
    indicatorTransitions: busy.map(([t, c]) => [t - run0, c.replace(/.*kernel_(\w+)_icon.*/, "$1")]),
    savedBytes: saved,
    cells,
    screenshots: [opened, running, await screenshot(page, "tour-done", true)],
  };
}

async function interruptTraining(page: Page): Promise<void> {
  await page.goto(`${BASE}/notebooks/01-try.ipynb?token=${TOKEN}`);
  await page.waitForSelector(".code_cell");
  await waitIdle(page, 60_000);
  await runCell(page, 0);
  await waitIdle(page, 300_000);
  const load = await cellOutputs(page, 0);
  expect(load.text.includes("16"), `loading the zoo model showed: ${load.text.slice(0, 300)}`);
  await runCell(page, 1);
  // Let training run long enough to show its progress bar.
  await page.locator(".code_cell").nth(1).locator(".output_subarea").first().waitFor({ timeout: 120_000 });
  await sleep(5000);
  const training = await cellOutputs(page, 1);
  const trainingShot = await screenshot(page, "training");
  const t0 = Date.now();
  await page.click('button[data-jupyter-action="jupyter-notebook:interrupt-kernel"]');
  const idleMs = await waitIdle(page, 30_000);
  const after = await cellOutputs(page, 1);
  expect(after.text.includes("KeyboardInterrupt"), `after Interrupt the training cell shows: ${after.text.slice(-300)}`);
  expect(idleMs <= 2000, `Interrupt took ${idleMs} ms to give the kernel back (limit 2 s)`);
  const interrupted = await screenshot(page, "interrupted");
  await runCell(page, 2);
  await waitIdle(page, 10_000);
  const first = (await cellOutputs(page, 2)).text;
  await sleep(3000);
  await runCell(page, 2);
  await waitIdle(page, 10_000);
  const second = (await cellOutputs(page, 2)).text;
  const num = (s: string) => Number(s.match(/(\d+)\s*$/)?.[1]);
  expect(num(first) === num(second), `the step counter moved after the interrupt: ${first} → ${second}`);
  report.interrupt = {
    elapsedSinceClickMs: Date.now() - t0,
    toIdleMs: idleMs,
    training,
    after,
    stepsSeen: [first, second],
    screenshots: [trainingShot, interrupted],
  };
}

async function everydayCells(page: Page): Promise<void> {
  await runCell(page, 3);
  await waitIdle(page, 60_000);
  const danfo = await cellOutputs(page, 3);
  expect(danfo.tables === 1, `the danfo DataFrame shows ${danfo.tables} tables: ${danfo.text.slice(0, 300)}`);
  await runCell(page, 4);
  await waitIdle(page, 120_000);
  const figure = await cellOutputs(page, 4);
  expect(figure.images + figure.plots > 0, `the figure left as a value shows: ${figure.kinds.join(", ")} ${figure.text.slice(0, 200)}`);
  await runCell(page, 5);
  await waitIdle(page, 30_000);
  const error = await cellOutputs(page, 5);
  expect(/line 3/.test(error.text), `the traceback does not name the cell's line 3: ${error.text.slice(0, 500)}`);
  report.cells = { danfo, figure, error, screenshots: [await screenshot(page, "table-figure-error", true)] };

  await watchIndicator(page);
  const t0 = Date.now();
  await runCell(page, 6);
  await sleep(2300);
  const mid = await cellOutputs(page, 6);
  const midState = await indicator(page);
  const midShot = await screenshot(page, "sync-loop-midway");
  await waitIdle(page, 30_000);
  const busy = await page.evaluate(() => (window as unknown as { __busy: [number, string][] }).__busy);
  expect(midState === "busy", `2.3 s into a synchronous loop the indicator says ${midState}`);
  expect(mid.text.includes("sync tick 1"), `2.3 s into a synchronous loop the cell shows: ${JSON.stringify(mid.text)}`);
  report.syncLoop = {
    midway: mid,
    midState,
    indicatorTransitions: busy.map(([t, c]) => [t - t0, c.replace(/.*kernel_(\w+)_icon.*/, "$1")]),
    screenshots: [midShot],
  };
}

async function restart(page: Page): Promise<void> {
  await page.click("#kernellink");
  await page.click("#restart_kernel");
  const dialog = await screenshot(page, "restart-dialog");
  // The indicator is idle before the restart too: wait for the notebook's own "kernel ready" event.
  await page.evaluate(() => {
    const w = window as unknown as { __ready: Promise<number>; Jupyter: { notebook: { events: { one(e: string, f: () => void): void } } } };
    w.__ready = new Promise((r) => w.Jupyter.notebook.events.one("kernel_ready.Kernel", () => r(Date.now())));
  });
  const t0 = Date.now();
  await page.click(".modal-footer button.btn-danger");
  const ready = await page.evaluate(() => (window as unknown as { __ready: Promise<number> }).__ready);
  const t1 = Date.now();
  await runCell(page, 2);
  const firstCellMs = await waitIdle(page, 120_000);
  const after = await cellOutputs(page, 2);
  expect(/Cannot find name/.test(after.text), `after Restart, stepsSeen still answers: ${after.text}`);
  report.restart = { readyMs: ready - t0, firstCellMs, after, screenshots: [dialog, await screenshot(page, "restarted")] };
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Notebook 6 loads ~100 scripts; on a busy 2-core machine a page can take longer than the default 30 s.
  page.setDefaultNavigationTimeout(120_000);
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  try {
    for (const [name, step] of [
      ["tree", tree],
      ["tour", tour],
      ["interrupt", interruptTraining],
      ["cells", everydayCells],
      ["restart", restart],
    ] as const) {
      try {
        await step(page);
      } catch (e) {
        problems.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
        await screenshot(page, `${name}-failed`, true);
      }
    }
  } finally {
    report.consoleErrors = consoleErrors;
    report.problems = problems;
    fs.writeFileSync(path.join(OUT, "report.json"), JSON.stringify(report, null, 2));
    await browser.close();
    await fetch(`${BASE}/api/shutdown?token=${TOKEN}`, { method: "POST" }).catch(() => server.kill());
  }
  console.log(`screenshots and report.json in ${OUT}`);
  for (const p of problems) console.log(`problem: ${p}`);
  process.exitCode = problems.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
