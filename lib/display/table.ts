/**
 * Tables as notebook output: an HTML table (head and tail rows, "… N more rows") with a text fallback.
 * Works for row arrays, arquero tables and danfo DataFrames/Series; `installTableDisplay()` makes the
 * latter two display themselves in the kernel.
 */
import path from "node:path";
import { RftlabError } from "../errors";
import { escapeHtml } from "./html";
import { JUPYTER_DISPLAY, type MimeBundle } from "./sink";
import { type TableInput, tabularView, type TabularView } from "./tabular";

export interface TableDisplayOptions {
  /** Rows shown at most: the first ⌈n/2⌉ and the last ⌊n/2⌋. Default 20. */
  maxRows?: number;
  /** Significant digits of non-integer numbers. Default 4. */
  digits?: number;
  /** Characters shown of a long cell. Default 80. */
  maxCellChars?: number;
  /** Caption; default "Table: C cols x R rows". */
  title?: string;
}

function resolve(opts: TableDisplayOptions): Required<Omit<TableDisplayOptions, "title">> {
  const r = { maxRows: opts.maxRows ?? 20, digits: opts.digits ?? 4, maxCellChars: opts.maxCellChars ?? 80 };
  if (!(Number.isInteger(r.maxRows) && r.maxRows >= 1))
    throw new RftlabError(`tableBundle: maxRows must be an integer ≥ 1; got ${r.maxRows}`);
  if (!(Number.isInteger(r.digits) && r.digits >= 1 && r.digits <= 17))
    throw new RftlabError(`tableBundle: digits must be an integer in 1..17; got ${r.digits}`);
  return r;
}

/** One cell as text: integers as is, other numbers to `digits` significant digits (never dropping integer digits). */
export function formatCell(v: unknown, digits = 4, maxChars = 80): string {
  let s: string;
  if (v === undefined) s = "";
  else if (v === null) s = "null";
  else if (typeof v === "number") {
    const a = Math.abs(v);
    if (Number.isInteger(v) || !Number.isFinite(v)) s = String(v);
    else if (a >= 1e15 || a < 1e-4) s = v.toExponential(digits - 1);
    else s = String(Number(v.toPrecision(Math.max(digits, Math.floor(Math.log10(a)) + 1))));
  } else if (typeof v === "string") s = v;
  else if (v instanceof Date) s = v.toISOString();
  else if (ArrayBuffer.isView(v)) s = JSON.stringify(Array.from(v as unknown as ArrayLike<number>));
  else if (typeof v === "object") s = safeJson(v);
  else s = String(v);
  return s.length > maxChars ? s.slice(0, maxChars - 1) + "…" : s;
}

function safeJson(v: object): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Row numbers shown: head and tail around a gap of `hidden` rows. */
function shownRows(n: number, max: number): { head: number[]; tail: number[]; hidden: number } {
  if (n <= max) return { head: range(0, n), tail: [], hidden: 0 };
  const h = Math.ceil(max / 2);
  return { head: range(0, h), tail: range(n - (max - h), n), hidden: n - max };
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
}

function isNumeric(view: TabularView, rows: number[], col: number): boolean {
  let any = false;
  for (const r of rows) {
    const v = view.get(r, col);
    if (v === null || v === undefined) continue;
    if (typeof v !== "number" && typeof v !== "bigint") return false;
    any = true;
  }
  return any;
}

/** Text and HTML of a table: rows, an arquero table or a danfo DataFrame. */
export function tableBundle(data: TableInput, opts: TableDisplayOptions = {}): MimeBundle {
  const o = resolve(opts);
  const view = tabularView(data, "tableBundle(data)");
  const { head, tail, hidden } = shownRows(view.numRows, o.maxRows);
  const shown = [...head, ...tail];
  const caption = opts.title ?? `Table: ${view.columns.length} cols x ${view.numRows} rows`;
  const hasIndex = view.index !== undefined;
  const headers = [...(hasIndex ? [""] : []), ...view.columns];
  const numeric = [...(hasIndex ? [false] : []), ...view.columns.map((_, j) => isNumeric(view, shown, j))];
  const cells = (r: number) => [
    ...(hasIndex ? [formatCell(view.index!(r), o.digits, o.maxCellChars)] : []),
    ...view.columns.map((_, j) => formatCell(view.get(r, j), o.digits, o.maxCellChars)),
  ];
  const headRows = head.map(cells);
  const tailRows = tail.map(cells);
  const more = `… ${hidden} more row${hidden === 1 ? "" : "s"}`;

  // text/plain: padded columns, numbers right-aligned.
  const widths = headers.map((h, j) => Math.max(h.length, ...[...headRows, ...tailRows].map((c) => c[j].length)));
  const line = (c: string[]) =>
    c
      .map((s, j) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j])))
      .join("  ")
      .trimEnd();
  const text = [caption, line(headers), ...headRows.map(line), ...(hidden ? [more] : []), ...tailRows.map(line)].join("\n");

  // text/html: escaped, with the numeric columns right-aligned.
  const td = (tag: string, s: string, j: number) =>
    `<${tag} style="text-align:${numeric[j] ? "right" : "left"};padding:2px 8px">${escapeHtml(s)}</${tag}>`;
  const tr = (c: string[], tag = "td") => `<tr>${c.map((s, j) => td(tag, s, j)).join("")}</tr>`;
  const gap = hidden
    ? `<tr><td colspan="${headers.length}" style="text-align:center;color:#777;padding:2px 8px">${escapeHtml(more)}</td></tr>`
    : "";
  const html =
    `<table class="rftlab-table" style="border-collapse:collapse;font-variant-numeric:tabular-nums">` +
    `<caption style="text-align:left;color:#555;caption-side:top">${escapeHtml(caption)}</caption>` +
    `<thead style="border-bottom:1px solid #999">${tr(headers, "th")}</thead>` +
    `<tbody>${headRows.map((c) => tr(c)).join("")}${gap}${tailRows.map((c) => tr(c)).join("")}</tbody></table>`;
  return { "text/html": html, "text/plain": text };
}

function addDisplay(proto: object | undefined): void {
  if (!proto || Object.hasOwn(proto, JUPYTER_DISPLAY)) return;
  Object.defineProperty(proto, JUPYTER_DISPLAY, {
    value: function (this: TableInput): MimeBundle {
      return tableBundle(this);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

function protoOf(mod: Record<string, unknown> | undefined, name: string): object | undefined {
  const cls = mod?.[name];
  return typeof cls === "function" ? (cls.prototype as object) : undefined;
}

/**
 * Makes arquero tables and danfo DataFrames/Series display as HTML tables in notebooks. Idempotent and cheap.
 * danfo is patched only once it has been loaded (loading it costs ~1.3 s): pass the module (`{danfo: dfd}`)
 * or call again after importing it; the kernel may call this after each cell.
 */
export function installTableDisplay(modules: { arquero?: unknown; danfo?: unknown } = {}): void {
  let arquero = modules.arquero as Record<string, unknown> | undefined;
  if (!arquero) {
    try {
      arquero = require("arquero") as Record<string, unknown>;
    } catch {
      arquero = undefined; // arquero not installed: nothing to patch
    }
  }
  addDisplay(protoOf(arquero, "ColumnTable"));
  const given = modules.danfo as Record<string, unknown> | undefined;
  for (const danfo of given ? [given] : [...loadedCopies("danfojs-node"), ...loadedCopies("danfojs")]) {
    addDisplay(protoOf(danfo, "DataFrame"));
    addDisplay(protoOf(danfo, "Series"));
  }
}

/**
 * The entry modules of every loaded copy of package `name` (those exporting a DataFrame class). A notebook
 * resolves its imports from its own folder, so its danfo is often another copy than the one beside rftlab.
 */
function loadedCopies(name: string): Record<string, unknown>[] {
  const dir = `${path.sep}node_modules${path.sep}${name}${path.sep}`;
  const copies = new Set<Record<string, unknown>>();
  for (const m of Object.values(require.cache)) {
    const exports = m?.exports as Record<string, unknown> | undefined;
    if (m?.filename.includes(dir) && typeof exports?.DataFrame === "function") copies.add(exports);
  }
  return [...copies];
}
