import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { findMetricLog, readMetricLog, type MetricRow } from "../io";

/** Six significant digits, without trailing zeros; "-" where a step did not log the metric. */
const fmt = (v: number | string | undefined) => (v === undefined ? "-" : typeof v === "number" ? String(Number(v.toPrecision(6))) : v);

const logs: Command = {
  name: "logs",
  summary:
    "The metric table of a training log (TRL trainer_state.json, verl/OpenRLHF JSONL or console lines, W&B CSV, rftlab's metrics.jsonl), " +
    "one row per step with the spec's metric names; <run> is the log file or a run folder holding one.",
  positionals: ["run"],
  flags: {
    metrics: { type: "string", help: "columns to show, comma-separated spec names (default: every metric the log has)" },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const log = readMetricLog(findMetricLog(args.positionals[0]));
    const own = [...new Set(log.rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== "step" && k !== "run");
    const asked = (args.flags.metrics as string | undefined)
      ?.split(",")
      .map((m) => m.trim())
      .filter(Boolean);
    const unknown = asked?.filter((m) => !own.includes(m)) ?? [];
    if (unknown.length)
      throw new UsageError(`rftlab logs: ${log.file} has no metric ${unknown.join(", ")}; it has ${own.join(", ") || "none"}`);
    const metrics = asked ?? own;
    const hasRun = log.rows.some((r) => r.run !== undefined);
    const keys = ["step", ...(hasRun ? ["run"] : []), ...metrics];
    const rows = log.rows.map((r) => Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]])) as MetricRow);
    const renamed = Object.entries(log.renamed);
    emit(
      Boolean(args.flags.json),
      { file: log.file, format: log.format, engine: log.engine, renamed: log.renamed, metrics, rows },
      () =>
        formatTable(
          keys,
          rows.map((r) => keys.map((k) => fmt(r[k]))),
        ) +
        `\n${rows.length} steps from ${log.file} (${log.format}, ${log.engine} names)` +
        (renamed.length ? `; renamed to spec names: ${renamed.map(([a, b]) => `${a} → ${b}`).join(", ")}` : ""),
    );
  },
};
export default logs;
