import type { Command } from "./command";
import { emit, formatTable } from "./command";
import { readAccuracyMatrix, summarizeForgetting, type AccuracyMatrix, type ForgettingSummary } from "../forgetting";

const fmt = (x: number | null) => (x === null ? "-" : x.toFixed(4));

/** The matrix, the per-task table and the metric line (rftlab forgetting, and the end of rftlab continual). */
export function formatForgetting(m: AccuracyMatrix, s: ForgettingSummary): string {
  return (
    formatTable(
      ["stage", ...s.tasks],
      m.matrix.map((row, t) => [t === 0 ? "base" : String(t), ...row.map((v) => v.toFixed(4))]),
    ) +
    "\n\n" +
    formatTable(
      ["task", "final", "forgetting"],
      s.perTask.map((p) => [p.task, fmt(p.final), fmt(p.forgetting)]),
    ) +
    `\n\nT ${s.T}  AvgAcc ${fmt(s.avgAcc)}  BWT ${fmt(s.bwt)}  FM ${fmt(s.fm)}  FWT ${fmt(s.fwt)}` +
    (s.T === 1 ? "  (BWT, FM, FWT need T ≥ 2)" : "  (BWT < 0: forgetting)")
  );
}

const forgetting: Command = {
  name: "forgetting",
  summary: "AvgAcc, BWT, FM, FWT and per-task forgetting of an accuracy matrix (.json or .csv, base row first; spec/analyses.md §2).",
  positionals: ["matrix"],
  flags: { json: { type: "boolean", help: "print JSON" } },
  async run(args) {
    const m = readAccuracyMatrix(args.positionals[0]);
    const s = summarizeForgetting(m);
    emit(Boolean(args.flags.json), s, () => formatForgetting(m, s));
  },
};
export default forgetting;
