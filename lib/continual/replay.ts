// FPF's replay phase on a finished continual run (spec/analyses.md §9): FPF (the most sensitive module types),
// full replay (every parameter) and a random-module control all start from the run's last checkpoint, so they
// are compared on the same run, with the run's own evaluation.
import path from "node:path";
import { RftlabError } from "../errors";
import { readJsonFile } from "../io";
import { loadModel, type Transformer } from "../model";
import { retention, type Retention } from "../forgetting";
import { weightsFromModel } from "../analysis";
import type { ContinualConfig, FpfSelect } from "./config";
import { continualTaskData, type ContinualCodec } from "./task-data";
import { evaluate, retentionOptions, savedWeights, stageCheckpoint, type ContinualRun } from "./run";
import { fpfReplay, type ReplayChoice } from "./train-stage";

export interface ReplayArgs {
  /** A finished run of runContinual; its config.json sets the tasks, splits, SFT and fpf settings. */
  run: ContinualRun;
  /** The run's base model (not changed). */
  base: Transformer;
  codec: ContinualCodec;
  /** Held-out pretraining documents, needed when the run's config has retention on. */
  corpus?: string[];
  /** "sensitive" (FPF), "all" (full replay) or "random" (as many module types as FPF, drawn at random). */
  select: FpfSelect;
  /** The replay's trainer run folder (one per select). */
  out: string;
  resume?: boolean;
}

export interface ReplayResult extends ReplayChoice {
  select: FpfSelect;
  /** Accuracy on every task before the replay (the run's last row) and after it, as the run evaluates. */
  before: number[];
  accuracy: number[];
  correct: number[];
  n: number[];
  ci95: [number, number][];
  retention: Retention | null;
  steps: number;
  finalLoss: number | null;
  /** Replay training plus evaluation. */
  seconds: number;
}

/** Trains the run's final model on the fpf replay buffer with the parameters `select` picks, then evaluates it. */
export async function replayRun(a: ReplayArgs): Promise<ReplayResult> {
  const config = readJsonFile<ContinualConfig>(path.join(a.run.out, "config.json"), "continual run config");
  const c: ContinualConfig = { ...config, fpf: { ...config.fpf, select: a.select } };
  const T = c.tasks.length;
  if (a.run.stages.length !== T + 1) {
    throw new RftlabError(
      `replayRun: run ${a.run.out} has ${a.run.stages.length - 1} of ${T} stages; finish it first (runContinual with resume: true)`,
    );
  }
  if (c.retention && !a.corpus?.length) {
    throw new RftlabError(`replayRun: the run's config has retention on; pass corpus (the held-out documents the run used)`);
  }
  const t0 = performance.now();
  const model = await loadModel(stageCheckpoint(a.run.out, T));
  try {
    const data = continualTaskData(c);
    const stageWeights = [weightsFromModel(a.base), ...(await savedWeights(a.run.out, T))];
    const r = await fpfReplay({ model, codec: a.codec, config: c, data, runDir: a.out, resume: Boolean(a.resume), stageWeights });
    const ev = await evaluate(model, a.codec, c);
    const ret = c.retention ? await retention(model, a.base, retentionOptions(a.codec, a.corpus!, data, c)) : null;
    return { select: a.select, before: a.run.stages[T].accuracy, ...ev, retention: ret, ...r, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}
