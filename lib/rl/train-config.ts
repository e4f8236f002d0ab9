import { RftlabError } from "../errors";
import { DEFAULT_ADAMW_CONFIG, resolveAdamWConfig, type AdamWConfig } from "../tensor/optim";
import { DEFAULT_SAMPLE_CONFIG, resolveSampleConfig, type SampleConfig } from "../sampling";
import { deepFreeze } from "../base/freeze";
import { checkConfig, without } from "../base/strict-config";
import { DEFAULT_POLICY_LOSS_CONFIG, resolvePolicyLossConfig, type PolicyLossConfig } from "./policy-loss";
import { DEFAULT_ADVANTAGE_CONFIG, resolveAdvantageConfig, type AdvantageEstimator, type RewardScaling } from "./advantages";
import type { LrDecay } from "../tensor/lr-schedule";

/** What every trainer shares: optimisation, schedule, seed, logging. */
export interface OptimConfig {
  /** Optimizer steps. */
  steps: number;
  /** Peak learning rate η. */
  lr: number;
  warmupSteps: number;
  /** Decay after warmup. Default "constant". */
  decay: LrDecay;
  /** Global-norm gradient clipping; 0 = off. Default 1.0 (TRL). */
  maxGradNorm: number;
  /** AdamW options besides lr. */
  adamw: Partial<Omit<AdamWConfig, "lr">>;
  /** Sequences per micro-batch; gradients accumulate over micro-batches into one step. */
  microBatchSize: number;
  seed: number;
  /** Checkpoint every N steps (run folders only). */
  saveEvery: number;
}

/** What a trainer that samples sets of the sampler's options (G and the seed are set per step). */
export type RolloutSampling = Omit<SampleConfig, "numGenerations" | "seed">;

/** The sampler's defaults without the fields a trainer sets per step; `overrides` are the trainer's own. */
export function rolloutSamplingDefaults(overrides: Partial<RolloutSampling>): RolloutSampling {
  const { numGenerations, seed, ...shared } = DEFAULT_SAMPLE_CONFIG;
  return { ...shared, ...overrides };
}

/** GRPO-family config (spec/algorithms.md): sampling, advantages, clipped policy loss, dynamic sampling. */
export interface GrpoConfig extends OptimConfig {
  /** Prompts per step; each gets `numGenerations` completions. */
  promptsPerStep: number;
  /** G: completions per prompt (≥ 2 so groups have a baseline). */
  numGenerations: number;
  sampling: RolloutSampling;
  estimator: AdvantageEstimator;
  /** Default: the estimator's (resolveAdvantageConfig: "group" for grpo, "none" for rloo/reinforce). */
  scaleRewards: RewardScaling;
  loss: Omit<PolicyLossConfig, "activeTokens" | "maxCompletionLength">;
  /** μ: optimizer steps per generation batch, reusing stored old log-probs. Default 1. */
  numIterations: number;
  /** DAPO dynamic sampling / zero-variance filtering: drop groups whose rewards are all equal and refill. */
  dynamicSampling: boolean;
  /** Extra generation rounds to refill dropped groups (dynamic sampling). Default 2. */
  maxRefills: number;
  /**
   * Stop each completion at the model's end-of-sequence id(s) (config.json eos_token_id), added to
   * sampling.stopTokenIds, as Hugging Face generate does. Default true.
   */
  stopAtEos: boolean;
}

/**
 * Defaults every trainer starts from; AdamW's other fields keep DEFAULT_ADAMW_CONFIG's values.
 * TRL's, except lr, set once for the models rftlab trains (≈1M parameters, d_model 128) before any learning
 * requirement was measured: TRL's 1e-5 is tuned for ~7B models (d_model 4096); Adam's stable learning rate
 * of hidden matrices scales ~1/width (μP, Yang et al. 2022, arXiv 2203.03466), so 1e-5 · 4096 / 128 ≈ 3e-4,
 * which is also 1/10 of the tiny models' pretraining peak (3e-3), the usual fine-tuning ratio.
 */
export const DEFAULT_OPTIM_CONFIG: Readonly<OptimConfig> = deepFreeze({
  steps: 20,
  lr: 3e-4,
  warmupSteps: 0,
  decay: "constant",
  maxGradNorm: 1.0,
  adamw: { weightDecay: 0 },
  microBatchSize: 16,
  seed: 0,
  saveEvery: 10,
});

/**
 * Built from its parts: the optimiser's, the sampler's, the advantage's and the policy loss's defaults.
 * GRPO's own choices are written here: group size, prompts per step, and short completions
 * (maxNewTokens 32 instead of the sampler's 64), and stopping at the model's eos token as HF generation does
 * (set once with the lr above; without it every completion runs to maxNewTokens).
 */
export const DEFAULT_GRPO_CONFIG: Readonly<GrpoConfig> = deepFreeze({
  ...DEFAULT_OPTIM_CONFIG,
  promptsPerStep: 4,
  numGenerations: 8,
  sampling: rolloutSamplingDefaults({ maxNewTokens: 32 }),
  ...DEFAULT_ADVANTAGE_CONFIG,
  loss: DEFAULT_POLICY_LOSS_CONFIG,
  numIterations: 1,
  dynamicSampling: false,
  maxRefills: 2,
  stopAtEos: true,
});

/** The optimiser fields' template for checkConfig: `adamw` holds every AdamW option but lr (set by `lr`). */
export const OPTIM_CONFIG_FIELDS = { ...DEFAULT_OPTIM_CONFIG, adamw: without(DEFAULT_ADAMW_CONFIG, "lr") };

/** GrpoConfig's template for checkConfig (also the `grpo` section of a continual config). */
export const GRPO_CONFIG_FIELDS = { ...DEFAULT_GRPO_CONFIG, ...OPTIM_CONFIG_FIELDS };

function fail(cfg: string, field: string, rule: string, value: unknown): never {
  throw new RftlabError(`${cfg}.${field} must be ${rule}; got ${JSON.stringify(value)}`);
}

export function resolveOptimConfig<T extends OptimConfig>(name: string, c: T): T {
  const int = (f: keyof OptimConfig, min: number) => {
    const v = c[f];
    if (!Number.isInteger(v) || (v as number) < min) fail(name, f, `an integer ≥ ${min}`, v);
  };
  int("steps", 1);
  int("warmupSteps", 0);
  int("microBatchSize", 1);
  int("saveEvery", 1);
  if (!Number.isInteger(c.seed)) fail(name, "seed", "an integer", c.seed);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) fail(name, "lr", "a finite number > 0", c.lr);
  if (!(c.maxGradNorm >= 0)) fail(name, "maxGradNorm", "≥ 0 (0 = no clipping)", c.maxGradNorm);
  if (!["cosine", "linear", "constant"].includes(c.decay)) fail(name, "decay", '"cosine", "linear" or "constant"', c.decay);
  if (c.warmupSteps > c.steps) fail(name, "warmupSteps", `≤ steps (${c.steps})`, c.warmupSteps);
  resolveAdamWConfig({ ...c.adamw, lr: c.lr });
  return c;
}

/** A GrpoConfig with every field optional, nested objects included. */
export type GrpoConfigInput = Partial<Omit<GrpoConfig, "sampling" | "loss">> & {
  sampling?: Partial<GrpoConfig["sampling"]>;
  loss?: Partial<GrpoConfig["loss"]>;
};

/** Fills defaults (nested objects merged) and validates across fields; scaleRewards follows the estimator. */
export function resolveGrpoConfig(partial: GrpoConfigInput = {}): GrpoConfig {
  checkConfig("GrpoConfig", partial, GRPO_CONFIG_FIELDS);
  const d = DEFAULT_GRPO_CONFIG;
  const c: GrpoConfig = {
    ...d,
    ...partial,
    sampling: { ...d.sampling, ...partial.sampling },
    loss: { ...d.loss, ...partial.loss },
    adamw: { ...d.adamw, ...partial.adamw },
  };
  resolveOptimConfig("GrpoConfig", c);
  if (!Number.isInteger(c.promptsPerStep) || c.promptsPerStep < 1) fail("GrpoConfig", "promptsPerStep", "an integer ≥ 1", c.promptsPerStep);
  if (!Number.isInteger(c.numGenerations) || c.numGenerations < 2) {
    fail("GrpoConfig", "numGenerations", "an integer ≥ 2 (a group needs a baseline: G completions per prompt)", c.numGenerations);
  }
  if (!Number.isInteger(c.numIterations) || c.numIterations < 1) fail("GrpoConfig", "numIterations", "an integer ≥ 1 (μ)", c.numIterations);
  if (!Number.isInteger(c.maxRefills) || c.maxRefills < 0) fail("GrpoConfig", "maxRefills", "an integer ≥ 0", c.maxRefills);
  if (typeof c.stopAtEos !== "boolean") fail("GrpoConfig", "stopAtEos", "true or false", c.stopAtEos);
  resolveSampleConfig({ ...c.sampling, numGenerations: c.numGenerations });
  resolvePolicyLossConfig(c.loss);
  c.scaleRewards = resolveAdvantageConfig({
    groupSize: c.numGenerations,
    estimator: c.estimator,
    scaleRewards: partial.scaleRewards,
  }).scaleRewards;
  return c;
}
