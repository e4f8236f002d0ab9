// A training run folder read as a series of checkpoints with step numbers, for the layouts TRL/transformers,
// verl, OpenRLHF and plain folders of HF checkpoints write (environment.md, "Run layouts"). Nothing here
// opens a weight file: the layout is read from names, index files and small JSON files, and whatever
// cannot be used becomes a one-line RunProblem instead of an exception.
import path from "node:path";
import { CheckpointError } from "./checkpoint-error";
import { locateCheckpoint } from "./checkpoint-path";
import { readJsonFile } from "./json";
import type { RunCheckpoint, RunEngine, RunLayout, RunLayoutOptions } from "./run-layout-types";
import { hasWeightFiles, isDir, isFile, listDir, openRlhfSteps, plainSteps, ProblemList, trlSteps, verlSteps } from "./run-layout-steps";

/** `dir` when its weights can be located (index and every shard present), else undefined with a problem. */
function weightsIn(dir: string, step: number, problems: ProblemList): string | undefined {
  if (!hasWeightFiles(dir)) return undefined;
  try {
    locateCheckpoint(dir);
    return dir;
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    problems.add(dir, `step ${step} skipped: ${e.message}`, step);
    return undefined;
  }
}

/** `dir` when it holds a PEFT adapter in safetensors, else undefined (with a problem when the adapter is unusable). */
function adapterIn(dir: string, step: number, problems: ProblemList): string | undefined {
  if (!isFile(path.join(dir, "adapter_config.json"))) return undefined;
  if (isFile(path.join(dir, "adapter_model.safetensors"))) return dir;
  const pickle = isFile(path.join(dir, "adapter_model.bin"));
  problems.add(
    dir,
    pickle
      ? `step ${step}: the adapter is adapter_model.bin, a PyTorch pickle that rftlab does not unpickle; save it again with PEFT's save_pretrained(dir, safe_serialization=True)`
      : `step ${step}: adapter_config.json without adapter_model.safetensors (still being written, or copied in part); copy the adapter's weights too`,
    step,
  );
  return undefined;
}

function detectEngine(root: string, entries: string[]): RunEngine {
  const dirs = entries.filter((e) => isDir(path.join(root, e)));
  if (dirs.some((e) => /^(tmp-)?checkpoint-\d+$/.test(e))) return "trl";
  if (dirs.some((e) => /^global_step_\d+$/.test(e)) || entries.includes("latest_checkpointed_iteration.txt")) return "verl";
  if (dirs.some((e) => /^global_step\d+(_hf)?$/.test(e) || e === "_actor")) return "openrlhf";
  return "plain";
}

/** Steps saved every d (the smallest spacing) whose folders are absent: deleted, or not saved yet. */
function reportGaps(root: string, steps: number[], problems: ProblemList): void {
  if (steps.length < 3) return;
  const diffs = steps.slice(1).map((s, i) => s - steps[i]);
  const d = Math.min(...diffs);
  if (d <= 0 || diffs.some((x) => x % d !== 0)) return;
  const missing = steps.slice(1).flatMap((s, i) => Array.from({ length: (s - steps[i]) / d - 1 }, (_, k) => steps[i] + (k + 1) * d));
  if (missing.length === 0) return;
  const list = missing.slice(0, 5).join(", ") + (missing.length > 5 ? `, … (${missing.length})` : "");
  problems.add(
    root,
    `steps are saved every ${d} but step ${list} ${missing.length > 1 ? "are" : "is"} missing (deleted by a checkpoint limit, or unreadable: see above)`,
  );
}

/** The base model the run's configs name, when it is a local checkpoint or a hub-cache entry here. */
function baseFromConfigs(checkpoints: RunCheckpoint[], problems: ProblemList): string | undefined {
  const named: { name: string; file: string }[] = [];
  for (const c of checkpoints) {
    for (const [file, key] of [
      [c.weights && path.join(c.weights, "config.json"), "_name_or_path"],
      [c.adapter && path.join(c.adapter, "adapter_config.json"), "base_model_name_or_path"],
      [path.join(c.path, "huggingface", "config.json"), "_name_or_path"],
    ] as const) {
      if (!file || !isFile(file)) continue;
      try {
        const v = readJsonFile<Record<string, unknown>>(file, "model config")[key];
        if (typeof v === "string" && v !== "") named.push({ name: v, file });
      } catch {
        // An unreadable config names no base; the weights may still be fine.
      }
    }
  }
  const first = named[0];
  if (!first) return undefined;
  try {
    return locateCheckpoint(first.name).path;
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    problems.add(
      first.file,
      `the run's config names base model "${first.name}", which is neither a local checkpoint nor in the hub cache here (${e.problem}); pass --base`,
    );
    return undefined;
  }
}

/**
 * Reads a run folder as a series of checkpoints (see RunLayout). Never throws for a malformed or partial
 * run: unreadable steps, staging folders, missing shards, pickle-only checkpoints and gaps in the steps are
 * returned as `problems`, and every step that can be read is in `checkpoints`. Throws CheckpointError only
 * when `dir` is not a folder.
 */
export function readRunLayout(dir: string, options: RunLayoutOptions = {}): RunLayout {
  const root = path.resolve(dir);
  if (!isDir(root)) throw new CheckpointError(root, "not a folder", "pass the run's output folder");
  const entries = listDir(root);
  const engine = detectEngine(root, entries);
  const problems = new ProblemList();
  const found =
    engine === "trl"
      ? trlSteps(root, entries, problems)
      : engine === "verl"
        ? verlSteps(root, entries, problems)
        : engine === "openrlhf"
          ? openRlhfSteps(root, entries, problems)
          : plainSteps(root, entries, problems);
  found.sort((a, b) => a.step - b.step);
  const checkpoints: RunCheckpoint[] = [];
  for (const f of found) {
    if (checkpoints.length && checkpoints[checkpoints.length - 1].step === f.step) {
      problems.add(f.path, `step ${f.step} appears twice; the first folder is used`, f.step);
      continue;
    }
    const before = problems.items.length;
    const weights = f.weightsDir && weightsIn(f.weightsDir, f.step, problems);
    const adapter = f.adapterDir && adapterIn(f.adapterDir, f.step, problems);
    if (!weights && !adapter) {
      // weightsIn/adapterIn already said why when they found something unusable.
      if (f.whyEmpty) problems.add(f.path, f.whyEmpty(), f.step);
      else if (problems.items.length === before)
        problems.add(f.path, `step ${f.step} holds no safetensors weights and no adapter; it is skipped`, f.step);
      continue;
    }
    const c: RunCheckpoint = { step: f.step, path: f.path };
    if (weights) c.weights = weights;
    if (adapter) c.adapter = adapter;
    if (f.trainerState) c.trainerState = f.trainerState;
    checkpoints.push(c);
  }
  reportGaps(
    root,
    found.map((f) => f.step),
    problems,
  );
  let base = options.base;
  if (base === undefined) base = baseFromConfigs(checkpoints, problems);
  const layout: RunLayout = { dir: root, engine, checkpoints, problems: problems.items };
  if (base !== undefined) layout.base = base;
  return layout;
}
