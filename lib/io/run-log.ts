// Which file of a run folder holds its training log, for readMetricLog (metric-logs.ts) and `rftlab logs`.
import path from "node:path";
import { RftlabError } from "../errors";
import { isDir, isFile, listDir, stepOf } from "./run-layout-steps";

const LOG_FILE = /\.(jsonl|csv|log)$/i;

/**
 * The training log of `dir`, first found of: rftlab's metrics.jsonl; TRL's trainer_state.json in the run folder,
 * else the newest checkpoint's (its log_history covers every earlier step); else the one .jsonl, .csv or .log file
 * in the folder (verl's file logger, a console log, a W&B export). A file is returned as it is.
 */
export function findMetricLog(dir: string): string {
  const root = path.resolve(dir);
  if (isFile(root)) return root;
  if (!isDir(root)) throw new RftlabError(`${root}: no such file or folder; pass a run folder or a log file`);
  for (const name of ["metrics.jsonl", "trainer_state.json"]) if (isFile(path.join(root, name))) return path.join(root, name);
  // Checkpoints whose weights are partial or deleted still hold a complete log: look for the files, not the layout.
  const states = listDir(root)
    .map((e) => ({ step: stepOf(e, /^checkpoint-(\d+)$/), file: path.join(root, e, "trainer_state.json") }))
    .filter((s) => s.step !== undefined && isFile(s.file))
    .sort((a, b) => a.step! - b.step!);
  if (states.length) return states[states.length - 1].file;
  const logs = listDir(root).filter((f) => LOG_FILE.test(f) && isFile(path.join(root, f)));
  if (logs.length === 1) return path.join(root, logs[0]);
  throw new RftlabError(
    logs.length
      ? `${root} holds several logs (${logs.join(", ")}); pass the one to read`
      : `${root} holds no training log (metrics.jsonl, trainer_state.json, or a .jsonl/.csv/.log file); pass the log file (verl's file logger JSONL, a console log, a W&B CSV export)`,
  );
}
