// Accuracy matrices from evaluations run elsewhere: one lm-evaluation-harness results JSON per checkpoint
// ({"results": {"<task>": {"acc,none": 0.61, "acc_stderr,none": …}}, "n-samples": {"<task>": {"effective": n}}}),
// base model first, then the checkpoint after each training stage (spec/analyses.md §2).
import path from "node:path";
import { RftlabError } from "../errors";
import { readJsonFile } from "../io";
import { filesUnder, isDirectory } from "../io/file-kind";
import { type AccuracyMatrix, checkAccuracyMatrix } from "./metrics";

export interface EvalMatrixOptions {
  /** Tasks in training order (column i = the task of stage i + 1). Needed unless the files share exactly one task. */
  tasks?: string[];
  /** Metric as lm-eval names it: "acc" takes "acc,none" (or "acc"); name the filter when there are several ("exact_match,strict-match"). Default "acc". */
  metric?: string;
}

/** A results file name lm-eval writes (results_<timestamp>.json): its digits are no stage number. */
const RESULTS_FILE = /^results[^/]*\.json$/;

/** A step in a path: checkpoint-500 (TRL), global_step_20 (verl), step-3, stage2, iter_10, or a folder/file named by a number. */
const STEP = /(?:checkpoint|global_step|step|stage|iter)[-_]?(\d+)|(?:^|\/)(\d+)(?=\/|$)/gi;

/** The stage number of a results file inside a folder (its last step in the path); none = the base model. */
function stageOf(rel: string): number | undefined {
  const parts = rel.split(path.sep);
  if (RESULTS_FILE.test(parts[parts.length - 1])) parts.pop();
  else parts[parts.length - 1] = parts[parts.length - 1].replace(/\.json$/, "");
  const hits = [...parts.join("/").matchAll(STEP)];
  const last = hits[hits.length - 1];
  return last ? Number(last[1] ?? last[2]) : undefined;
}

/**
 * Results files in stage order. Files are taken in the order given; a folder contributes its .json files ordered by
 * the step in their paths (base = the one without a step), e.g. base/, checkpoint-100/, checkpoint-200/ each holding
 * lm-eval's <model>/results_<timestamp>.json.
 */
export function evalFilesInOrder(inputs: string[]): string[] {
  return inputs.flatMap((input) => {
    if (!isDirectory(input)) return [input];
    const files = filesUnder(input, ".json").map((f) => ({ f, stage: stageOf(path.relative(input, f)) }));
    if (files.length === 0)
      throw new RftlabError(`${input}: no .json results files in this folder; pass lm-eval's output folder or the files in stage order`);
    const bases = files.filter((x) => x.stage === undefined);
    if (bases.length > 1)
      throw new RftlabError(
        `${input}: ${bases.map((x) => x.f).join(", ")} have no step (checkpoint-N, global_step_N, step-N, stage-N, N/) in their paths, so which is the base is unclear; pass the files in stage order (base first)`,
      );
    const byStage = new Map<number, string>();
    for (const { f, stage } of files) {
      if (stage === undefined) continue;
      if (byStage.has(stage))
        throw new RftlabError(
          `${input}: ${byStage.get(stage)} and ${f} are both step ${stage}; keep one results file per checkpoint or pass the files in stage order`,
        );
      byStage.set(stage, f);
    }
    return [...bases.map((x) => x.f), ...[...byStage].sort((a, b) => a[0] - b[0]).map(([, f]) => f)];
  });
}

/** The value of `metric` for one task of one results file (metric "acc" matches "acc" or "acc,<filter>"). */
function metricValue(file: string, task: string, scores: Record<string, unknown>, metric: string): number {
  const keys = Object.keys(scores).filter((k) => k === metric || (!metric.includes(",") && k.startsWith(`${metric},`)));
  const available = Object.keys(scores).filter((k) => typeof scores[k] === "number" && !k.includes("_stderr"));
  if (keys.length !== 1) {
    throw new RftlabError(
      keys.length === 0
        ? `${file}: results.${task} has no "${metric}" (it has ${available.join(", ") || "no numbers"}); pass --metric with one of those`
        : `${file}: results.${task} has several "${metric}" values (${keys.join(", ")}); name one with --metric, e.g. --metric "${keys[0]}"`,
    );
  }
  const v = scores[keys[0]];
  if (typeof v !== "number" || !(v >= 0 && v <= 1))
    throw new RftlabError(
      `${file}: results.${task}["${keys[0]}"] is ${JSON.stringify(v)}, not an accuracy in [0, 1]; pass --metric naming an accuracy`,
    );
  return v;
}

interface ResultsFile {
  file: string;
  results: Record<string, Record<string, unknown>>;
  samples?: Record<string, { effective?: number }>;
}

function readResults(file: string): ResultsFile {
  const j = readJsonFile<Record<string, unknown>>(file, "evaluation results");
  const results = j?.results;
  if (typeof results !== "object" || results === null || Array.isArray(results))
    throw new RftlabError(
      `${file}: no "results" object; pass lm-evaluation-harness results files ({"results": {"<task>": {"acc,none": …}}})`,
    );
  return { file, results: results as ResultsFile["results"], samples: j["n-samples"] as ResultsFile["samples"] };
}

/**
 * The accuracy matrix of results files in stage order (base first): a[t][i] = `metric` of task i in file t, with
 * evaluation counts from "n-samples" when every cell has one. T tasks need T + 1 files.
 */
export function accuracyMatrixFromEvals(files: string[], opts: EvalMatrixOptions = {}): AccuracyMatrix {
  const metric = opts.metric ?? "acc";
  const runs = files.map(readResults);
  const common = Object.keys(runs[0]?.results ?? {}).filter((t) => runs.every((r) => t in r.results));
  const cols: string[] = opts.tasks ?? common;
  if (!opts.tasks) {
    if (common.length !== 1 || runs.length !== 2)
      throw new RftlabError(
        `${runs.length} results file(s) holding tasks ${common.join(", ") || "(none in common)"}: name the tasks in training order, e.g. --tasks ${common.slice(0, Math.max(1, runs.length - 1)).join(",") || "a,b"}`,
      );
  }
  if (runs.length !== cols.length + 1) {
    throw new RftlabError(
      `${cols.length} task(s) (${cols.join(", ")}) need ${cols.length + 1} results files (the base model, then one after each stage); got ${runs.length}: ${files.join(", ")}`,
    );
  }
  for (const r of runs) {
    for (const t of cols) {
      if (!(t in r.results))
        throw new RftlabError(
          `${r.file}: no results for task "${t}" (it has ${Object.keys(r.results).join(", ")}); evaluate every checkpoint on every task`,
        );
    }
  }
  const matrix = runs.map((r) => cols.map((t) => metricValue(r.file, t, r.results[t], metric)));
  const counts = runs.map((r) => cols.map((t) => r.samples?.[t]?.effective));
  const m: AccuracyMatrix = { tasks: [...cols], matrix };
  if (counts.every((row) => row.every((n) => Number.isInteger(n) && (n as number) > 0))) m.counts = counts as number[][];
  return checkAccuracyMatrix(m, files[0]);
}
