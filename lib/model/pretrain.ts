// Pretraining a tiny causal LM from scratch on the bundled corpus: the base model every experiment
// fine-tunes. Seeded batches (a function of seed and step only), AdamW with warmup + cosine decay,
// global-norm clipping, periodic held-out loss, resumable checkpoints, and a Hugging Face folder at the end.
import path from "node:path";
import { tf } from "../tensor/tf";
import { AdamW, type AdamWState } from "../tensor/optim";
import { clipGradNorm, gradsByName } from "../tensor/grads";
import { lrAt } from "../tensor/lr-schedule";
import { RftlabError } from "../errors";
import { RunDir, openCheckpoint, readJsonFile, writeFileAtomic, writeSafetensors } from "../io";
import { bundledDatasetsDir, readCorpus } from "../io/corpus";
import { loadTokenizer, saveTokenizer, type Tokenizer } from "../io/tokenizer";
import { finishRunFolder, isFinishedModelFolder } from "../io/pretrain-files";
import { removeStaleTemps, runWriteError } from "../io/run-dir";
import { MODEL_CONFIG_FIELDS, resolveModelConfig, type ModelConfig, type ModelFamily } from "./config";
import { checkConfig } from "../base/strict-config";
import { createModel } from "./create";
import { loadModel, saveModel } from "./checkpoint";
import type { Transformer } from "./transformer";
import { deepFreeze } from "../base/freeze";
import { cancellationCheck } from "../base/cancel";
import { ensureBackend } from "../tensor/backend";
import { startProgress } from "../base/progress-hook";
import { tokenIds } from "./token-ids";
import { paramCount, trainingBytes } from "./memory";
import { checkFits } from "../tensor/memory";

/** Settings of one pretraining run (JSON; saved as pretrain_config.json beside the model). */
export interface PretrainConfig {
  /** Architecture; vocabSize comes from the tokenizer and maxPositions defaults to contextLength. */
  model: Partial<ModelConfig> & { family: ModelFamily };
  /** Corpus folder (train.jsonl, test.jsonl); default the bundled datasets/tiny-corpus. */
  corpus?: string;
  /** tokenizer.json or a folder holding one; default the bundled datasets/tiny-tokenizer. */
  tokenizer?: string;
  /** Seeds the initialisation and every batch. */
  seed: number;
  /** T: tokens per training window. */
  contextLength: number;
  /** B: windows per optimizer step. */
  batchSize: number;
  /** Optimizer steps. */
  steps: number;
  /** Peak learning rate η after warmup (cosine decay to minLr at the last step). */
  peakLr: number;
  minLr: number;
  warmupSteps: number;
  /** AdamW decoupled weight decay λ (not applied to norms and biases). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip (torch clip_grad_norm_). */
  maxGradNorm: number;
  /** Held-out loss every this many steps (and after the last step). */
  evalEvery: number;
  /** Held-out windows (of contextLength tokens) per evaluation; 0 = the whole held-out split. */
  evalWindows: number;
  /** Resumable checkpoint every this many steps; 0 = none. */
  checkpointEvery: number;
}

export const DEFAULT_PRETRAIN_CONFIG: Readonly<Omit<PretrainConfig, "model">> = deepFreeze({
  seed: 0,
  contextLength: 128,
  batchSize: 16,
  steps: 300,
  peakLr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 20,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  maxGradNorm: 1,
  evalEvery: 50,
  evalWindows: 0,
  checkpointEvery: 50,
});

function check(ok: boolean, field: string, value: unknown, rule: string): void {
  if (!ok) throw new RftlabError(`PretrainConfig.${field} must be ${rule}; got ${JSON.stringify(value)}`);
}

/** Fills defaults and validates across fields; errors name the field, the rule and the value. */
export function resolvePretrainConfig(partial: Partial<PretrainConfig> & { model: PretrainConfig["model"] }): PretrainConfig {
  checkConfig("PretrainConfig", partial, { ...DEFAULT_PRETRAIN_CONFIG, model: MODEL_CONFIG_FIELDS, corpus: "", tokenizer: "" });
  const c = { ...DEFAULT_PRETRAIN_CONFIG, ...partial } as PretrainConfig;
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  const nonNegInt = (v: number) => Number.isInteger(v) && v >= 0;
  check(
    typeof c.model === "object" && c.model !== null && typeof c.model.family === "string",
    "model",
    c.model,
    'an object with a family ("llama", "qwen2" or "gpt2")',
  );
  check(Number.isInteger(c.seed), "seed", c.seed, "an integer");
  for (const k of ["contextLength", "batchSize", "steps", "evalEvery"] as const) check(posInt(c[k]), k, c[k], "a positive integer");
  for (const k of ["evalWindows", "checkpointEvery", "warmupSteps"] as const) check(nonNegInt(c[k]), k, c[k], "an integer ≥ 0");
  check(c.warmupSteps < c.steps, "warmupSteps", c.warmupSteps, `< steps (${c.steps})`);
  check(Number.isFinite(c.peakLr) && c.peakLr > 0, "peakLr", c.peakLr, "a number > 0, e.g. 3e-3 for a tiny model");
  check(Number.isFinite(c.minLr) && c.minLr >= 0 && c.minLr <= c.peakLr, "minLr", c.minLr, `in [0, peakLr = ${c.peakLr}]`);
  check(c.maxGradNorm > 0, "maxGradNorm", c.maxGradNorm, "> 0 (Infinity disables clipping)");
  const maxPos = c.model.maxPositions;
  check(maxPos === undefined || maxPos >= c.contextLength, "model.maxPositions", maxPos, `≥ contextLength (${c.contextLength}) or absent`);
  return c;
}

/** One row of metrics.jsonl (TRL key names; eval_loss only on evaluation steps). */
export interface PretrainMetrics {
  step: number;
  loss: number;
  grad_norm: number;
  learning_rate: number;
  num_tokens: number;
  step_time: number;
  eval_loss?: number;
}

export interface PretrainProgress {
  step: number;
  totalSteps: number;
  metrics: PretrainMetrics;
  /** Training tokens per second so far (this process; excludes evaluation and checkpoints). */
  tokensPerSecond: number;
}

export interface PretrainOptions {
  /** Output folder (a Hugging Face model folder when done; `out/run/` holds checkpoints meanwhile). */
  out: string;
  /** Continue a killed run from `out/run/` (its config must be identical). Default false. */
  resume?: boolean;
  /** Called after every optimizer step (throwing stops the run; its checkpoints stay resumable). */
  onProgress?: (p: PretrainProgress) => void;
  /** Stops between two steps when aborted (so does the kernel's interrupt and the CLI's Ctrl-C), checkpointing the last one. */
  signal?: AbortSignal;
  /** A progress bar (notebook) or line (terminal); none with RFTLAB_QUIET=1. Default true. */
  progress?: boolean;
}

export interface PretrainResult {
  /** The trained model (the caller disposes it). */
  model: Transformer;
  tokenizer: Tokenizer;
  config: PretrainConfig;
  /** Held-out loss (nats/token) after the last step. */
  evalLoss: number;
  /** Training throughput of this process, tokens per second (excludes evaluation and checkpoints). */
  tokensPerSecond: number;
  /** Wall time of this process, seconds (a resumed run counts only its own part). */
  wallSeconds: number;
  /** Step this process started from (0, or the checkpoint it resumed). */
  resumedFrom: number;
}

/** Concatenated documents, each preceded by <|endoftext|> (GPT-2 convention), as one token stream. */
function tokenStream(docs: string[], tok: Tokenizer): Int32Array {
  const ids: number[] = [];
  for (const d of docs) ids.push(tok.eosId, ...tok.encode(d, { addSpecialTokens: false }));
  return Int32Array.from(ids);
}

/**
 * Stateless hash of (seed, step, row) → uint32 (splitmix32 rounds): a batch depends only on its step,
 * so a resumed run replays exactly the batches an uninterrupted one would have drawn.
 */
function hash32(seed: number, step: number, row: number): number {
  let h = 0;
  for (const v of [seed, step, row]) {
    h = (h + Math.imul(v | 0, 0x9e3779b9) + 0x7f4a7c15) | 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Inputs and next-token targets for windows starting at `starts`. */
function windows(stream: Int32Array, starts: number[], T: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Int32Array(starts.length * T);
  const y = new Int32Array(starts.length * T);
  starts.forEach((s, b) => {
    x.set(stream.subarray(s, s + T), b * T);
    y.set(stream.subarray(s + 1, s + T + 1), b * T);
  });
  return { x: tokenIds(x, [starts.length, T]), y: tf.tensor2d(y, [starts.length, T], "int32") };
}

/**
 * Mean next-token cross-entropy (nats).
 * @param logits [B, T, V]  @param targets [B, T] int32
 * @returns scalar
 */
export function nextTokenLoss(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const logp = tf.logSoftmax(logits.reshape([B * T, V])); // [B·T, V]
    const onehot = tf.oneHot(targets.reshape([B * T]), V); // [B·T, V]
    return logp
      .mul(onehot)
      .sum()
      .neg()
      .div(B * T) as tf.Scalar;
  });
}

/** Held-out loss over consecutive windows of the test stream (deterministic; same windows every time). */
async function evaluate(model: Transformer, stream: Int32Array, c: PretrainConfig): Promise<number> {
  const T = c.contextLength;
  let starts = Array.from({ length: Math.floor((stream.length - 1) / T) }, (_, i) => i * T);
  if (c.evalWindows > 0) starts = starts.slice(0, c.evalWindows);
  if (starts.length === 0)
    throw new RftlabError(`pretrain: the held-out split has ${stream.length} tokens, fewer than contextLength + 1 = ${T + 1}`);
  let total = 0;
  for (let i = 0; i < starts.length; i += c.batchSize) {
    const { x, y } = windows(stream, starts.slice(i, i + c.batchSize), T);
    const loss = tf.tidy(() => nextTokenLoss(model.forward(x), y));
    total += (await loss.data())[0] * Math.min(c.batchSize, starts.length - i);
    tf.dispose([x, y, loss]);
  }
  return total / starts.length;
}

const NO_DECAY = ["norm\\.weight$", "(^|\\.)ln_\\w*\\.weight$", "\\.bias$"];

async function saveTrainingState(dir: string, model: Transformer, opt: AdamW, step: number): Promise<void> {
  await saveModel(model, dir);
  const s = await opt.getState();
  const tensors = Object.keys(s.expAvg).flatMap((name) => {
    const shape = model.params.get(name)!.shape;
    return [
      { name: `exp_avg.${name}`, dtype: "F32" as const, shape, data: s.expAvg[name] },
      { name: `exp_avg_sq.${name}`, dtype: "F32" as const, shape, data: s.expAvgSq[name] },
    ];
  });
  await writeSafetensors(path.join(dir, "optimizer.safetensors"), tensors);
  await writeFileAtomic(
    path.join(dir, "trainer_state.json"),
    JSON.stringify({ step, stepCount: s.stepCount, paramSteps: s.paramSteps }) + "\n",
  );
}

async function loadTrainingState(dir: string, opt: AdamW): Promise<void> {
  const meta = readJsonFile<{ stepCount: number; paramSteps: Record<string, number> }>(
    path.join(dir, "trainer_state.json"),
    "trainer_state.json",
  );
  const ckpt = await openCheckpoint(path.join(dir, "optimizer.safetensors"));
  try {
    const state: AdamWState = { stepCount: meta.stepCount, paramSteps: meta.paramSteps, expAvg: {}, expAvgSq: {}, config: opt.config };
    for (const name of opt.paramNames) {
      state.expAvg[name] = await ckpt.readFloat32(`exp_avg.${name}`);
      state.expAvgSq[name] = await ckpt.readFloat32(`exp_avg_sq.${name}`);
    }
    opt.setState(state);
  } finally {
    await ckpt.close();
  }
}

/**
 * Trains a model from scratch on a corpus and saves a Hugging Face folder in `opts.out`: config.json,
 * model.safetensors, tokenizer.json, tokenizer_config.json, pretrain_config.json, metrics.jsonl.
 * While running, `out/run/` holds metrics and checkpoints; with `resume: true` a killed run continues
 * from its newest checkpoint and replays the same batches (they depend only on seed and step).
 */
export async function pretrain(
  partial: Partial<PretrainConfig> & { model: PretrainConfig["model"] },
  opts: PretrainOptions,
): Promise<PretrainResult> {
  const { out } = opts;
  const t0 = performance.now();
  await ensureBackend();
  const config = resolvePretrainConfig(partial);
  if (isFinishedModelFolder(out)) {
    throw new RftlabError(`pretrain: ${out} already holds a finished model (model.safetensors); choose a new output folder`);
  }
  const tokenizer = loadTokenizer(config.tokenizer ?? path.join(bundledDatasetsDir(), "tiny-tokenizer"));
  const corpus = readCorpus(config.corpus ?? path.join(bundledDatasetsDir(), "tiny-corpus"));
  const train = tokenStream(corpus.train, tokenizer);
  const test = tokenStream(corpus.test, tokenizer);
  const T = config.contextLength;
  const B = config.batchSize;
  if (train.length < T + 2)
    throw new RftlabError(`pretrain: the corpus has ${train.length} training tokens, fewer than contextLength + 2 = ${T + 2}`);
  const modelConfig = resolveModelConfig(
    {
      maxPositions: T,
      bosTokenId: tokenizer.bosId,
      eosTokenId: tokenizer.eosId,
      ...config.model,
      vocabSize: tokenizer.vocabSize,
    },
    "PretrainConfig.model",
  );

  checkFits(
    `pretrain: training ${paramCount(modelConfig).toExponential(2)} parameters on batches of ${B} × ${T} tokens ` +
      "(weights, gradients, AdamW moments, activations)",
    trainingBytes(modelConfig, B, T),
    "make the model (dModel, dFF, nLayers) smaller, or lower batchSize or contextLength",
  );
  const runDir = await RunDir.open(path.join(out, "run"), config, { resume: opts.resume ?? false });
  try {
    removeStaleTemps(out); // half-written model files of a run killed while finishing
    const latest = runDir.latest();
    const model = latest ? await loadModel(latest.dir) : createModel(modelConfig, { seed: config.seed });
    const opt = new AdamW(model.params, { weightDecay: config.weightDecay, beta1: config.beta1, beta2: config.beta2, noDecay: NO_DECAY });
    try {
      let step = 0;
      if (latest) {
        await loadTrainingState(latest.dir, opt);
        step = latest.step;
      }
      const resumedFrom = step;
      const schedule = {
        peakLr: config.peakLr,
        minLr: config.minLr,
        warmupSteps: config.warmupSteps,
        totalSteps: config.steps,
        decay: "cosine" as const,
      };
      const vars = [...model.params.values()];
      let trainMs = 0;
      let evalLoss = NaN;
      const checkpointed = (s: number) => config.checkpointEvery > 0 && s % config.checkpointEvery === 0;
      const save = (s: number) => runDir.saveCheckpoint(s, (dir) => saveTrainingState(dir, model, opt, s));
      const check = cancellationCheck(opts.signal);
      const bar = startProgress({ total: config.steps, label: "pretrain" }, opts.progress !== false);
      bar.tick(step);
      while (step < config.steps) {
        try {
          await check();
        } catch (e) {
          // Stopped between steps: checkpoint the last one, so that `resume: true` loses nothing.
          if (step > resumedFrom && !checkpointed(step)) await save(step);
          throw e;
        }
        const ts = performance.now();
        const starts = Array.from({ length: B }, (_, b) => hash32(config.seed, step, b) % (train.length - T));
        const { x, y } = windows(train, starts, T);
        const { value, grads: byVariable } = tf.variableGrads(() => nextTokenLoss(model.forward(x), y), vars);
        const grads = gradsByName(model.params, byVariable);
        const clipped = await clipGradNorm(grads, config.maxGradNorm);
        const lr = lrAt(step, schedule);
        opt.step(clipped.grads, lr);
        const loss = (await value.data())[0];
        tf.dispose([x, y, value, ...Object.values(grads), ...Object.values(clipped.grads)]);
        if (!Number.isFinite(loss)) {
          throw new RftlabError(`pretrain: loss became ${loss} at step ${step}; lower peakLr (${config.peakLr}) or maxGradNorm`);
        }
        step += 1;
        const stepMs = performance.now() - ts;
        trainMs += stepMs;
        const metrics: PretrainMetrics = {
          step,
          loss,
          grad_norm: clipped.norm,
          learning_rate: lr,
          num_tokens: step * B * T,
          step_time: stepMs / 1000,
        };
        if (step % config.evalEvery === 0 || step === config.steps) metrics.eval_loss = evalLoss = await evaluate(model, test, config);
        await runDir.append("metrics", [metrics]);
        opts.onProgress?.({ step, totalSteps: config.steps, metrics, tokensPerSecond: ((step - resumedFrom) * B * T) / (trainMs / 1000) });
        bar.tick(1, { loss });
        if (checkpointed(step) && step < config.steps) await save(step);
      }
      bar.done();
      if (Number.isNaN(evalLoss)) evalLoss = await evaluate(model, test, config);
      // The model files go last-but-one: a folder with config.json always has complete weights beside it.
      await saveModel(model, out);
      saveTokenizer(tokenizer, out);
      await writeFileAtomic(path.join(out, "pretrain_config.json"), JSON.stringify(config, null, 2) + "\n");
      await finishRunFolder(out);
      const trainSeconds = trainMs / 1000;
      return {
        model,
        tokenizer,
        config,
        evalLoss,
        tokensPerSecond: trainSeconds > 0 ? ((step - resumedFrom) * B * T) / trainSeconds : 0,
        wallSeconds: (performance.now() - t0) / 1000,
        resumedFrom,
      };
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      opt.dispose();
    }
  } catch (e) {
    throw runWriteError(e, runDir.dir);
  } finally {
    runDir.close();
  }
}
