// The shape of a training run on disk, as readRunLayout (run-layout.ts) returns it: a series of
// checkpoints with step numbers, whatever engine wrote them (environment.md, "Run layouts").

/** Which engine's folder layout a run follows. */
export type RunEngine = "trl" | "verl" | "openrlhf" | "plain";

/** One saved step of a run. `weights` and `adapter` are absent when the step holds nothing rftlab can read. */
export interface RunCheckpoint {
  /** Optimizer step (global step) the checkpoint was saved at. */
  step: number;
  /** The step's folder as the engine names it (checkpoint-<step>/, global_step_<n>/actor/, global_step<n>_hf/, …), absolute. */
  path: string;
  /** Folder holding full Hugging Face safetensors weights (single file or sharded, all shards present); openCheckpoint reads it. */
  weights?: string;
  /** PEFT adapter folder (adapter_config.json + adapter_model.safetensors). */
  adapter?: string;
  /** TRL/transformers trainer_state.json of this checkpoint (log history, global step). */
  trainerState?: string;
}

/** Something in the run that could not be read; the rest of the run is still returned. */
export interface RunProblem {
  /** The file or folder concerned, absolute. */
  path: string;
  /** The step concerned, when known. */
  step?: number;
  /** One line: what is wrong and how to fix it. */
  message: string;
}

export interface RunLayout {
  /** The run folder, absolute. */
  dir: string;
  engine: RunEngine;
  /** Steps with readable weights or an adapter, sorted by step (steps with neither are in `problems`). */
  checkpoints: RunCheckpoint[];
  /**
   * The base model: `options.base` when given, else the local folder or hub-cache entry that the run's
   * configs name (config.json `_name_or_path`, adapter_config.json `base_model_name_or_path`). Absent
   * when neither is usable (see problems).
   */
  base?: string;
  problems: RunProblem[];
}

export interface RunLayoutOptions {
  /** Base checkpoint (file, folder or hub id); overrides what the run's configs name. */
  base?: string;
}
