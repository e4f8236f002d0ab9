import { RftlabError } from "../errors";

/** One record of a table: arquero's `table.objects()` rows, JSON lines of metrics, … */
export type Row = Record<string, unknown>;

/** What the figure and table helpers accept: row objects, an arquero table or a danfo DataFrame/Series. */
export type TableInput = readonly Row[] | ArqueroLike | DanfoLike;

interface ArqueroLike {
  numRows(): number;
  columnNames(): string[];
  get(name: string, row?: number): unknown;
}
interface DanfoLike {
  columns: string[];
  values: unknown[];
  index: unknown[];
  shape: number[];
}

/** A read-only view of a table without materialising every row (tables may hold millions). */
export interface TabularView {
  columns: string[];
  numRows: number;
  /** Row labels (danfo's index); absent for plain rows and arquero tables. */
  index?: (row: number) => unknown;
  get(row: number, column: number): unknown;
}

function isArquero(x: unknown): x is ArqueroLike {
  const t = x as Partial<ArqueroLike>;
  return typeof t?.numRows === "function" && typeof t.columnNames === "function" && typeof t.get === "function";
}

function isDanfo(x: unknown): x is DanfoLike {
  const d = x as Partial<DanfoLike>;
  return Array.isArray(d?.columns) && Array.isArray(d.values) && Array.isArray(d.index) && Array.isArray(d.shape);
}

/** Views rows, an arquero table or a danfo DataFrame/Series as columns × rows; `what` names the argument in errors. */
export function tabularView(data: unknown, what: string): TabularView {
  if (Array.isArray(data)) {
    const rows = data as Row[];
    const columns: string[] = [];
    const seen = new Set<string>();
    for (const [i, r] of rows.entries()) {
      if (r === null || typeof r !== "object" || Array.isArray(r)) {
        throw new RftlabError(`${what}: row ${i} is ${r === null ? "null" : typeof r}, expected an object such as {step: 1, reward: 0.5}`);
      }
      for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k);
    }
    return { columns, numRows: rows.length, get: (row, col) => rows[row][columns[col]] };
  }
  if (isArquero(data)) {
    const columns = data.columnNames();
    return { columns, numRows: data.numRows(), get: (row, col) => data.get(columns[col], row) };
  }
  if (isDanfo(data)) {
    const columns = data.columns;
    // A Series keeps a flat value array; a DataFrame one array per row.
    const flat = data.shape.length === 2 && data.shape[1] === 1 && !Array.isArray(data.values[0]);
    return {
      columns,
      numRows: data.index.length,
      index: (row) => data.index[row],
      get: (row, col) => (flat ? data.values[row] : (data.values[row] as unknown[])[col]),
    };
  }
  throw new RftlabError(`${what}: expected an array of row objects, an arquero table or a danfo DataFrame; got ${describe(data)}`);
}

function describe(x: unknown): string {
  if (x === null || typeof x !== "object") return String(x);
  return x.constructor?.name ?? "object";
}

/** All rows of a table input as objects (figures need every point). */
export function toRows(data: TableInput, what: string): Row[] {
  const view = tabularView(data, what);
  if (Array.isArray(data)) return data as Row[];
  const rows: Row[] = [];
  for (let r = 0; r < view.numRows; r++) {
    const row: Row = {};
    view.columns.forEach((c, j) => (row[c] = view.get(r, j)));
    rows.push(row);
  }
  return rows;
}

/** Checks that every named column exists, naming the missing one, the argument and the columns there are. */
export function requireColumns(rows: readonly Row[], names: (string | undefined)[], what: string): void {
  if (rows.length === 0) return;
  const present = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) present.add(k);
  for (const name of names) {
    if (name !== undefined && !present.has(name)) {
      throw new RftlabError(`${what}: no column "${name}" in the data; columns are ${[...present].map((c) => `"${c}"`).join(", ")}`);
    }
  }
}

/** Distinct values of a column in order of first appearance (series and category order). */
export function distinct(rows: readonly Row[], column: string): unknown[] {
  const seen = new Set<unknown>();
  for (const r of rows) seen.add(r[column]);
  return [...seen];
}
