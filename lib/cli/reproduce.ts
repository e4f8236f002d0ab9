import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import os from "node:os";
import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { writeFileAtomic } from "../io";
import { CLAIMS_MIME, type Claim } from "../stats";
import { indexHtml, resultsMarkdown, runMeta } from "./reproduce-report";
import { installKernelspec, KERNEL_NAME } from "./kernelspec";

/** Where the package keeps its curated notebooks and their runner (next to dist/). */
const NOTEBOOKS = path.resolve(__dirname, "..", "..", "..", "notebooks");
const RUNNER = path.join(NOTEBOOKS, "run-notebook.py");

export interface NotebookRun {
  notebook: string;
  status: "ok" | "failed";
  /** 1-based index of the failing cell. */
  cell: number | null;
  ename: string | null;
  evalue: string | null;
  seconds: number;
  /** The kernel's CPU time (user + system), null when the runner could not say. */
  cpuSeconds: number | null;
  executed: string;
  figures: string[];
  /** The claims the notebook displayed (its CLAIMS_MIME outputs), in order. */
  claims: Claim[];
}

/** One row of claims.json. */
export type CollectedClaim = Claim & { notebook: string };

const reproduce: Command = {
  name: "reproduce",
  summary:
    "Execute the curated notebooks through Jupyter with the rftlab kernel; write the executed notebooks, " +
    "every figure as PNG and an HTML index under --out. Exits 1 naming the first failing notebook and cell.",
  positionals: [],
  flags: {
    fast: { type: "boolean", help: "set RFTLAB_FAST=1 in the kernel: notebooks shrink their sizes" },
    only: { type: "string", help: "run the notebooks whose file name matches (substring, or a glob with * ?)" },
    out: { type: "string", help: "output folder", default: path.join("out", "reproduce") },
    dir: { type: "string", help: "folder of notebooks to run", default: NOTEBOOKS },
    timeout: { type: "number", help: "seconds one cell may run", default: 3600, integer: true, min: 1 },
    jobs: {
      type: "number",
      help: "notebooks run at once, each in its own kernel (a kernel computes on one core); default: the CPU count",
      default: os.availableParallelism(),
      integer: true,
      min: 1,
    },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const dir = path.resolve(String(args.flags.dir));
    const out = path.resolve(String(args.flags.out));
    const only = args.flags.only as string | undefined;
    const notebooks = listNotebooks(dir, only);
    const python = process.env.RFTLAB_PYTHON ?? "/usr/bin/python3";

    // A private kernelspec: the run uses exactly this build's kernel, whatever else Jupyter has installed.
    const prefix = path.join(out, "jupyter");
    await installKernelspec({ kind: "prefix", dir: prefix });
    const jupyterPath = [path.join(prefix, "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
    const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
    if (args.flags.fast) env.RFTLAB_FAST = "1";

    const started = Date.now();
    const runs = await mapPool(notebooks, Number(args.flags.jobs), async (file) => {
      const run = await runNotebook(python, file, out, Number(args.flags.timeout), env);
      process.stderr.write(
        `${run.status === "ok" ? "ok    " : "FAILED"} ${run.notebook}  ${run.seconds.toFixed(1)} s  ${run.figures.length} figure(s)\n`,
      );
      return run;
    });
    const claims: CollectedClaim[] = runs.flatMap((r) => r.claims.map((c) => ({ notebook: r.notebook, ...c })));
    await writeFileAtomic(path.join(out, "claims.json"), JSON.stringify(claims, null, 2) + "\n");
    const meta = runMeta({ fast: Boolean(args.flags.fast), jobs: Number(args.flags.jobs), seconds: (Date.now() - started) / 1000 });
    await writeFileAtomic(path.join(out, "index.html"), indexHtml(runs, claims, meta));
    await writeFileAtomic(path.join(out, "RESULTS.md"), resultsMarkdown(runs, claims, meta));

    emit(
      Boolean(args.flags.json),
      { out, runs },
      () =>
        formatTable(
          ["notebook", "status", "seconds", "figures"],
          runs.map((r) => [r.notebook, r.status, r.seconds.toFixed(1), r.figures.length]),
        ) + `\nReport: ${path.join(out, "index.html")}`,
    );
    const failed = runs.find((r) => r.status === "failed");
    if (!failed) return 0;
    process.stderr.write(`rftlab reproduce: ${failed.notebook} failed at cell ${failed.cell ?? "?"}: ${failed.ename}: ${failed.evalue}\n`);
    return 1;
  },
};
export default reproduce;

function listNotebooks(dir: string, only: string | undefined): string[] {
  if (!fs.existsSync(dir)) throw new UsageError(`rftlab reproduce: --dir ${dir} does not exist`);
  const match = only === undefined ? () => true : nameMatcher(only);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && match(f))
    .sort();
  if (files.length === 0) {
    throw new UsageError(`rftlab reproduce: no notebooks in ${dir}${only ? ` match --only "${only}"` : ""}`);
  }
  return files.map((f) => path.join(dir, f));
}

function nameMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name.includes(pattern);
  const re = new RegExp(
    "^" +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
  );
  return (name) => re.test(name);
}

async function runNotebook(python: string, file: string, out: string, timeout: number, env: NodeJS.ProcessEnv): Promise<NotebookRun> {
  const name = path.basename(file);
  const executed = path.join(out, "notebooks", name);
  fs.mkdirSync(path.dirname(executed), { recursive: true });
  const r = await runProcess(python, [RUNNER, file, executed, KERNEL_NAME, String(timeout)], env);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  let result: Pick<NotebookRun, "status" | "cell" | "ename" | "evalue" | "seconds" | "cpuSeconds">;
  try {
    const { cpu_seconds, ...rest } = JSON.parse(last);
    result = { ...rest, cpuSeconds: typeof cpu_seconds === "number" ? cpu_seconds : null };
  } catch {
    const why = (r.error ?? r.stderr).trim().split("\n").slice(-5).join("\n");
    const evalue = `${RUNNER} exited ${r.status}: ${why}`;
    result = { status: "failed", cell: null, ename: "RunnerError", evalue, seconds: 0, cpuSeconds: null };
  }
  const nb = fs.existsSync(executed) ? (JSON.parse(fs.readFileSync(executed, "utf8")) as ExecutedNotebook) : { cells: [] };
  const figures = await extractFigures(nb, executed, path.join(out, "figures"));
  return { notebook: name, ...result, executed, figures, claims: extractClaims(nb) };
}

/** Runs `work` over `items` with at most `jobs` at once; results keep the items' order. */
async function mapPool<T, R>(items: T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

function runProcess(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string; error: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => stdout.push(b));
    child.stderr.on("data", (b: Buffer) => stderr.push(b));
    const text = (bs: Buffer[]) => Buffer.concat(bs).toString("utf8");
    child.on("error", (e) => resolve({ status: null, stdout: text(stdout), stderr: text(stderr), error: e.message }));
    child.on("close", (status) => resolve({ status, stdout: text(stdout), stderr: text(stderr), error: null }));
  });
}

type ExecutedNotebook = { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };

/** The claims of every CLAIMS_MIME output (lib/display claimsTable), in cell order. */
function extractClaims(nb: ExecutedNotebook): Claim[] {
  return nb.cells.flatMap((cell) =>
    (cell.outputs ?? []).flatMap((output) => {
      const data = output.data?.[CLAIMS_MIME];
      if (data === undefined) return [];
      const parsed = (typeof data === "string" ? JSON.parse(data) : data) as { claims?: Claim[] };
      return parsed.claims ?? [];
    }),
  );
}

/** Writes every image/png output as figures/<notebook>-cell<N>-<k>.png; returns the paths. */
async function extractFigures(nb: ExecutedNotebook, executed: string, dir: string): Promise<string[]> {
  const stem = path.basename(executed, ".ipynb");
  const written: string[] = [];
  for (const [i, cell] of nb.cells.entries()) {
    for (const [k, output] of (cell.outputs ?? []).entries()) {
      const png = output.data?.["image/png"];
      if (typeof png !== "string") continue;
      const file = path.join(dir, `${stem}-cell${i + 1}-${k + 1}.png`);
      await writeFileAtomic(file, Buffer.from(png.replace(/\s+/g, ""), "base64"));
      written.push(file);
    }
  }
  return written;
}
