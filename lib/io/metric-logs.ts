// Training logs of other engines as the table rftlab's own runs write (metrics.jsonl: one row per step, spec metric
// names): TRL's trainer_state.json log_history, verl's file logger (JSONL {"step", "data"}) and console lines
// ("step:3 - actor/entropy:0.51 - …"), flat JSONL rows, and W&B CSV exports (run history or a chart panel's export).
import path from "node:path";
import { RftlabError } from "../errors";
import { splitCsvLine } from "./csv";
import { guessLogEngine, type LogEngine, specMetricName } from "./engine-metric-names";
import { parseJsonText } from "./json";
import { readTextFile } from "./text-file";

export type LogFormat = "trainer-state" | "jsonl" | "console" | "wandb-csv";

/** One row per step (and run, for W&B exports of several runs): `step`, then metrics under spec names. */
export type MetricRow = Record<string, number | string>;

export interface MetricLog {
  file: string;
  format: LogFormat;
  engine: LogEngine;
  rows: MetricRow[];
  /** Keys renamed to spec names (original → spec); every other key kept its own name. */
  renamed: Record<string, string>;
}

export interface ReadMetricLogOptions {
  /** Default: from the file name and content. */
  format?: LogFormat;
  /** Whose key names to map; default: guessed from the keys (verl's actor/…, OpenRLHF's actor_lr, else TRL's). */
  engine?: LogEngine;
}

/** Keys that hold the step, by engine and logger (verl's file logger puts it outside the data). */
const STEP_KEYS = ["step", "global_step", "train/global_step", "_step", "Step"];
/** Logger bookkeeping, not metrics. */
const DROP = new Set(["_runtime", "_timestamp", "Wall time"]);

interface RawRow {
  step: number;
  run?: string;
  values: Map<string, number>;
}

function formatOf(file: string, text: string): LogFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv") return "wandb-csv";
  if (ext === ".jsonl") return "jsonl";
  if (ext === ".json") return "trainer-state";
  return text.trimStart().startsWith("{") ? "jsonl" : "console";
}

const numberOf = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function stepOf(o: Record<string, unknown>, where: string): number {
  for (const k of STEP_KEYS) if (numberOf(o[k]) !== undefined) return o[k] as number;
  throw new RftlabError(`${where}: no step (${STEP_KEYS.join(", ")}); log rows need their training step`);
}

function rowOf(o: Record<string, unknown>, where: string): RawRow {
  const values = new Map<string, number>();
  for (const [k, v] of Object.entries(o)) {
    const n = numberOf(v);
    if (n !== undefined && !STEP_KEYS.includes(k) && !DROP.has(k)) values.set(k, n);
  }
  return { step: stepOf(o, where), values };
}

function fromTrainerState(file: string, text: string): RawRow[] {
  const j = parseJsonText(text, file, "trainer_state.json") as { log_history?: unknown };
  if (!Array.isArray(j?.log_history))
    throw new RftlabError(
      `${file}: no "log_history" list; pass the trainer_state.json that transformers/TRL write into checkpoint-<step>/`,
    );
  return j.log_history.map((o, i) => rowOf(o as Record<string, unknown>, `${file} log_history[${i}]`));
}

function fromJsonl(file: string, text: string): RawRow[] {
  const lines = text.split("\n");
  return lines.flatMap((line, i) => {
    if (line.trim() === "") return [];
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      // A torn last line is a run still writing (or killed): read what is complete.
      if (lines.slice(i + 1).every((l) => l.trim() === "")) return [];
      throw new RftlabError(`${file} line ${i + 1} is not JSON (${JSON.stringify(line.slice(0, 40))}); delete or repair that line`);
    }
    // verl's file logger: {"step": n, "data": {...}}.
    const flat = typeof o.data === "object" && o.data !== null && !Array.isArray(o.data) ? { step: o.step, ...(o.data as object) } : o;
    return [rowOf(flat, `${file} line ${i + 1}`)];
  });
}

/** verl's console logger: "step:3 - critic/score/mean:0.5 - …" (numpy scalars may print as np.float64(0.5)). */
const CONSOLE_STEP = /(?:^|\s)step:(\d+) - (.*)$/;
const CONSOLE_VALUE = /^([^:]+):(?:np\.\w+\()?([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf)\)?$/;

function fromConsole(file: string, text: string): RawRow[] {
  const rows = text.split(/\r?\n/).flatMap((line) => {
    const m = CONSOLE_STEP.exec(line);
    if (!m) return [];
    const values = new Map<string, number>();
    for (const part of m[2].split(" - ")) {
      const kv = CONSOLE_VALUE.exec(part.trim());
      if (kv && Number.isFinite(Number(kv[2]))) values.set(kv[1], Number(kv[2]));
    }
    return [{ step: Number(m[1]), values }];
  });
  if (rows.length === 0)
    throw new RftlabError(
      `${file}: no metric lines ("step:N - key:value - …", verl's console logger); pass a log with them, a .jsonl or a W&B .csv`,
    );
  return rows;
}

/** W&B CSV: a run's history (_step, keys…) or a chart panel's export ("Step", "<run> - <key>", "<run> - <key>__MIN"…). */
function fromWandbCsv(file: string, text: string): RawRow[] {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new RftlabError(`${file}: empty CSV; export the run's history or a chart from W&B`);
  const header = splitCsvLine(lines[0], file, 1).map((h) => h.trim());
  const stepCol = header.indexOf(STEP_KEYS.find((k) => header.includes(k)) ?? "");
  if (stepCol < 0)
    throw new RftlabError(`${file}: no step column (${STEP_KEYS.join(", ")}) in the header; export with the step as the x axis`);
  const cols = header.map((h) => {
    if (STEP_KEYS.includes(h) || DROP.has(h) || /__(MIN|MAX)$/.test(h)) return undefined;
    const panel = / - /.exec(h) ? h.split(" - ") : undefined;
    return panel ? { run: panel[0], key: panel.slice(1).join(" - ") } : { run: undefined, key: h };
  });
  return lines.slice(1).flatMap((line, li) => {
    const cells = splitCsvLine(line, file, li + 2);
    const step = Number(cells[stepCol]);
    if (cells[stepCol]?.trim() === "" || !Number.isFinite(step))
      throw new RftlabError(`${file}: line ${li + 2} has step "${cells[stepCol]}", not a number; export with the step as the x axis`);
    const byRun = new Map<string | undefined, RawRow>();
    cols.forEach((c, i) => {
      const v = cells[i]?.trim();
      if (!c || !v || !Number.isFinite(Number(v))) return;
      const row = byRun.get(c.run) ?? { step, run: c.run, values: new Map() };
      row.values.set(c.key, Number(v));
      byRun.set(c.run, row);
    });
    return [...byRun.values()];
  });
}

const READERS: Record<LogFormat, (file: string, text: string) => RawRow[]> = {
  "trainer-state": fromTrainerState,
  jsonl: fromJsonl,
  console: fromConsole,
  "wandb-csv": fromWandbCsv,
};

/**
 * Reads a training log into rows like rftlab's metrics.jsonl: one per step (and run), sorted, entries of one step
 * merged (TRL logs train and eval entries separately), W&B's train/ prefix dropped, keys mapped to spec names.
 */
export function readMetricLog(file: string, opts: ReadMetricLogOptions = {}): MetricLog {
  const text = readTextFile(file, "training log");
  const format = opts.format ?? formatOf(file, text);
  const raw = READERS[format](file, text);
  // transformers' W&B callback and OpenRLHF's loggers prefix training metrics with "train/".
  const bare = (k: string) => (k.startsWith("train/") ? k.slice("train/".length) : k);
  const keys = new Set(raw.flatMap((r) => [...r.values.keys()].map(bare)));
  const engine = opts.engine ?? (format === "trainer-state" ? "trl" : guessLogEngine(keys));
  const renamed: Record<string, string> = {};
  const merged = new Map<string, MetricRow>();
  for (const r of raw) {
    const id = `${r.run ?? ""}\u0000${r.step}`;
    const row = merged.get(id) ?? (r.run === undefined ? { step: r.step } : { step: r.step, run: r.run });
    const own = new Set([...r.values.keys()].map(bare));
    for (const [k, v] of r.values) {
      const spec = specMetricName(engine, bare(k));
      // When an entry also logs the spec name itself, that one keeps it and this key stays under its own name.
      const name = spec !== bare(k) && own.has(spec) ? bare(k) : spec;
      if (name !== k) renamed[k] = name;
      row[name] = v;
    }
    merged.set(id, row);
  }
  const rows = [...merged.values()].sort((a, b) => (a.step as number) - (b.step as number) || String(a.run).localeCompare(String(b.run)));
  return { file, format, engine, rows, renamed };
}
