// Types every trainer shares (arguments, runs, steps), so trainers depend on this module, not on each other.
import type { tf } from "../tensor/tf";
import type { Transformer } from "../model";
import type { TextCodec } from "../io/tokenizer";
import type { GradientMasker } from "../peft/masks";
import type { WeightedReward } from "../rewards";
import type { GrpoConfig, GrpoConfigInput } from "./train-config";

/** A prompt row: the prompt text plus any dataset columns the rewards read (e.g. `answer`). */
export interface PromptRow {
  prompt: string;
  [column: string]: unknown;
}

/** What trainers need of a tokenizer (lib/io textCodec makes one). */
export type { TextCodec };

/** Logits of a frozen reference policy for ids [B, L] → [B, L, V] (e.g. the base model with LoRA disabled). */
export type ReferencePolicy = (ids: tf.Tensor2D) => tf.Tensor3D;

export type StepMetrics = Record<string, number>;

export interface StepResult {
  metrics: StepMetrics;
  /** Rows for completions.jsonl (prompt, completion, per-function rewards, advantage). */
  completions?: Record<string, unknown>[];
}

export interface RunLoopOptions {
  /** Run folder: config.json, metrics.jsonl, completions.jsonl, checkpoints/. Omit for an in-memory run. */
  runDir?: string;
  /** Continue from the newest checkpoint in runDir (the config must be the same). */
  resume?: boolean;
  /**
   * What else defines the run besides the trainer's config (`rftlab train` passes its model, dataset and
   * rewards): saved in config.json as `run` and compared on resume, so a resume with other data is refused.
   */
  runConfig?: Record<string, unknown>;
  /** Called once runDir is open and locked, before the first step (the CLI records the run's base model there). */
  onOpen?: (runDir: string) => Promise<void>;
  /** Checkpoint every N steps (and at the end); trainers pass their config's saveEvery. Default 10. */
  saveEvery?: number;
  /** Called after each step with its metrics (progress displays, notebooks). */
  onStep?: (step: number, metrics: StepMetrics) => void;
  /**
   * Stops the run between two steps when aborted (so does the kernel's interrupt and the CLI's Ctrl-C):
   * the last finished step is checkpointed in runDir, the model stays at that step, and the call
   * rejects with the signal's reason. Resume with `resume: true`.
   */
  signal?: AbortSignal;
  /** A progress bar (notebook) or line (terminal; start and end lines in CI logs; none with RFTLAB_QUIET=1). Default true. */
  progress?: boolean;
}

export interface RunResult {
  /** Metrics of every step run in this call (after a resume: the steps after the checkpoint). */
  history: StepMetrics[];
  runDir?: string;
  /** Step the run started from (0, or the checkpoint's step after a resume). */
  startStep: number;
}

/** Arguments of the trainers that sample from the policy (grpoTrain, toprTrain, raftTrain, policyGradientTrain). */
export interface PolicyTrainArgs {
  model: Transformer;
  tokenizer: TextCodec;
  data: PromptRow[];
  rewards: WeightedReward[];
  config?: GrpoConfigInput;
  /** Needed when loss.beta > 0. */
  reference?: ReferencePolicy;
  /** Parameters to train; default every model parameter (pass `adapter.params()` for LoRA). */
  trainable?: Map<string, tf.Variable>;
  /** Sparse fine-tuning: gradients are multiplied by these masks. */
  masker?: GradientMasker;
  options?: RunLoopOptions;
}

export interface PolicyTrainRun extends RunResult {
  config: GrpoConfig;
}
