import { tf } from "../tensor/tf";
import { AdamW } from "../tensor/optim";
import { lrAt } from "../tensor/lr-schedule";
import type { Transformer } from "../model";
import { sliceTokenIds } from "../model/token-ids";
import type { GradientMasker } from "../peft/masks";
import { RftlabError } from "../errors";
import { DEFAULT_DPO_LOSS_CONFIG, dpoLoss, resolveDpoLossConfig, type DpoLossConfig } from "./dpo-loss";
import { tokenLogProbs } from "./sft-loss";
import { sftMicroBatchLosses } from "./sft-micro-batches";
import { microBatches } from "./batch";
import { disposeBatch, packSequences, type PackedBatch } from "../sampling";
import { stepRows } from "./data-order";
import { resolveOptimConfig, DEFAULT_OPTIM_CONFIG, OPTIM_CONFIG_FIELDS, type OptimConfig } from "./train-config";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";
import { runTrainer } from "./run-loop";
import type { ReferencePolicy, RunLoopOptions, RunResult, StepMetrics, StepResult, TextCodec } from "./trainer-types";
import { accumulatedStep, type MicroBatchLoss } from "./update";

export interface SftConfig extends OptimConfig {
  /** Examples per optimizer step. Default 8. */
  batchSize: number;
}
export interface DpoConfig extends SftConfig {
  dpo: Omit<DpoLossConfig, "chosenLengths" | "rejectedLengths">;
}

export const DEFAULT_SFT_CONFIG: Readonly<SftConfig> = deepFreeze({ ...DEFAULT_OPTIM_CONFIG, batchSize: 8 });
export const DEFAULT_DPO_CONFIG: Readonly<DpoConfig> = deepFreeze({ ...DEFAULT_SFT_CONFIG, dpo: DEFAULT_DPO_LOSS_CONFIG });

/** SftConfig's and DpoConfig's templates for checkConfig. */
export const SFT_CONFIG_FIELDS = { ...DEFAULT_SFT_CONFIG, ...OPTIM_CONFIG_FIELDS };
const DPO_CONFIG_FIELDS = { ...DEFAULT_DPO_CONFIG, ...OPTIM_CONFIG_FIELDS };

export function resolveSftConfig(partial: Partial<SftConfig> = {}): SftConfig {
  checkConfig("SftConfig", partial, SFT_CONFIG_FIELDS);
  const d = DEFAULT_SFT_CONFIG;
  const c = resolveOptimConfig("SftConfig", { ...d, ...partial, adamw: { ...d.adamw, ...partial.adamw } });
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1)
    throw new RftlabError(`SftConfig.batchSize must be an integer ≥ 1; got ${c.batchSize}`);
  return c;
}

export function resolveDpoConfig(partial: Partial<Omit<DpoConfig, "dpo">> & { dpo?: Partial<DpoConfig["dpo"]> } = {}): DpoConfig {
  checkConfig("DpoConfig", partial, DPO_CONFIG_FIELDS);
  const { dpo, ...rest } = partial;
  return { ...resolveSftConfig(rest), dpo: resolveDpoLossConfig(dpo) };
}

interface SupervisedArgs<Row, C> {
  model: Transformer;
  tokenizer: TextCodec;
  data: Row[];
  config?: C;
  trainable?: Map<string, tf.Variable>;
  masker?: GradientMasker;
  options?: RunLoopOptions;
}

/** Shared set-up of the supervised trainers: optimizer, schedule, the run loop. */
async function supervisedLoop(
  name: string,
  cfg: SftConfig,
  args: SupervisedArgs<unknown, unknown>,
  microBatchLosses: (rows: number[], s: number) => { losses: (() => MicroBatchLoss)[]; tokens: number; cleanup: () => void },
): Promise<RunResult & { config: SftConfig }> {
  if (args.data.length === 0) throw new RftlabError(`${name}: training data is empty`);
  const trainable = args.trainable ?? args.model.params;
  const optimizer = new AdamW(trainable, { ...cfg.adamw, lr: cfg.lr });
  const schedule = { peakLr: cfg.lr, totalSteps: cfg.steps, warmupSteps: cfg.warmupSteps, decay: cfg.decay };
  const step = async (s: number): Promise<StepResult> => {
    const { losses, tokens, cleanup } = microBatchLosses(stepRows(args.data.length, cfg.batchSize, cfg.seed, s), s);
    try {
      const lr = lrAt(s - 1, schedule);
      const r = await accumulatedStep({
        trainable,
        optimizer,
        lr,
        maxGradNorm: cfg.maxGradNorm,
        masker: args.masker,
        microBatches: losses,
      });
      const metrics: StepMetrics = { loss: r.loss, grad_norm: r.gradNorm, learning_rate: lr, num_tokens: tokens };
      for (const [k, vs] of Object.entries(r.metrics)) metrics[k] = vs.reduce((a, b) => a + b, 0) / vs.length;
      return { metrics };
    } finally {
      cleanup();
    }
  };
  return runTrainer({
    name: name,
    config: cfg,
    data: args.data,
    trainable,
    weights: args.model.params,
    optimizer,
    step,
    options: args.options,
  });
}

/** Next-token log-probs of a packed batch's rows under `logits` → [n, L−1]. */
function packedLogp(logitsFn: (ids: tf.Tensor2D) => tf.Tensor3D, b: PackedBatch, rows: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const ids = sliceTokenIds(b.ids, [rows[0], 0], [rows.length, -1]);
    const L = ids.shape[1];
    const logits = logitsFn(sliceTokenIds(ids, [0, 0], [-1, L - 1]));
    return tokenLogProbs(logits, ids.slice([0, 1], [-1, -1]) as tf.Tensor2D);
  });
}

export interface SftRow {
  prompt: string;
  completion: string;
}

/**
 * Supervised fine-tuning (spec/algorithms.md "Other objectives"): mean token NLL over completion tokens,
 * prompt tokens masked. The loss is the token mean over the whole batch (micro-batches weighted by tokens).
 */
export async function sftTrain(args: SupervisedArgs<SftRow, Partial<SftConfig>>): Promise<RunResult & { config: SftConfig }> {
  const cfg = resolveSftConfig(args.config);
  const { model, tokenizer, data } = args;
  return supervisedLoop("sft", cfg, args, (idx) => {
    const rows = idx.map((i) => data[i]);
    const b = packSequences(
      rows.map((r) => tokenizer.encode(r.prompt)),
      rows.map((r) => tokenizer.encode(r.completion)),
    );
    return { losses: sftMicroBatchLosses(model, b, cfg.microBatchSize), tokens: b.activeTokens, cleanup: () => disposeBatch(b) };
  });
}

export interface DpoRow {
  prompt: string;
  chosen: string;
  rejected: string;
}

/**
 * DPO (Rafailov et al. 2023; spec/algorithms.md): sequence log-probs are sums over completion tokens,
 * the reference is frozen (`reference`, e.g. the base model or the LoRA-disabled policy).
 */
export async function dpoTrain(
  args: SupervisedArgs<DpoRow, Parameters<typeof resolveDpoConfig>[0]> & { reference: ReferencePolicy },
): Promise<RunResult & { config: DpoConfig }> {
  const cfg = resolveDpoConfig(args.config);
  const { model, tokenizer, data, reference } = args;
  if (typeof reference !== "function")
    throw new RftlabError("dpoTrain: reference must be a function ids → logits (the frozen reference policy)");
  const run = await supervisedLoop("dpo", cfg, { ...args, config: undefined }, (idx) => {
    const rows = idx.map((i) => data[i]);
    const prompts = rows.map((r) => tokenizer.encode(r.prompt));
    const chosen = rows.map((r) => tokenizer.encode(r.chosen));
    const rejected = rows.map((r) => tokenizer.encode(r.rejected));
    const bc = packSequences(prompts, chosen);
    const br = packSequences(prompts, rejected);
    const seqSum = (lp: tf.Tensor2D, b: PackedBatch, mb: number[]) =>
      lp.mul(b.mask.slice([mb[0], 0], [mb.length, -1])).sum(1) as tf.Tensor1D;
    const mbs = microBatches(rows.length, cfg.microBatchSize);
    const refs = mbs.map(
      (mb) =>
        tf.tidy(() => [seqSum(packedLogp(reference, bc, mb), bc, mb), seqSum(packedLogp(reference, br, mb), br, mb)]) as [
          tf.Tensor1D,
          tf.Tensor1D,
        ],
    );
    const losses = mbs.map((mb, k) => (): MicroBatchLoss => {
      const fwd = (ids: tf.Tensor2D) => model.forward(ids);
      const r = dpoLoss(
        {
          policyChosen: seqSum(packedLogp(fwd, bc, mb), bc, mb),
          policyRejected: seqSum(packedLogp(fwd, br, mb), br, mb),
          refChosen: refs[k][0],
          refRejected: refs[k][1],
        },
        cfg.dpo.lossType === "ipo"
          ? { ...cfg.dpo, chosenLengths: mb.map((i) => chosen[i].length), rejectedLengths: mb.map((i) => rejected[i].length) }
          : cfg.dpo,
      );
      return { loss: r.loss.mul(mb.length / rows.length) as tf.Scalar, metrics: r.metrics };
    });
    return {
      losses,
      tokens: bc.activeTokens + br.activeTokens,
      cleanup: () => {
        disposeBatch(bc);
        disposeBatch(br);
        tf.dispose(refs.flat());
      },
    };
  });
  return { ...run, config: cfg };
}
