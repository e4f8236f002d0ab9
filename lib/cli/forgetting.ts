import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import {
  accuracyMatrixFromEvals,
  evalFilesInOrder,
  readAccuracyMatrix,
  summarizeForgetting,
  writeAccuracyMatrix,
  type AccuracyMatrix,
  type ForgettingSummary,
} from "../forgetting";

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
  summary:
    "AvgAcc, BWT, FM, FWT and per-task forgetting of an accuracy matrix (.json or .csv, base row first; spec/analyses.md §2), " +
    "or of one assembled from lm-evaluation-harness results files (--from-evals: files in stage order, base first, or folders of them).",
  positionals: ["matrix..."],
  flags: {
    json: { type: "boolean", help: "print JSON" },
    "from-evals": { type: "boolean", help: "the arguments are lm-eval results files/folders, one per checkpoint (base first)" },
    tasks: { type: "string", help: "with --from-evals: tasks in training order, comma-separated" },
    metric: { type: "string", help: 'with --from-evals: lm-eval metric ("acc" takes "acc,none")', default: "acc" },
    out: { type: "string", help: "with --from-evals: also write the assembled matrix (.json or .csv)" },
  },
  async run(args) {
    const inputs = args.positionals;
    let m: AccuracyMatrix;
    if (args.flags["from-evals"]) {
      if (inputs.length === 0) throw new UsageError("rftlab forgetting: --from-evals needs results files or folders (base model first)");
      const tasks = (args.flags.tasks as string | undefined)?.split(",").map((t) => t.trim());
      m = accuracyMatrixFromEvals(evalFilesInOrder(inputs), { tasks, metric: args.flags.metric as string });
      if (args.flags.out) await writeAccuracyMatrix(args.flags.out as string, m);
    } else {
      for (const f of ["tasks", "out"])
        if (args.flags[f] !== undefined) throw new UsageError(`rftlab forgetting: --${f} goes with --from-evals`);
      if (inputs.length !== 1)
        throw new UsageError(
          `rftlab forgetting: pass one accuracy matrix (.json or .csv), or --from-evals with results files; got ${inputs.length} arguments`,
        );
      m = readAccuracyMatrix(inputs[0]);
    }
    const s = summarizeForgetting(m);
    emit(Boolean(args.flags.json), s, () => formatForgetting(m, s));
  },
};
export default forgetting;
