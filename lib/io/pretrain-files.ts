import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "./atomic";

/** True when `out` holds a finished pretraining output: weights present and no run/ folder in progress. */
export function isFinishedModelFolder(out: string): boolean {
  return fs.existsSync(path.join(out, "model.safetensors")) && !fs.existsSync(path.join(out, "run"));
}

/**
 * Ends a run inside a model folder: copies run/metrics.jsonl to out/metrics.jsonl (atomically), then removes
 * run/ — renamed away first, so a kill midway never leaves a half-deleted run folder that looks resumable.
 */
export async function finishRunFolder(out: string): Promise<void> {
  await writeFileAtomic(path.join(out, "metrics.jsonl"), await fs.promises.readFile(path.join(out, "run", "metrics.jsonl")));
  const gone = path.join(out, `.run.${process.pid}.tmp`);
  await fs.promises.rename(path.join(out, "run"), gone);
  await fs.promises.rm(gone, { recursive: true, force: true });
}
