// Where each engine puts its steps (environment.md, "Run layouts"): folder names → step numbers and the
// folders that may hold weights or an adapter. Pickled checkpoints (FSDP shards, DeepSpeed states) are only
// recognised by name, never opened: the problem says how the engine's own tool converts them.
import fs from "node:fs";
import path from "node:path";
import { INDEX_FILE, SINGLE_FILE } from "./checkpoint-path";
import { readJsonFile } from "./json";
import type { RunProblem } from "./run-layout-types";

/** A step found on disk before its folders are checked. */
export interface StepFolder {
  step: number;
  /** The folder named for the step. */
  path: string;
  /** Where full weights may be. */
  weightsDir?: string;
  /** Where a PEFT adapter may be. */
  adapterDir?: string;
  trainerState?: string;
  /** Why there is nothing to read when neither folder holds anything (the engine's own conversion hint). */
  whyEmpty?: () => string;
}

/** Collects problems of one run. */
export class ProblemList {
  readonly items: RunProblem[] = [];
  add(p: string, message: string, step?: number): void {
    this.items.push(step === undefined ? { path: p, message } : { path: p, step, message });
  }
}

export const isDir = (p: string): boolean => {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
};
export const isFile = (p: string): boolean => {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
};
export function listDir(p: string): string[] {
  try {
    return fs.readdirSync(p).sort();
  } catch {
    return [];
  }
}

export const stepOf = (name: string, re: RegExp): number | undefined => {
  const m = re.exec(name);
  return m ? Number(m[1]) : undefined;
};

/** TRL/transformers: output_dir/checkpoint-<step>/ (+ a final model in output_dir itself). */
export function trlSteps(root: string, entries: string[], problems: ProblemList): StepFolder[] {
  const out: StepFolder[] = [];
  for (const e of entries) {
    const p = path.join(root, e);
    const staging = stepOf(e, /^tmp-checkpoint-(\d+)$/);
    if (staging !== undefined && isDir(p)) {
      problems.add(
        p,
        `step ${staging} is still being written (transformers renames tmp-checkpoint-<step> when the save ends); run again later`,
        staging,
      );
      continue;
    }
    const step = stepOf(e, /^checkpoint-(\d+)$/);
    if (step === undefined || !isDir(p)) continue;
    const state = path.join(p, "trainer_state.json");
    if (!isFile(state)) {
      problems.add(
        p,
        `step ${step}: no trainer_state.json (the Trainer writes it after the weights: the save is still running or was interrupted); weights are read if complete`,
        step,
      );
    } else checkStateStep(state, step, problems);
    out.push({ step, path: p, weightsDir: p, adapterDir: p, trainerState: isFile(state) ? state : undefined });
  }
  // The model trainer.save_model() writes into output_dir at the end: a step only when trainer_state.json gives one.
  if (hasWeightFiles(root) || isFile(path.join(root, "adapter_config.json"))) {
    const state = path.join(root, "trainer_state.json");
    const step = isFile(state) ? globalStep(state) : undefined;
    if (step === undefined)
      problems.add(
        root,
        "the final model in the run folder has no step (no trainer_state.json with global_step beside it); it is left out of the series",
      );
    else if (!out.some((c) => c.step === step)) out.push({ step, path: root, weightsDir: root, adapterDir: root, trainerState: state });
  }
  return out;
}

function globalStep(stateFile: string): number | undefined {
  try {
    const s = readJsonFile<{ global_step?: unknown }>(stateFile, "trainer state");
    return typeof s.global_step === "number" ? s.global_step : undefined;
  } catch {
    return undefined;
  }
}

function checkStateStep(stateFile: string, step: number, problems: ProblemList): void {
  const g = globalStep(stateFile);
  if (g === undefined)
    problems.add(
      stateFile,
      `step ${step}: trainer_state.json has no numeric global_step (truncated?); the folder name's step is used`,
      step,
    );
  else if (g !== step)
    problems.add(stateFile, `step ${step}: trainer_state.json says global_step ${g}; the folder name's step is used`, step);
}

/** Plain: subfolders holding HF checkpoints, the step being the last number in each folder's name. */
export function plainSteps(root: string, entries: string[], problems: ProblemList): StepFolder[] {
  const out: StepFolder[] = [];
  for (const e of entries) {
    const p = path.join(root, e);
    if (!isDir(p) || !(hasWeightFiles(p) || isFile(path.join(p, "adapter_config.json")))) continue;
    const m = /(\d+)(?!.*\d)/.exec(e);
    if (!m) {
      problems.add(p, `${e} holds a checkpoint but no step number in its name; rename it (e.g. step-100) to put it in the series`);
      continue;
    }
    out.push({ step: Number(m[1]), path: p, weightsDir: p, adapterDir: p });
  }
  if (out.length === 0 && hasWeightFiles(root)) {
    problems.add(
      root,
      "this is a single checkpoint, not a run folder; pass the folder holding the checkpoints (or compare two with rftlab diff)",
    );
  }
  return out;
}

/** Whether a folder holds full-model safetensors (not just a PEFT adapter's). */
export function hasWeightFiles(dir: string): boolean {
  return listDir(dir).some((f) => f === SINGLE_FILE || f === INDEX_FILE || (f.endsWith(".safetensors") && !f.startsWith("adapter_model")));
}

/** A first line of a small text file, or undefined. */
function firstLine(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").split("\n")[0].trim();
  } catch {
    return undefined;
  }
}

/** FSDP shard files model_world_size_W_rank_R.pt in an actor folder: W and how many ranks are present. */
function fsdpShards(actor: string): { world: number; present: number } | undefined {
  const ranks = listDir(actor)
    .map((f) => /^model_world_size_(\d+)_rank_(\d+)\.pt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null);
  return ranks.length ? { world: Number(ranks[0][1]), present: ranks.length } : undefined;
}

/** Why a verl step has nothing rftlab reads, with the model-merger command that converts it. */
function verlWhyEmpty(actor: string, step: number): string {
  const shards = fsdpShards(actor);
  const merge = (backend: string) =>
    `convert with verl's model merger: python -m verl.model_merger merge --backend ${backend} --local_dir ${actor} --target_dir ${path.join(actor, "huggingface")}`;
  if (shards) {
    const missing = shards.present < shards.world ? ` (only ${shards.present} of ${shards.world} rank shards present)` : "";
    return `step ${step} has only FSDP shards model_world_size_${shards.world}_rank_*.pt${missing}: PyTorch pickles, which rftlab never unpickles (loading one runs code); ${merge("fsdp")}`;
  }
  if (isDir(path.join(actor, "dist_ckpt"))) return `step ${step} has only a Megatron dist_ckpt; ${merge("megatron")}`;
  return `step ${step}: actor/ holds no huggingface/ weights, lora_adapter/ or FSDP shards (still being written?); it is skipped`;
}

/** verl: <default_local_dir>/global_step_<n>/actor/{huggingface/, lora_adapter/, model_world_size_*_rank_*.pt}. */
export function verlSteps(root: string, entries: string[], problems: ProblemList): StepFolder[] {
  const out: StepFolder[] = [];
  for (const e of entries) {
    const step = stepOf(e, /^global_step_(\d+)$/);
    const p = path.join(root, e);
    if (step === undefined || !isDir(p)) continue;
    const actor = path.join(p, "actor");
    if (!isDir(actor)) {
      problems.add(p, `step ${step} has no actor/ folder (still being written, or only a critic was saved); it is skipped`, step);
      continue;
    }
    out.push({
      step,
      path: actor,
      weightsDir: path.join(actor, "huggingface"),
      adapterDir: path.join(actor, "lora_adapter"),
      whyEmpty: () => verlWhyEmpty(actor, step),
    });
  }
  const latestFile = path.join(root, "latest_checkpointed_iteration.txt");
  const latest = isFile(latestFile) ? Number(firstLine(latestFile)) : NaN;
  if (Number.isInteger(latest) && !out.some((s) => s.step === latest)) {
    problems.add(
      latestFile,
      `names step ${latest} as the latest, but global_step_${latest}/actor is missing (deleted, or still being written)`,
      latest,
    );
  }
  return out;
}

/**
 * OpenRLHF: <ckpt_path>/global_step<n>_hf/ (HF weights or a PEFT adapter, with --save_hf_ckpt, --ckpt.save_hf
 * in 0.11) and DeepSpeed states in <ckpt_path>/_actor/global_step<n>/ (PPO) or <ckpt_path>/global_step<n>/ (SFT, DPO, RM).
 */
export function openRlhfSteps(root: string, entries: string[], problems: ProblemList): StepFolder[] {
  const out: StepFolder[] = [];
  const deepspeed = new Map<number, string>();
  for (const [dir, names] of [
    [root, entries],
    [path.join(root, "_actor"), listDir(path.join(root, "_actor"))],
  ] as const) {
    for (const e of names) {
      const p = path.join(dir, e);
      if (!isDir(p)) continue;
      const hf = dir === root ? stepOf(e, /^global_step(\d+)_hf$/) : undefined;
      if (hf !== undefined) out.push({ step: hf, path: p, weightsDir: p, adapterDir: p });
      const ds = stepOf(e, /^global_step(\d+)$/);
      if (ds !== undefined) deepspeed.set(ds, p);
    }
  }
  for (const [step, p] of deepspeed) {
    if (out.some((s) => s.step === step)) continue;
    problems.add(
      p,
      `step ${step} has only a DeepSpeed checkpoint (*_model_states.pt, PyTorch pickles that rftlab never unpickles); ` +
        `convert with the zero_to_fp32.py script DeepSpeed saves beside it (python ${path.join(path.dirname(p), "zero_to_fp32.py")} ${path.dirname(p)} <out> --safe_serialization --tag global_step${step}), ` +
        "or train with --save_hf_ckpt (--ckpt.save_hf in 0.11)",
      step,
    );
  }
  const latestFile = path.join(root, "_actor", "latest");
  const tag = isFile(latestFile) ? firstLine(latestFile) : undefined;
  const latest = tag ? stepOf(tag, /^global_step(\d+)$/) : undefined;
  if (latest !== undefined && !out.some((s) => s.step === latest) && !deepspeed.has(latest)) {
    problems.add(latestFile, `names ${tag} as the latest, but neither global_step${latest}_hf nor _actor/${tag} is there`, latest);
  }
  return out;
}
