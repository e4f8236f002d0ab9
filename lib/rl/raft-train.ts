import { AdamW } from "../tensor/optim";
import { lrAt } from "../tensor/lr-schedule";
import { RftlabError } from "../errors";
import { raftSelect, type RaftSelectConfig } from "./raft";
import { disposeBatch, packSequences } from "../sampling";
import { stepRows } from "./data-order";
import {
  DEFAULT_OPTIM_CONFIG,
  OPTIM_CONFIG_FIELDS,
  resolveOptimConfig,
  rolloutSamplingDefaults,
  type OptimConfig,
  type RolloutSampling,
} from "./train-config";
import { deepFreeze } from "../base/freeze";
import { anyValue, checkConfig, nullable } from "../base/strict-config";
import { resolveSampleConfig } from "../sampling";
import { rollout } from "./rollout";
import { runTrainer } from "./run-loop";
import { accumulatedStep } from "./update";
import { sftMicroBatchLosses } from "./sft-micro-batches";
import type { PolicyTrainArgs, PromptRow, RunResult, StepMetrics } from "./trainer-types";

/** RAFT / expert iteration (Dong et al. 2023, "RAFT: Reward rAnked FineTuning"): one stage per optimizer step. */
export interface RaftConfig extends OptimConfig {
  /** Prompts per stage. */
  promptsPerStep: number;
  /** K: completions sampled per prompt. */
  numGenerations: number;
  sampling: RolloutSampling;
  /** Which samples of each group to fine-tune on: "best" or {topFraction}. Default "best". */
  keep: RaftSelectConfig["keep"];
  /** Expert iteration: keep only samples `isCorrect` accepts. Default false. */
  requireCorrect: boolean;
  /** Samples whose reward is below this are never kept (e.g. 1 keeps only right answers under a binary reward); null = no floor. Default null. */
  minReward: number | null;
  /** SFT optimizer steps on each stage's kept set. Default 1. */
  numIterations: number;
}

export type RaftConfigInput = Partial<Omit<RaftConfig, "sampling">> & { sampling?: Partial<RaftConfig["sampling"]> };

/** The optimiser's and the sampler's defaults plus RAFT's own: 8 samples for each of 4 prompts, completions ≤ 32 tokens. */
export const DEFAULT_RAFT_CONFIG: Readonly<RaftConfig> = deepFreeze({
  ...DEFAULT_OPTIM_CONFIG,
  promptsPerStep: 4,
  numGenerations: 8,
  sampling: rolloutSamplingDefaults({ maxNewTokens: 32 }),
  keep: "best",
  requireCorrect: false,
  minReward: null,
  numIterations: 1,
});

export function resolveRaftConfig(partial: RaftConfigInput = {}): RaftConfig {
  // keep is "best" or {topFraction}: raftSelect validates it.
  checkConfig("RaftConfig", partial, { ...DEFAULT_RAFT_CONFIG, ...OPTIM_CONFIG_FIELDS, keep: anyValue, minReward: nullable(0) });
  const d = DEFAULT_RAFT_CONFIG;
  const c: RaftConfig = { ...d, ...partial, sampling: { ...d.sampling, ...partial.sampling }, adamw: { ...d.adamw, ...partial.adamw } };
  resolveOptimConfig("RaftConfig", c);
  const int = (f: "promptsPerStep" | "numGenerations" | "numIterations", min: number) => {
    if (!Number.isInteger(c[f]) || c[f] < min)
      throw new RftlabError(`RaftConfig.${f} must be an integer ≥ ${min}; got ${JSON.stringify(c[f])}`);
  };
  int("promptsPerStep", 1);
  int("numGenerations", 1);
  int("numIterations", 1);
  if (c.minReward !== null && !Number.isFinite(c.minReward))
    throw new RftlabError(`RaftConfig.minReward must be a finite number or null; got ${JSON.stringify(c.minReward)}`);
  raftSelect([], { keep: c.keep }); // validates keep
  resolveSampleConfig({ ...c.sampling, numGenerations: c.numGenerations });
  return c;
}

export interface RaftTrainArgs extends Omit<PolicyTrainArgs, "config" | "reference"> {
  config?: RaftConfigInput;
  /** Correctness of one completion for expert iteration (e.g. `checkAnswer(task, completion, row.answer)`). */
  isCorrect?: (row: PromptRow, completion: string) => boolean;
}

/**
 * RAFT (reward-ranked fine-tuning) and expert iteration (RAFT with a correctness filter;
 * spec/algorithms.md "Other objectives"): per step sample K completions for `promptsPerStep` prompts,
 * keep the best (or a top fraction) per prompt with `raftSelect`, and take `numIterations` SFT steps
 * (token-mean NLL of the kept completions) through the shared accumulatedStep / runLoop.
 * Metrics: TRL's reward/completion keys, loss, grad_norm, learning_rate, num_tokens, and
 * `raft/kept_fraction` (kept samples / sampled). A stage that keeps nothing takes no optimizer step.
 */
export async function raftTrain(args: RaftTrainArgs): Promise<RunResult & { config: RaftConfig }> {
  const cfg = resolveRaftConfig(args.config);
  const { model, tokenizer, data, rewards, masker, isCorrect } = args;
  if (data.length === 0 || typeof data[0]?.prompt !== "string")
    throw new RftlabError('raftTrain: training data must be a non-empty array of rows with a string "prompt"');
  if (cfg.requireCorrect && typeof isCorrect !== "function") {
    throw new RftlabError(
      "raftTrain: config.requireCorrect = true (expert iteration) needs isCorrect(row, completion); pass it or set requireCorrect = false",
    );
  }
  const trainable = args.trainable ?? model.params;
  const optimizer = new AdamW(trainable, { ...cfg.adamw, lr: cfg.lr });
  const K = cfg.numGenerations;
  const schedule = { peakLr: cfg.lr, totalSteps: cfg.steps, warmupSteps: cfg.warmupSteps, decay: cfg.decay };

  const step = async (s: number) => {
    const rows = stepRows(data.length, cfg.promptsPerStep, cfg.seed, s).map((i) => data[i]);
    const r = await rollout(model, tokenizer, rows, rewards, { ...cfg.sampling, numGenerations: K, seed: cfg.seed * 1_000_003 + s * 97 });
    const g = r.generation;
    const groups = rows.map((row, p) =>
      Array.from({ length: K }, (_, k) => {
        const i = p * K + k;
        const reward = cfg.minReward === null || r.scores.total[i] >= cfg.minReward ? r.scores.total[i] : NaN;
        return { reward, correct: isCorrect ? isCorrect(row, g.completions![i]) : undefined, row: i };
      }),
    );
    const kept = raftSelect(groups, { keep: cfg.keep, requireCorrect: cfg.requireCorrect }).map((k) => k.item.row);
    const lr = lrAt(s - 1, schedule);
    const metrics: StepMetrics = { ...r.scores.metrics, learning_rate: lr };
    metrics["completions/mean_length"] = g.lengths.reduce((a, b) => a + b, 0) / g.lengths.length;
    metrics["completions/clipped_ratio"] = g.truncated.filter(Boolean).length / g.truncated.length;
    metrics["raft/kept_fraction"] = kept.length / g.lengths.length;
    if (kept.length === 0) return { metrics: { ...metrics, loss: 0, grad_norm: 0, num_tokens: 0 } };
    const packed = packSequences(
      kept.map((i) => r.promptIds[i]),
      kept.map((i) => g.completionIds[i]),
    );
    try {
      let last: Awaited<ReturnType<typeof accumulatedStep>> | undefined;
      for (let it = 0; it < cfg.numIterations; it++) {
        last = await accumulatedStep({
          trainable,
          optimizer,
          lr,
          maxGradNorm: cfg.maxGradNorm,
          masker,
          microBatches: sftMicroBatchLosses(model, packed, cfg.microBatchSize),
        });
      }
      Object.assign(metrics, { loss: last!.loss, grad_norm: last!.gradNorm, num_tokens: packed.activeTokens });
      const completions = kept.map((i) => ({
        prompt: rows[g.promptIndex[i]].prompt,
        completion: g.completions![i],
        rewards: Object.fromEntries(Object.entries(r.scores.perFunction).map(([name, xs]) => [name, xs[i]])),
        reward: r.scores.total[i],
      }));
      return { metrics, completions };
    } finally {
      disposeBatch(packed);
    }
  };
  return runTrainer({ name: "raft", config: cfg, data, rewards, trainable, weights: model.params, optimizer, step, options: args.options });
}
