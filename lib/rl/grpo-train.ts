import { tf } from "../tensor/tf";
import { AdamW } from "../tensor/optim";
import { lrAt } from "../tensor/lr-schedule";
import type { Transformer } from "../model";
import type { GradientMasker } from "../peft/masks";
import type { WeightedReward } from "../rewards";
import { RftlabError } from "../errors";
import { computeAdvantages } from "./advantages";
import { policyLoss, type PolicyLossType } from "./policy-loss";
import { toprLoss } from "./topr-loss";
import { tokenEntropy, tokenLogProbs } from "./sft-loss";
import { disposeBatch, microBatches, packCompletionValues, packSequences } from "./batch";
import { stepRows } from "./data-order";
import { resolveGrpoConfig, type GrpoConfig, type GrpoConfigInput } from "./train-config";
import { rollout, type PromptRow, type Rollout, type TextCodec } from "./rollout";
import { runLoop, type RunLoopOptions, type RunResult, type StepMetrics } from "./run-loop";
import { accumulatedStep, type MicroBatchLoss } from "./update";

/** Logits of a frozen reference policy for ids [B, L] → [B, L, V] (e.g. the base model with LoRA disabled). */
export type ReferencePolicy = (ids: tf.Tensor2D) => tf.Tensor3D;

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

/** How each micro-batch's loss is weighted so their sum is the batch loss of `lossType` (spec table). */
function microBatchWeight(lossType: PolicyLossType, mbRows: number, rows: number, numMicro: number): number {
  if (lossType === "bnpo") return 1 / numMicro; // TRL: token mean per micro-batch, averaged over accumulation
  if (lossType === "dapo") return 1; // activeTokens already holds the whole batch's count
  return mbRows / rows; // grpo / dr_grpo: per-sequence means
}

/** Keeps only groups whose rewards differ (DAPO dynamic sampling); returns the kept group indices. */
function varyingGroups(total: number[], G: number): number[] {
  const keep: number[] = [];
  for (let g = 0; g * G < total.length; g++) {
    const xs = total.slice(g * G, (g + 1) * G).filter((x) => !Number.isNaN(x));
    if (xs.some((x) => x !== xs[0])) keep.push(g);
  }
  return keep;
}

/** Concatenates the kept groups of several rollouts into one batch of at most `maxGroups` groups. */
function keepGroups(parts: { r: Rollout; groups: number[] }[], G: number, maxGroups: number) {
  const picked = parts.flatMap(({ r, groups }) => groups.map((g) => ({ r, g }))).slice(0, maxGroups);
  const rowsOf = <T>(get: (r: Rollout) => T[]) => picked.flatMap(({ r, g }) => get(r).slice(g * G, (g + 1) * G));
  return {
    groups: picked.length,
    promptIds: rowsOf((r) => r.promptIds),
    completionIds: rowsOf((r) => r.generation.completionIds),
    logprobs: rowsOf((r) => r.generation.logprobs),
    completions: rowsOf((r) => r.generation.completions!),
    truncated: rowsOf((r) => r.generation.truncated),
    total: rowsOf((r) => r.scores.total),
    perFunction: Object.keys(parts[0].r.scores.perFunction).map((name) => [name, rowsOf((r) => r.scores.perFunction[name])] as const),
    prompts: picked.flatMap(({ r, g }) => Array<string>(G).fill(r.rows[g].prompt)),
  };
}

/** Masked mean of several [B, T] tensors' sum over micro-batches → a number. */
function meanOver(values: number[], weights: number[]): number {
  const w = weights.reduce((a, b) => a + b, 0);
  return w > 0 ? values.reduce((s, v, i) => s + v * weights[i], 0) / w : 0;
}

/**
 * The policy-gradient loop behind grpoTrain / toprTrain: per step sample G completions for
 * `promptsPerStep` prompts, score them, compute advantages, and take μ optimizer steps with stored old
 * log-probs (spec/algorithms.md). `objective` picks the clipped GRPO-family loss or TOPR.
 */
async function policyGradientTrain(args: PolicyTrainArgs, objective: "clipped" | "topr"): Promise<PolicyTrainRun> {
  const cfg = resolveGrpoConfig(args.config);
  const { model, tokenizer, data, rewards, reference, masker } = args;
  if (cfg.loss.beta > 0 && !reference) {
    throw new RftlabError(`loss.beta = ${cfg.loss.beta} > 0 needs a reference policy: pass reference (e.g. (ids) => base.forward(ids)) or set loss.beta = 0`);
  }
  if (data.length === 0 || typeof data[0]?.prompt !== "string") throw new RftlabError('training data must be a non-empty array of rows with a string "prompt"');
  const trainable = args.trainable ?? model.params;
  const optimizer = new AdamW(trainable, { ...cfg.adamw, lr: cfg.lr });
  const G = cfg.numGenerations;
  const T = cfg.sampling.temperature > 0 ? cfg.sampling.temperature : 1;
  const schedule = { peakLr: cfg.lr, totalSteps: cfg.steps, warmupSteps: cfg.warmupSteps, decay: cfg.decay };

  const step = async (s: number) => {
    const sample = (round: number) =>
      rollout(model, tokenizer, stepRows(data.length, cfg.promptsPerStep, cfg.seed + 104729 * round, s).map((i) => data[i]), rewards, {
        ...cfg.sampling,
        numGenerations: G,
        seed: cfg.seed * 1_000_003 + s * 97 + round,
      });
    const first = await sample(0);
    const parts = [{ r: first, groups: cfg.dynamicSampling ? varyingGroups(first.scores.total, G) : first.rows.map((_, g) => g) }];
    for (let round = 1; cfg.dynamicSampling && round <= cfg.maxRefills && parts.reduce((n, p) => n + p.groups.length, 0) < cfg.promptsPerStep; round++) {
      const r = await sample(round);
      parts.push({ r, groups: varyingGroups(r.scores.total, G) });
    }
    const b = keepGroups(parts, G, cfg.promptsPerStep);
    const metrics: StepMetrics = { ...first.scores.metrics, learning_rate: lrAt(s - 1, schedule) };
    metrics["completions/mean_length"] = meanOver(first.generation.lengths, first.generation.lengths.map(() => 1));
    metrics["completions/clipped_ratio"] = first.generation.truncated.filter(Boolean).length / first.generation.truncated.length;
    if (b.groups === 0) {
      // Every group had equal rewards: no learning signal this step (DAPO would sample again).
      return { metrics: { ...metrics, loss: 0, grad_norm: 0, num_tokens: 0 } };
    }
    const advantages = computeAdvantages(b.total, { groupSize: G, estimator: cfg.estimator, scaleRewards: cfg.scaleRewards });
    const packed = packSequences(b.promptIds, b.completionIds);
    const N = b.promptIds.length;
    const width = packed.mask.shape[1];
    const mbs = microBatches(N, cfg.microBatchSize);
    const slice = <R extends tf.Rank>(t: tf.Tensor<R>, rows: number[]) => t.slice([rows[0], 0], [rows.length, -1]) as tf.Tensor<R>;
    const targets = packed.ids.slice([0, 1], [-1, -1]) as tf.Tensor2D; // [N, L−1]
    const inputs = packed.ids.slice([0, 0], [-1, width]) as tf.Tensor2D; // [N, L−1]
    const logpOf = (logits: tf.Tensor3D, rows: number[]) => tokenLogProbs(logits, slice(targets, rows), T);
    // Old log-probs: the sampler's (behaviour policy); μ = 1 gives ρ ≡ 1 up to the KV-cache rounding (~1e-7).
    const oldLogp = packCompletionValues(b.promptIds, b.logprobs, width);
    // The outer tidy frees the per-micro-batch pieces once concatenated; the inner one frees each logits early.
    const refLogp = reference
      ? tf.tidy(() => tf.concat(mbs.map((rows) => tf.tidy(() => logpOf(reference(slice(inputs, rows)), rows)))))
      : undefined;
    try {
      let last: Awaited<ReturnType<typeof accumulatedStep>> | undefined;
      for (let it = 0; it < cfg.numIterations; it++) {
        last = await accumulatedStep({
          trainable,
          optimizer,
          lr: lrAt(s - 1, schedule),
          maxGradNorm: cfg.maxGradNorm,
          masker,
          microBatches: mbs.map((rows) => (): MicroBatchLoss => {
            const logits = model.forward(slice(inputs, rows)); // [n, L−1, V]
            const logp = logpOf(logits, rows);
            const mask = slice(packed.mask, rows);
            const adv = rows.map((i) => advantages[i]);
            const entropy = tokenEntropy(logits, T).mul(mask).sum().div(mask.sum().maximum(1)) as tf.Scalar;
            if (objective === "topr") {
              const r = toprLoss({ logp, behaviourLogp: slice(oldLogp, rows), rewards: rows.map((i) => b.total[i]), mask });
              return { loss: r.loss.mul(rows.length / N) as tf.Scalar, metrics: { ...r.metrics, entropy } };
            }
            const r = policyLoss(
              { logp, oldLogp: slice(oldLogp, rows), refLogp: refLogp && slice(refLogp, rows), advantages: adv, mask },
              { ...cfg.loss, maxCompletionLength: cfg.sampling.maxNewTokens, activeTokens: cfg.loss.lossType === "dapo" ? packed.activeTokens : undefined },
            );
            const w = microBatchWeight(cfg.loss.lossType, rows.length, N, mbs.length);
            return { loss: r.loss.mul(w) as tf.Scalar, metrics: { ...r.metrics, entropy } };
          }),
        });
      }
      const tokensPerMb = mbs.map((rows) => rows.reduce((n, i) => n + packed.lengths[i], 0));
      for (const [k, vs] of Object.entries(last!.metrics)) metrics[k] = meanOver(vs, tokensPerMb);
      Object.assign(metrics, { loss: last!.loss, grad_norm: last!.gradNorm, num_tokens: packed.activeTokens });
      const completions = b.completions.map((c, i) => ({
        prompt: b.prompts[i],
        completion: c,
        rewards: Object.fromEntries(b.perFunction.map(([name, xs]) => [name, xs[i]])),
        reward: b.total[i],
        advantage: advantages[i],
      }));
      return { metrics, completions };
    } finally {
      disposeBatch(packed);
      tf.dispose([targets, inputs, oldLogp, refLogp ?? []]);
    }
  };
  try {
    const run = await runLoop({ config: { trainer: objective === "topr" ? "topr" : "grpo", ...cfg }, totalSteps: cfg.steps, trainable, optimizer, step, options: { saveEvery: cfg.saveEvery, ...args.options } });
    return { ...run, config: cfg };
  } finally {
    optimizer.dispose();
  }
}

/**
 * GRPO-family training (GRPO, Dr. GRPO, DAPO, GSPO, RLOO, REINFORCE via `estimator`, `loss.lossType`,
 * `loss.importanceLevel`, `dynamicSampling`): see spec/algorithms.md. Metrics use TRL's names.
 */
export function grpoTrain(args: PolicyTrainArgs): Promise<PolicyTrainRun> {
  return policyGradientTrain(args, "clipped");
}

/** TOPR (tapered off-policy REINFORCE): same loop, `toprLoss` on raw rewards; `loss` settings other than none are ignored. */
export function toprTrain(args: PolicyTrainArgs): Promise<PolicyTrainRun> {
  return policyGradientTrain(args, "topr");
}
