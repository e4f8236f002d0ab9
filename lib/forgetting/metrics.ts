// Continual-learning metrics over an accuracy matrix (spec/analyses.md §2; arXiv 2507.05386).
// a[t][i] = accuracy on task i (columns 1..T) after stage t (rows 0..T; row 0 is the base model).
import { RftlabError } from "../errors";

/** T + 1 rows (base first) by T columns of accuracies in [0, 1], with one name per task (column). */
export interface AccuracyMatrix {
  tasks: string[];
  /** [T + 1][T]: matrix[0] is the base model, matrix[t] the model after training on task t. */
  matrix: number[][];
  /** Optional [T + 1][T] evaluation sample counts n per cell (a = k/n), for confidence intervals. */
  counts?: number[][];
}

export interface TaskForgetting {
  task: string;
  /** a[T][i]: accuracy on the task after the last stage. */
  final: number;
  /** max_{l ∈ 1..T−1} a[l][i] − a[T][i] (Chaudhry et al. 2018); null for the last task and when T = 1. */
  forgetting: number | null;
}

/** The four summary metrics; bwt, fm and fwt are null when T = 1 (undefined, not 0). */
export interface ForgettingMetrics {
  avgAcc: number;
  bwt: number | null;
  fm: number | null;
  fwt: number | null;
}

export interface ForgettingSummary extends ForgettingMetrics {
  tasks: string[];
  T: number;
  perTask: TaskForgetting[];
}

/**
 * Checks shape and values; every message names the row/column, the value and the fix. `source` prefixes
 * messages (a file name, or the calling function). Returns the input unchanged.
 */
export function checkAccuracyMatrix(m: AccuracyMatrix, source = "accuracy matrix"): AccuracyMatrix {
  const fail = (problem: string, fix: string): never => {
    throw new RftlabError(`${source}: ${problem}; ${fix}`);
  };
  if (!Array.isArray(m.tasks) || m.tasks.length === 0)
    fail(`"tasks" must be a non-empty list of task names; got ${JSON.stringify(m.tasks)}`, "name one task per column");
  const T = m.tasks.length;
  const seen = new Map<string, number>();
  m.tasks.forEach((name, i) => {
    if (typeof name !== "string" || name.trim() === "")
      fail(`task name in column ${i + 1} must be a non-empty string; got ${JSON.stringify(name)}`, "name every column");
    if (seen.has(name)) fail(`task "${name}" appears in columns ${seen.get(name)! + 1} and ${i + 1}`, "give every task a distinct name");
    seen.set(name, i);
  });
  if (!Array.isArray(m.matrix))
    fail(`"matrix" must be a list of rows; got ${JSON.stringify(m.matrix)}`, "give T + 1 rows (base model first)");
  if (m.matrix.length !== T + 1) {
    const missingBase = m.matrix.length === T;
    fail(
      `${T} task(s) need ${T + 1} rows (base model, then one per stage); got ${m.matrix.length}`,
      missingBase
        ? "the base row (accuracies before any training, stage 0) is missing: add it first"
        : "give one row for the base model and one after each stage",
    );
  }
  m.matrix.forEach((row, t) => {
    if (!Array.isArray(row))
      fail(`row ${t} (${rowName(t)}) must be a list of ${T} accuracies; got ${JSON.stringify(row)}`, "give one number per task");
    if (row.length !== T)
      fail(`row ${t} (${rowName(t)}) has ${row.length} value(s), expected ${T} (one per task)`, "make every row as long as the task list");
    row.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v))
        fail(
          `row ${t} (${rowName(t)}), column ${i + 1} ("${m.tasks[i]}"): ${typeof v === "number" ? v : JSON.stringify(v)} is not a number`,
          "use accuracies as numbers in [0, 1]",
        );
      if (v < 0 || v > 1)
        fail(
          `row ${t} (${rowName(t)}), column ${i + 1} ("${m.tasks[i]}"): ${v} is outside [0, 1]`,
          "give accuracies as fractions (0.85, not 85)",
        );
    });
  });
  if (m.counts !== undefined) {
    if (!Array.isArray(m.counts) || m.counts.length !== T + 1)
      fail(
        `"counts" must have ${T + 1} rows like "matrix"; got ${Array.isArray(m.counts) ? m.counts.length : JSON.stringify(m.counts)}`,
        "give one sample count per cell, or leave counts out",
      );
    m.counts.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== T)
        fail(`counts row ${t} (${rowName(t)}) must hold ${T} counts; got ${JSON.stringify(row)}`, "give one sample count per cell");
      row.forEach((n, i) => {
        if (!Number.isInteger(n) || n < 1)
          fail(
            `counts row ${t} (${rowName(t)}), column ${i + 1} ("${m.tasks[i]}"): ${JSON.stringify(n)} is not a positive integer`,
            "give the number of evaluated examples behind each accuracy",
          );
      });
    });
  }
  return m;
}

const rowName = (t: number) => (t === 0 ? "base" : `after stage ${t}`);

/** AvgAcc = (1/T) Σ_i a[T][i]. */
export function averageAccuracy(m: AccuracyMatrix): number {
  const last = m.matrix[m.tasks.length];
  return mean(last);
}

/** BWT = (1/(T−1)) Σ_{i<T} (a[T][i] − a[i][i]); < 0 means forgetting. Null when T = 1. */
export function backwardTransfer(m: AccuracyMatrix): number | null {
  const T = m.tasks.length;
  if (T < 2) return null;
  return mean(range(T - 1).map((i) => m.matrix[T][i] - m.matrix[i + 1][i]));
}

/** FM = (1/(T−1)) Σ_{i<T} max_{l ∈ 1..T−1} (a[l][i] − a[T][i]); the base row is not in the max. Null when T = 1. */
export function forgettingMeasure(m: AccuracyMatrix): number | null {
  const f = taskForgetting(m)
    .slice(0, -1)
    .map((x) => x.forgetting as number);
  return f.length === 0 ? null : mean(f);
}

/** FWT = (1/(T−1)) Σ_{i=2..T} (a[i−1][i] − a[0][i]): what earlier stages did for a task before it was trained. Null when T = 1. */
export function forwardTransfer(m: AccuracyMatrix): number | null {
  const T = m.tasks.length;
  if (T < 2) return null;
  return mean(range(T - 1).map((k) => m.matrix[k + 1][k + 1] - m.matrix[0][k + 1]));
}

/** Per task: final accuracy a[T][i] and forgetting max_{l ∈ 1..T−1} a[l][i] − a[T][i] (null for task T). */
export function taskForgetting(m: AccuracyMatrix): TaskForgetting[] {
  const T = m.tasks.length;
  return m.tasks.map((task, i) => {
    const final = m.matrix[T][i];
    if (i === T - 1) return { task, final, forgetting: null };
    let best = -Infinity;
    for (let l = 1; l <= T - 1; l++) best = Math.max(best, m.matrix[l][i]);
    return { task, final, forgetting: best - final };
  });
}

/** AvgAcc, BWT, FM and FWT of one matrix. */
export function forgettingMetrics(m: AccuracyMatrix): ForgettingMetrics {
  return { avgAcc: averageAccuracy(m), bwt: backwardTransfer(m), fm: forgettingMeasure(m), fwt: forwardTransfer(m) };
}

/** Validates the matrix, then everything `rftlab forgetting` prints. */
export function summarizeForgetting(m: AccuracyMatrix): ForgettingSummary {
  checkAccuracyMatrix(m);
  return { tasks: [...m.tasks], T: m.tasks.length, ...forgettingMetrics(m), perTask: taskForgetting(m) };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
