// The continual post-training runner (issue 10; spec/analyses.md §2): train tasks 1..T in sequence from a
// base model with one method, evaluate every task (and retention) after every stage, save everything, resume.
import path from "node:path";
import { RunDir, openCheckpoint, writeFileAtomic } from "../io";
import { RftlabError } from "../errors";
import { createModel, loadModel, saveModel, type Transformer } from "../model";
import {
  retention,
  summarizeForgetting,
  writeAccuracyMatrix,
  type AccuracyMatrix,
  type ForgettingSummary,
  type Retention,
} from "../forgetting";
import { weightsFromCheckpoint, weightsFromModel } from "../analysis";
import type { StepMetrics } from "../rl";
import type { ContinualConfig } from "./config";
import { evaluateTask } from "../evaluation";
import { continualTaskData, taskSeed, type ContinualCodec, type TaskData } from "./task-data";
import { fpfReplay, trainStage, type StageTraining } from "./train-stage";

/** One row of stages.jsonl (RunDir's metrics.jsonl, `step` = stage; stage 0 is the base model). */
export interface StageRecord {
  step: number;
  /** Task trained at this stage (null for the base row). */
  task: string | null;
  /** Accuracy on every task, in sequence order: row `step` of the accuracy matrix. */
  accuracy: number[];
  correct: number[];
  n: number[];
  /** Wilson 95% interval of each accuracy. */
  ci95: [number, number][];
  retention: Retention | null;
  training: (StageTraining & FpfReplayInfo) | null;
  seconds: number;
}

/** fpf, last stage: accuracies before the replay phase, the module types it trained, its steps and last loss. */
export interface FpfReplayInfo {
  beforeReplay?: number[];
  modules?: string[];
  replaySteps?: number;
  replayLoss?: number | null;
}

export type ContinualEvent =
  | { kind: "stage-start"; stage: number; task: string }
  | { kind: "step"; stage: number; step: number; metrics: StepMetrics }
  | { kind: "stage-end"; record: StageRecord };

export interface ContinualArgs {
  config: ContinualConfig;
  /** The base model; not changed or disposed (training runs on a copy). */
  base: Transformer;
  codec: ContinualCodec;
  /** Held-out pretraining documents for the retention metric (needed unless config.retention is null). */
  corpus?: string[];
  /**
   * Run folder: config.json, metrics.jsonl (one StageRecord per stage), checkpoints/step-00000t/ (the model
   * after stage t, a Hugging Face folder), train/stage-t/ (the trainer's run folder), matrix.json/.csv, summary.json.
   */
  out: string;
  /** Continue a killed run in `out` (same config): finished stages are read back, a stage in training resumes from its trainer checkpoint. */
  resume?: boolean;
  onEvent?: (e: ContinualEvent) => void;
}

export interface ContinualRun {
  /** With sample counts (the evaluation set sizes). */
  matrix: AccuracyMatrix;
  summary: ForgettingSummary;
  stages: StageRecord[];
  out: string;
}

/** Runs (or resumes) a continual post-training sequence; see ContinualArgs for the folder layout. */
export async function runContinual(a: ContinualArgs): Promise<ContinualRun> {
  const c = a.config;
  const T = c.tasks.length;
  if (c.retention && !a.corpus?.length) {
    throw new RftlabError(
      "runContinual: config.retention needs held-out corpus documents; pass corpus (e.g. readCorpus(dir).test) or set retention: null",
    );
  }
  const run = await RunDir.open(a.out, c, { resume: a.resume });
  let records: StageRecord[];
  try {
    const data = continualTaskData(c);
    const latest = a.resume ? run.latest() : undefined;
    records = run.read("metrics") as unknown as StageRecord[];
    const model = latest ? await loadModel(latest.dir) : copyModel(a.base);
    try {
      // A stage whose model was saved but whose evaluation was not recorded is evaluated again from that model.
      for (let t = records.length; t <= T; t++) {
        const t0 = performance.now();
        let training: StageRecord["training"] = null;
        if (t > 0 && !(latest && t <= latest.step)) {
          a.onEvent?.({ kind: "stage-start", stage: t, task: c.tasks[t - 1].name });
          const stageArgs = {
            model,
            codec: a.codec,
            config: c,
            data,
            runDir: path.join(a.out, "train", `stage-${t}`),
            resume: Boolean(a.resume),
            onStep: (step: number, metrics: StepMetrics) => a.onEvent?.({ kind: "step", stage: t, step, metrics }),
          };
          training = await trainStage({ ...stageArgs, stage: t });
          if (c.method === "fpf" && t === T) {
            const beforeReplay = (await evaluate(model, a.codec, c)).accuracy;
            const stageWeights = [weightsFromModel(a.base), ...(await savedWeights(a.out, T - 1)), weightsFromModel(model)];
            const replay = await fpfReplay({ ...stageArgs, runDir: path.join(a.out, "train", "replay"), stageWeights });
            training = { ...training, beforeReplay, modules: replay.modules, replaySteps: replay.steps, replayLoss: replay.finalLoss };
          }
          await run.saveCheckpoint(t, (dir) => saveModel(model, dir), T + 2);
        }
        const ev = await evaluate(model, a.codec, c);
        const ret = c.retention ? await retention(model, a.base, retentionOptions(a.codec, a.corpus!, data, c)) : null;
        const record: StageRecord = {
          step: t,
          task: t === 0 ? null : c.tasks[t - 1].name,
          ...ev,
          retention: ret,
          training,
          seconds: (performance.now() - t0) / 1000,
        };
        await run.append("metrics", [record]);
        records.push(record);
        a.onEvent?.({ kind: "stage-end", record });
      }
    } finally {
      model.dispose();
    }
  } finally {
    run.close();
  }
  const matrix: AccuracyMatrix = {
    tasks: c.tasks.map((t) => t.name),
    matrix: records.map((r) => r.accuracy),
    counts: records.map((r) => r.n),
  };
  await writeAccuracyMatrix(path.join(a.out, "matrix.json"), matrix);
  await writeAccuracyMatrix(path.join(a.out, "matrix.csv"), matrix);
  const summary = summarizeForgetting(matrix);
  await writeFileAtomic(path.join(a.out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return { matrix, summary, stages: records, out: a.out };
}

/** A trainable copy of the base model (same config, same weights). */
function copyModel(base: Transformer): Transformer {
  const m = createModel(base.config);
  for (const [name, v] of m.params) v.assign(base.param(name));
  return m;
}

/** Checkpoint folder of the model after stage t in a run folder. */
export function stageCheckpoint(out: string, t: number): string {
  return path.join(out, "checkpoints", `step-${String(t).padStart(6, "0")}`);
}

/** Greedy accuracy on every task's held-out split (evaluateTask: stops at "\n" and eos, taskCorrect, Wilson CI). */
export async function evaluate(model: Transformer, codec: ContinualCodec, c: ContinualConfig) {
  const rows = [];
  for (const [i, t] of c.tasks.entries()) {
    rows.push(
      await evaluateTask(model, codec, {
        task: t.name,
        taskOptions: t.options,
        n: c.nTest,
        seed: taskSeed(c, i),
        maxNewTokens: c.evalMaxNewTokens,
      }),
    );
  }
  return {
    accuracy: rows.map((r) => r.accuracy),
    correct: rows.map((r) => Math.round(r.accuracy * r.n)),
    n: rows.map((r) => r.n),
    ci95: rows.map((r) => r.ci95),
  };
}

/** Weights after stages 1..k, read back from their checkpoints (FPF's sensitivity needs every stage). */
export async function savedWeights(runOut: string, k: number) {
  const out = [];
  for (let t = 1; t <= k; t++) {
    const ckpt = await openCheckpoint(stageCheckpoint(runOut, t));
    try {
      out.push(await weightsFromCheckpoint(ckpt));
    } finally {
      await ckpt.close();
    }
  }
  return out;
}

/** Held-out prompts for the KL: the first klPromptsPerTask test prompts of every task. */
export function retentionOptions(codec: ContinualCodec, corpus: string[], data: TaskData[], c: ContinualConfig) {
  const r = c.retention!;
  return {
    codec,
    corpus,
    prompts: data.flatMap((d) => d.test.slice(0, r.klPromptsPerTask).map((e) => e.prompt)),
    corpusOptions: { contextLength: r.contextLength, maxWindows: r.corpusWindows },
    kl: { stopTokenIds: [codec.eosId], ...r.kl, seed: c.seed },
  };
}
