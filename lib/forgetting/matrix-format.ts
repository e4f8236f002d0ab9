// Accuracy matrices as text: JSON {"tasks": [...], "matrix": [[base row], [after stage 1], ...]} and CSV with
// header `stage,<task 1>,…,<task T>` and the base row first. Matrices produced by other frameworks read the same.
import { RftlabError, closestName } from "../errors";
import { type AccuracyMatrix, checkAccuracyMatrix } from "./metrics";
import { splitCsvLine } from "../io/csv";

const JSON_KEYS = ["tasks", "matrix", "counts"];

/** Validates a parsed JSON value as an accuracy matrix; `source` (the file) prefixes errors. */
export function accuracyMatrixFromJson(value: unknown, source: string): AccuracyMatrix {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RftlabError(
      `${source}: expected an object {"tasks": [...], "matrix": [[...], ...]}; got ${Array.isArray(value) ? "a list" : JSON.stringify(value)}; wrap the rows as {"tasks": [names], "matrix": rows}`,
    );
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!JSON_KEYS.includes(k))
      throw new RftlabError(
        `${source}: unknown key "${k}" (did you mean "${closestName(k, JSON_KEYS)}"?); keys are ${JSON_KEYS.join(", ")}`,
      );
  }
  for (const k of ["tasks", "matrix"]) {
    if (!(k in o))
      throw new RftlabError(`${source}: missing key "${k}"; give {"tasks": [names], "matrix": [[base row], [after stage 1], ...]}`);
  }
  const m: AccuracyMatrix = { tasks: o.tasks as string[], matrix: o.matrix as number[][] };
  if (o.counts !== undefined) m.counts = o.counts as number[][];
  return checkAccuracyMatrix(m, source);
}

/** The JSON text of a matrix (rows on their own lines). */
export function accuracyMatrixToJson(m: AccuracyMatrix): string {
  const rows = (x: number[][]) => "[\n" + x.map((r) => "    " + JSON.stringify(r)).join(",\n") + "\n  ]";
  const parts = [`  "tasks": ${JSON.stringify(m.tasks)}`, `  "matrix": ${rows(m.matrix)}`];
  if (m.counts) parts.push(`  "counts": ${rows(m.counts)}`);
  return "{\n" + parts.join(",\n") + "\n}\n";
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses CSV text (header `stage,<tasks…>`, first row = base); `source` prefixes errors. */
export function accuracyMatrixFromCsv(text: string, source: string): AccuracyMatrix {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, cells: splitCsvLine(l, source, i + 1) }))
    .filter((l) => !(l.cells.length === 1 && l.cells[0].trim() === ""));
  if (lines.length === 0)
    throw new RftlabError(`${source}: empty file; give a header "stage,<task 1>,…,<task T>" then the base row and one row per stage`);
  const [header, ...rows] = lines;
  if (header.cells[0].trim().toLowerCase() !== "stage") {
    throw new RftlabError(
      `${source}: line 1 must be the header "stage,<task 1>,…,<task T>"; got first column "${header.cells[0]}"; add the header line`,
    );
  }
  const tasks = header.cells.slice(1).map((c) => c.trim());
  const matrix = rows.map(({ line, cells }, t) => {
    if (cells.length !== tasks.length + 1) {
      throw new RftlabError(
        `${source}: line ${line} (row ${t}) has ${cells.length - 1} value(s) after the stage column, expected ${tasks.length} (one per task in the header); make every row as long as the header`,
      );
    }
    return cells.slice(1).map((c, i) => {
      const s = c.trim();
      if (!NUMBER.test(s)) {
        throw new RftlabError(
          `${source}: line ${line} (row ${t}), column ${i + 2} ("${tasks[i]}"): "${s}" is not a number; use accuracies as numbers in [0, 1] (0.85, not 85%)`,
        );
      }
      return Number(s);
    });
  });
  return checkAccuracyMatrix({ tasks, matrix }, source);
}

/** CSV text: header `stage,<tasks…>`, rows labelled base, 1, …, T. Sample counts are JSON only. */
export function accuracyMatrixToCsv(m: AccuracyMatrix): string {
  const header = ["stage", ...m.tasks].map(quoteCsv).join(",");
  return [header, ...m.matrix.map((row, t) => [t === 0 ? "base" : String(t), ...row.map(String)].join(","))].join("\n") + "\n";
}

const quoteCsv = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
