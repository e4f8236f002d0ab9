// Config of a continual post-training run (spec/analyses.md §2, §8, §9): a task sequence, one method.
import { RftlabError } from "../errors";
import { anyValue, checkConfig, nullable } from "../base/strict-config";
import { getTask, resolveTaskOptions } from "../tasks";
import { resolveGrpoConfig, resolveSftConfig, type GrpoConfigInput, type SftConfig } from "../rl";
import { resolveLoraConfig, type LoraConfig } from "../peft";
import type { KlToBaseConfig } from "../forgetting";
import { DEFAULT_KL_TO_BASE_CONFIG } from "../forgetting/retention";
import { GRPO_CONFIG_FIELDS } from "../rl/train-config";
import { SFT_CONFIG_FIELDS } from "../rl/supervised-train";
import type { ModelFamily } from "../model";

/**
 * - `sft`: SFT on gold answers, task after task.
 * - `rft`: GRPO with the binary task reward (RFT, arXiv 2507.05386).
 * - `rif-rft`: RFT after rollout-based instance filtering: K rollouts per training instance, instances whose
 *   rewards are all equal (all right or all wrong, variance 0) are dropped (arXiv 2507.05386 §4).
 * - `multitask`: SFT at stage t on the union of tasks 1..t (joint replay of everything seen: the upper bound).
 * - `lora`: SFT through a fresh LoRA adapter per stage, merged into the weights at the end of the stage.
 * - `hft`: SFT with half of the weights frozen, re-sampled per stage (HFT, arXiv 2404.18466). `hft.freeze: "entries"`
 *   is its control: as many frozen entries, spread at random over the same matrices.
 * - `fpf`: SFT task after task, then module sensitivity over the stage weights and a short replay phase on a
 *   small buffer of every task, training only the most sensitive module types (FPF, arXiv 2304.04158). `fpf.select`
 *   "all" replays with every parameter (full replay), "random" with as many module types drawn at random (control).
 */
export const CONTINUAL_METHODS = ["sft", "rft", "rif-rft", "multitask", "lora", "hft", "fpf"] as const;
export type ContinualMethod = (typeof CONTINUAL_METHODS)[number];
export const HFT_FREEZE = ["matrices", "entries"] as const;
export const FPF_SELECT = ["sensitive", "all", "random"] as const;
export type FpfSelect = (typeof FPF_SELECT)[number];

export interface ContinualTask {
  /** A task of lib/tasks (add, mul, sort, …). */
  name: string;
  /** Its difficulty options (e.g. {"digits": 2}); defaults otherwise. */
  options?: Record<string, number>;
}

export interface ContinualConfig {
  /** Model folder (config.json + weights + tokenizer) or a name the CLI resolves. Recorded, not read by runContinual. */
  model: string;
  tasks: ContinualTask[];
  method: ContinualMethod;
  /** Seeds data splits (seed + stage), trainers (seed + stage) and HFT masks. Default 0. */
  seed: number;
  /** Examples per task: training pool and held-out evaluation set (disjoint prompts). Default 64 / 32. */
  nTrain: number;
  nTest: number;
  /** SFT-based methods (sft, multitask, lora, hft, fpf): SftConfig fields. */
  sft: Partial<SftConfig>;
  /** RFT methods: GrpoConfig fields (sampling stops at "\n" unless set). */
  grpo: GrpoConfigInput;
  /** rif-rft: rollouts K per instance (temperature from grpo.sampling). Default 4. */
  rifRollouts: number;
  /** lora: LoraConfig fields. */
  lora: Partial<LoraConfig>;
  /** hft: freeze whole matrices (HFT) or as many entries at random over the same matrices (control). Default "matrices". */
  hft: { freeze: (typeof HFT_FREEZE)[number] };
  /**
   * fpf: module types trained in the replay phase, replay steps, buffer per task, and which parameters replay:
   * the `topModules` most sensitive types, every parameter, or `topModules` types at random. Defaults 2, 10, 8, "sensitive".
   */
  fpf: { topModules: number; replaySteps: number; replayPerTask: number; select: FpfSelect };
  /** Greedy evaluation: completion cap in tokens. Default 16. */
  evalMaxNewTokens: number;
  /** General-ability retention after every stage; null = off. */
  retention: { corpusWindows: number; contextLength: number; klPromptsPerTask: number; kl: Partial<KlToBaseConfig> } | null;
}

/** What resolveContinualConfig takes: tasks and method, any other field (sections may be partial). */
export type ContinualConfigInput = Partial<Omit<ContinualConfig, "hft" | "fpf">> & {
  tasks: ContinualTask[];
  method: ContinualMethod;
  hft?: Partial<ContinualConfig["hft"]>;
  fpf?: Partial<ContinualConfig["fpf"]>;
};

export const CONTINUAL_DEFAULTS: Omit<ContinualConfig, "model" | "tasks" | "method"> = {
  seed: 0,
  nTrain: 64,
  nTest: 32,
  sft: {},
  grpo: {},
  rifRollouts: 4,
  lora: {},
  hft: { freeze: "matrices" },
  fpf: { topModules: 2, replaySteps: 10, replayPerTask: 8, select: "sensitive" },
  evalMaxNewTokens: 16,
  retention: { corpusWindows: 16, contextLength: 64, klPromptsPerTask: 8, kl: { maxNewTokens: 16 } },
};

const FIELDS = {
  model: "",
  tasks: [],
  method: "sft",
  ...CONTINUAL_DEFAULTS,
  sft: SFT_CONFIG_FIELDS,
  grpo: GRPO_CONFIG_FIELDS,
  lora: anyValue, // resolveLoraConfig checks it against the model family's modules
  retention: nullable({ ...CONTINUAL_DEFAULTS.retention, kl: DEFAULT_KL_TO_BASE_CONFIG }),
};

function fail(field: string, rule: string, value: unknown): never {
  throw new RftlabError(`ContinualConfig.${field} must be ${rule}; got ${JSON.stringify(value)}`);
}

/** Fills defaults and validates the whole config (trainer sections through their own resolvers). */
export function resolveContinualConfig(partial: ContinualConfigInput, family: ModelFamily = "llama"): ContinualConfig {
  checkConfig("ContinualConfig", partial, FIELDS);
  const c: ContinualConfig = {
    model: "",
    ...CONTINUAL_DEFAULTS,
    ...partial,
    hft: { ...CONTINUAL_DEFAULTS.hft, ...partial.hft },
    fpf: { ...CONTINUAL_DEFAULTS.fpf, ...partial.fpf },
    retention: partial.retention === null ? null : { ...CONTINUAL_DEFAULTS.retention!, ...partial.retention },
  };
  if (!CONTINUAL_METHODS.includes(c.method)) fail("method", `one of ${CONTINUAL_METHODS.join(", ")}`, c.method);
  if (!Array.isArray(c.tasks) || c.tasks.length === 0) fail("tasks", 'a non-empty list like [{"name": "add"}, {"name": "sort"}]', c.tasks);
  const seen = new Set<string>();
  c.tasks.forEach((t, i) => {
    if (typeof t?.name !== "string") fail(`tasks[${i}].name`, "a task name", t?.name);
    getTask(t.name);
    resolveTaskOptions(t.name, t.options ?? {});
    if (seen.has(t.name)) fail(`tasks[${i}].name`, "distinct (the accuracy matrix has one column per task)", t.name);
    seen.add(t.name);
  });
  if (!Number.isInteger(c.seed)) fail("seed", "an integer", c.seed);
  if (!Number.isInteger(c.nTrain) || c.nTrain < 1) fail("nTrain", "an integer ≥ 1", c.nTrain);
  if (!Number.isInteger(c.nTest) || c.nTest < 1) fail("nTest", "an integer ≥ 1", c.nTest);
  if (!Number.isInteger(c.rifRollouts) || c.rifRollouts < 2)
    fail("rifRollouts", "an integer ≥ 2 (variance needs two rollouts)", c.rifRollouts);
  if (!Number.isInteger(c.evalMaxNewTokens) || c.evalMaxNewTokens < 1) fail("evalMaxNewTokens", "an integer ≥ 1", c.evalMaxNewTokens);
  if (!HFT_FREEZE.includes(c.hft.freeze)) fail("hft.freeze", `one of ${HFT_FREEZE.join(", ")}`, c.hft.freeze);
  const f = c.fpf;
  if (!FPF_SELECT.includes(f.select)) fail("fpf.select", `one of ${FPF_SELECT.join(", ")}`, f.select);
  if (!Number.isInteger(f.topModules) || f.topModules < 1) fail("fpf.topModules", "an integer ≥ 1", f.topModules);
  if (!Number.isInteger(f.replaySteps) || f.replaySteps < 1) fail("fpf.replaySteps", "an integer ≥ 1", f.replaySteps);
  if (!Number.isInteger(f.replayPerTask) || f.replayPerTask < 1 || f.replayPerTask > c.nTrain)
    fail("fpf.replayPerTask", `an integer in [1, nTrain = ${c.nTrain}]`, f.replayPerTask);
  const r = c.retention;
  if (r) {
    if (!Number.isInteger(r.corpusWindows) || r.corpusWindows < 1) fail("retention.corpusWindows", "an integer ≥ 1", r.corpusWindows);
    if (!Number.isInteger(r.contextLength) || r.contextLength < 2) fail("retention.contextLength", "an integer ≥ 2", r.contextLength);
    if (!Number.isInteger(r.klPromptsPerTask) || r.klPromptsPerTask < 1 || r.klPromptsPerTask > c.nTest)
      fail("retention.klPromptsPerTask", `an integer in [1, nTest = ${c.nTest}]`, r.klPromptsPerTask);
  }
  resolveSftConfig(c.sft);
  resolveGrpoConfig(c.grpo);
  resolveLoraConfig(family, c.lora);
  return c;
}
