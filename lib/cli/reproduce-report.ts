import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { claimCounts, claimsMarkdown, claimsTableBundle } from "../display";
import type { CollectedClaim, NotebookRun } from "./reproduce";

/** What a reader needs to judge a reproduce run: when, where, which code, which mode. */
export interface RunMeta {
  date: string;
  fast: boolean;
  jobs: number;
  seconds: number;
  /** `git rev-parse HEAD` of the package checkout (+ "-dirty" with uncommitted changes); null outside git. */
  commit: string | null;
  machine: string;
  node: string;
}

const PACKAGE_ROOT = path.resolve(__dirname, "..", "..", "..");

export function runMeta(run: { fast: boolean; jobs: number; seconds: number }): RunMeta {
  const cpus = os.cpus();
  const git = (...a: string[]) => spawnSync("git", ["-C", PACKAGE_ROOT, ...a], { encoding: "utf8" });
  const head = git("rev-parse", "HEAD");
  const dirty = git("status", "--porcelain", "--untracked-files=no").stdout?.trim();
  return {
    ...run,
    date: new Date().toISOString(),
    commit: head.status === 0 ? head.stdout.trim() + (dirty ? "-dirty" : "") : null,
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    node: process.versions.node,
  };
}

function metaLine(m: RunMeta): string {
  const mode = m.fast ? "fast mode (RFTLAB_FAST=1)" : "full mode";
  return `${m.date}, ${mode}, commit ${m.commit ?? "unknown"}, ${m.machine}, node ${m.node}, ${m.jobs} notebook(s) at once, ${(m.seconds / 60).toFixed(1)} min wall`;
}

/** The claims report committed as notebooks/RESULTS.md: run facts, notebook times, every claim with its verdict. */
export function resultsMarkdown(runs: NotebookRun[], claims: CollectedClaim[], m: RunMeta): string {
  const cpuTotal = runs.reduce((sum, r) => sum + (r.cpuSeconds ?? 0), 0);
  const notebooks = runs.map((r) => {
    const status = r.status === "ok" ? "ok" : `failed at cell ${r.cell ?? "?"}: ${r.ename}: ${r.evalue}`;
    const own = claims.filter((c) => c.notebook === r.notebook);
    const cpu = r.cpuSeconds === null ? "–" : r.cpuSeconds.toFixed(1);
    return `| ${r.notebook} | ${status.replace(/\|/g, "\\|")} | ${r.seconds.toFixed(1)} | ${cpu} | ${own.length ? claimCounts(own) : "0"} |`;
  });
  return `# rftlab reproduce: ${m.fast ? "fast" : "full"}-mode results

- Date: ${m.date}
- Commit: ${m.commit ?? "unknown (not a git checkout)"}
- Machine: ${m.machine}; node ${m.node}
- Command: \`rftlab reproduce${m.fast ? " --fast" : ""} --jobs ${m.jobs}\` (${m.jobs} notebook(s) at once, each kernel on one core); ${(m.seconds / 60).toFixed(1)} min wall in all, ${(cpuTotal / 60).toFixed(1)} min of kernel CPU

## Notebooks

Wall seconds follow the machine's load; CPU seconds are the kernel's own (user + system).

| notebook | status | wall s | CPU s | claims |
|---|---|---|---|---|
${notebooks.join("\n")}

## Claims: ${claimCounts(claims)}

${claimsMarkdown(claims)}`;
}

export function indexHtml(runs: NotebookRun[], claims: CollectedClaim[], meta: RunMeta): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
  const rel = (p: string) => esc(path.basename(path.dirname(p)) + "/" + path.basename(p));
  const rows = runs.map((r) => {
    const status = r.status === "ok" ? "ok" : `failed at cell ${r.cell ?? "?"}: ${esc(`${r.ename}: ${r.evalue}`)}`;
    const figs = r.figures
      .map((f) => `<a href="${rel(f)}"><img src="${rel(f)}" alt="${esc(path.basename(f))}" height="120"></a>`)
      .join(" ");
    return `<tr class="${r.status}"><td><a href="${rel(r.executed)}">${esc(r.notebook)}</a></td><td>${status}</td><td>${r.seconds.toFixed(1)} s</td><td>${figs}</td></tr>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>rftlab reproduce</title>
<style>body{font-family:sans-serif}td,th{padding:4px 10px;text-align:left;vertical-align:top}tr.failed td{color:#b00}</style></head>
<body><h1>rftlab reproduce</h1>
<p>${esc(metaLine(meta))}</p>
<h2>Claims</h2>
${claims.length ? claimsTableBundle(claims)["text/html"] : "<p>No notebook recorded a claim.</p>"} <p>Also as <a href="claims.json">claims.json</a>.</p>
<h2>Notebooks</h2>
<table><tr><th>notebook</th><th>status</th><th>duration</th><th>figures</th></tr>
${rows.join("\n")}
</table></body></html>
`;
}
