// Result lines of tests/mutation/run.ts: one JSON line per judged mutant, appended as soon as it is judged, so a
// killed run resumes where it stopped. A line counts only while the compiled file it mutated is unchanged
// (its hash); the newest line for a mutant wins (a survivor rechecked after a new test).
import fs from "node:fs";
import path from "node:path";

export type Status = "killed" | "survived" | "uncovered" | "invalid";

export interface Result {
  id: string;
  /** Hash of the unmutated compiled file. */
  hash: string;
  module: string;
  file: string;
  line: number;
  op: string;
  from: string;
  to: string;
  /** The mutated line, trimmed. */
  code: string;
  status: Status;
  /** The failing test ("(timed out)" for a timeout), for killed mutants. */
  by?: string;
  ms: number;
  date: string;
}

/** The newest line per mutant id; a torn last line (the run killed mid-write) is ignored. */
export function readResults(file: string): Map<string, Result> {
  const out = new Map<string, Result>();
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let r: Result;
    try {
      r = JSON.parse(line) as Result;
    } catch {
      continue;
    }
    out.set(r.id, r);
  }
  return out;
}

export function appendResult(file: string, r: Result): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A torn line left by a killed run must not swallow this one.
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  fs.appendFileSync(file, `${text && !text.endsWith("\n") ? "\n" : ""}${JSON.stringify(r)}\n`);
}

export interface Score {
  total: number;
  killed: number;
  equivalent: number;
  survivors: Result[];
}

/** Killed, equivalent and surviving mutants among the valid ones; equivalent maps ids to the reason. */
export function score(results: Iterable<Result>, equivalent: Map<string, string>): Score {
  const valid = [...results].filter((r) => r.status !== "invalid");
  const eq = valid.filter((r) => r.status !== "killed" && equivalent.has(r.id));
  return {
    total: valid.length,
    killed: valid.filter((r) => r.status === "killed").length,
    equivalent: eq.length,
    survivors: valid.filter((r) => r.status !== "killed" && !equivalent.has(r.id)),
  };
}
