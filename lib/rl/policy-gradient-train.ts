import { tf } from "../tensor/tf";
import { AdamW } from "../tensor/optim";
import { lrAt } from "../tensor/lr-schedule";
import { sliceTokenIds } from "../model/token-ids";
import { RftlabError } from "../errors";
import { computeAdvantages } from "./advantages";
import { tokenEntropy, tokenLogProbs } from "./sft-loss";
import { microBatches, packCompletionValues } from "./batch";
import { disposeBatch, packSequences } from "../sampling";
import { stepRows } from "./data-order";
import { keepGroups, varyingGroups } from "./group-filter";
import { resolveGrpoConfig } from "./train-config";
import { rollout } from "./rollout";
import { runTrainer } from "./run-loop";
import { accumulatedStep, type MicroBatchLoss } from "./update";
import type { ObjectiveMicroBatch, ObjectiveStep, PolicyObjective } from "./objective";
import type { PolicyTrainArgs, PolicyTrainRun, StepMetrics } from "./trainer-types";

/** Masked mean of several [B, T] tensors' sum over micro-batches → a number. */
function meanOver(values: number[], weights: number[]): number {
  const w = weights.reduce((a, b) => a + b, 0);
  return w > 0 ? values.reduce((s, v, i) => s + v * weights[i], 0) / w : 0;
}

/**
 * The policy-gradient loop behind grpoTrain / toprTrain: per step sample G completions for
 * `promptsPerStep` prompts, score them, compute advantages, and take μ optimizer steps with stored old
 * log-probs (spec/algorithms.md); each micro-batch's loss and weight come from `objective`
 * (clippedObjective, toprObjective, or your own PolicyObjective).
 */
export async function policyGradientTrain(args: PolicyTrainArgs, objective: PolicyObjective): Promise<PolicyTrainRun> {
  const cfg = resolveGrpoConfig(args.config);
  const { model, tokenizer, data, rewards, reference, masker } = args;
  if (cfg.loss.beta > 0 && !reference) {
    throw new RftlabError(
      `loss.beta = ${cfg.loss.beta} > 0 needs a reference policy: pass reference (e.g. (ids) => base.forward(ids)) or set loss.beta = 0`,
    );
  }
  if (data.length === 0 || typeof data[0]?.prompt !== "string")
    throw new RftlabError('training data must be a non-empty array of rows with a string "prompt"');
  const trainable = args.trainable ?? model.params;
  const optimizer = new AdamW(trainable, { ...cfg.adamw, lr: cfg.lr });
  const G = cfg.numGenerations;
  const T = cfg.sampling.temperature > 0 ? cfg.sampling.temperature : 1;
  const schedule = { peakLr: cfg.lr, totalSteps: cfg.steps, warmupSteps: cfg.warmupSteps, decay: cfg.decay };
  const eos = cfg.stopAtEos ? (model.config.eosTokenIds ?? (model.config.eosTokenId === undefined ? [] : [model.config.eosTokenId])) : [];
  const stopTokenIds = [...new Set([...cfg.sampling.stopTokenIds, ...eos])];

  const step = async (s: number) => {
    const sample = (round: number) =>
      rollout(
        model,
        tokenizer,
        stepRows(data.length, cfg.promptsPerStep, cfg.seed + 104729 * round, s).map((i) => data[i]),
        rewards,
        {
          ...cfg.sampling,
          stopTokenIds,
          numGenerations: G,
          seed: cfg.seed * 1_000_003 + s * 97 + round,
        },
      );
    const first = await sample(0);
    const parts = [{ r: first, groups: cfg.dynamicSampling ? varyingGroups(first.scores.total, G) : first.rows.map((_, g) => g) }];
    for (
      let round = 1;
      cfg.dynamicSampling && round <= cfg.maxRefills && parts.reduce((n, p) => n + p.groups.length, 0) < cfg.promptsPerStep;
      round++
    ) {
      const r = await sample(round);
      parts.push({ r, groups: varyingGroups(r.scores.total, G) });
    }
    const b = keepGroups(parts, G, cfg.promptsPerStep);
    const metrics: StepMetrics = { ...first.scores.metrics, learning_rate: lrAt(s - 1, schedule) };
    metrics["completions/mean_length"] = meanOver(
      first.generation.lengths,
      first.generation.lengths.map(() => 1),
    );
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
    const inputs = sliceTokenIds(packed.ids, [0, 0], [-1, width]); // [N, L−1]
    const inputRows = (rows: number[]) => sliceTokenIds(inputs, [rows[0], 0], [rows.length, -1]);
    const logpOf = (logits: tf.Tensor3D, rows: number[]) => tokenLogProbs(logits, slice(targets, rows), T);
    // Old log-probs: the sampler's (behaviour policy); μ = 1 gives ρ ≡ 1 up to the KV-cache rounding (~1e-7).
    const oldLogp = packCompletionValues(b.promptIds, b.logprobs, width);
    const stepInfo: ObjectiveStep = { config: cfg, rows: N, numMicroBatches: mbs.length, activeTokens: packed.activeTokens };
    // The outer tidy frees the per-micro-batch pieces once concatenated; the inner one frees each logits early.
    const refLogp = reference
      ? tf.tidy(() => tf.concat(mbs.map((rows) => tf.tidy(() => logpOf(reference(inputRows(rows)), rows)))))
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
            const logits = model.forward(inputRows(rows)); // [n, L−1, V]
            const mask = slice(packed.mask, rows);
            const mb: ObjectiveMicroBatch = {
              rows,
              logp: logpOf(logits, rows),
              oldLogp: slice(oldLogp, rows),
              refLogp: refLogp && slice(refLogp, rows),
              mask,
              rewards: rows.map((i) => b.total[i]),
              advantages: rows.map((i) => advantages[i]),
            };
            const entropy = tokenEntropy(logits, T).mul(mask).sum().div(mask.sum().maximum(1)) as tf.Scalar;
            const r = objective.microBatchLoss(mb, stepInfo);
            return { loss: r.loss.mul(objective.microBatchWeight(mb, stepInfo)) as tf.Scalar, metrics: { ...r.metrics, entropy } };
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
  return runTrainer({
    name: objective.name,
    config: cfg,
    data,
    rewards,
    trainable,
    weights: model.params,
    optimizer,
    step,
    options: args.options,
  });
}
