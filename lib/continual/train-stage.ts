// One training stage of a continual run, per method (config.ts documents each). Every trainer writes its own
// run folder, so a killed stage resumes from the trainer's newest checkpoint.
import type { tf } from "../tensor/tf";
import type { Transformer } from "../model";
import { grpoTrain, sftTrain, resolveGrpoConfig, type RunResult, type StepMetrics, type SftRow } from "../rl";
import { attachLora, hftFrozenWeights, hftRandomEntryMasks, GradientMasker } from "../peft";
import { createRng } from "../base/random";
import { generate } from "../sampling";
import { moduleSensitivity, moduleType, type WeightMap } from "../analysis";
import type { ContinualConfig } from "./config";
import { taskCorrect, taskReward } from "../rewards";
import { promptRows, sftRows, type ContinualCodec, type TaskData } from "./task-data";

export interface StageArgs {
  model: Transformer;
  codec: ContinualCodec;
  config: ContinualConfig;
  data: TaskData[];
  /** 1-based stage: trains on task `stage`. */
  stage: number;
  /** Trainer run folder of this stage. */
  runDir: string;
  resume: boolean;
  onStep?: (step: number, metrics: StepMetrics) => void;
}

/** What a stage reports besides its trainer's step metrics. */
export interface StageTraining {
  steps: number;
  finalLoss: number | null;
  /** rif-rft: training instances kept by the filter (of nTrain). */
  kept?: number;
  /** hft: weight matrices frozen this stage (0 for the entries control). */
  frozen?: number;
  /** hft: entries frozen this stage (the same count for HFT and its entries control). */
  frozenEntries?: number;
}

/** Trains `model` in place on stage `stage` of the sequence with the config's method. */
export async function trainStage(a: StageArgs): Promise<StageTraining> {
  const { model, config: c, data, stage } = a;
  const seed = c.seed + stage; // a different data order and sampling stream per stage
  const options = { runDir: a.runDir, resume: a.resume, onStep: a.onStep };
  const own = data[stage - 1].train;
  const sft = (rows: SftRow[], trainable?: Map<string, tf.Variable>, masker?: GradientMasker) =>
    sftTrain({ model, tokenizer: a.codec, data: rows, config: { ...c.sft, seed: (c.sft.seed ?? 0) + seed }, trainable, masker, options });
  switch (c.method) {
    case "sft":
    case "fpf":
      return summary(await sft(sftRows(own)));
    case "multitask":
      return summary(await sft(sftRows(data.slice(0, stage).flatMap((d) => d.train))));
    case "hft": {
      if (c.hft.freeze === "entries") {
        // The entries control trains every parameter through the masker (AdamW's decay still shrinks masked
        // entries by lr·λ per step, ~3e-6 at the defaults: negligible next to the updates).
        const masks = hftRandomEntryMasks(model, seed);
        let frozenEntries = 0;
        for (const m of masks.values()) for (const x of m) frozenEntries += 1 - x;
        const masker = new GradientMasker(model, masks, true);
        try {
          return { ...summary(await sft(sftRows(own), undefined, masker)), frozen: 0, frozenEntries };
        } finally {
          masker.dispose();
        }
      }
      const frozen = new Set(hftFrozenWeights(model, seed));
      const trainable = new Map([...model.params].filter(([name]) => !frozen.has(name)));
      const frozenEntries = [...frozen].reduce((s, n) => s + model.param(n).size, 0);
      return { ...summary(await sft(sftRows(own), trainable)), frozen: frozen.size, frozenEntries };
    }
    case "lora": {
      const adapter = attachLora(model, { ...c.lora, seed: (c.lora.seed ?? 0) + seed });
      try {
        const run = await sft(sftRows(own), adapter.params());
        adapter.mergeAndUnload();
        return summary(run);
      } catch (e) {
        adapter.dispose();
        throw e;
      }
    }
    case "rft":
    case "rif-rft": {
      const grpo = {
        ...c.grpo,
        seed: (c.grpo.seed ?? 0) + seed,
        sampling: { stopStrings: ["\n"], stopTokenIds: [a.codec.eosId], ...c.grpo.sampling },
      };
      let rows = own;
      if (c.method === "rif-rft") {
        rows = await varyingInstances(model, a.codec, data[stage - 1].task, own, c.rifRollouts, resolveGrpoConfig(grpo).sampling, seed);
        if (rows.length === 0) return { steps: 0, finalLoss: null, kept: 0 };
      }
      const run = await grpoTrain({
        model,
        tokenizer: a.codec,
        data: promptRows(rows),
        rewards: [{ name: "correct", fn: taskReward(data[stage - 1].task) }],
        config: grpo,
        options,
      });
      return { ...summary(run), ...(c.method === "rif-rft" ? { kept: rows.length } : {}) };
    }
  }
}

/**
 * Rollout-based instance filtering (RIF-RFT, arXiv 2507.05386): K rollouts per instance with the current
 * model; instances whose K rewards are all equal (variance 0: always right or always wrong) carry no GRPO
 * signal and are dropped.
 */
export async function varyingInstances<T extends { prompt: string; answer: string }>(
  model: Transformer,
  codec: ContinualCodec,
  task: string,
  rows: T[],
  K: number,
  sampling: { temperature: number; topK: number; topP: number; maxNewTokens: number; stopTokenIds: number[]; stopStrings: string[] },
  seed: number,
): Promise<T[]> {
  const g = await generate(
    model,
    rows.map((r) => codec.encode(r.prompt)),
    { ...sampling, numGenerations: K, seed },
    { tokenizer: codec },
  );
  return rows.filter((r, i) => {
    const hits = g.completions!.slice(i * K, (i + 1) * K).filter((c) => taskCorrect(task, c, r.answer)).length;
    return hits > 0 && hits < K;
  });
}

/** What the replay phase trained: module types (every type for a full replay), parameter count, the sensitivity ranking. */
export interface ReplayChoice {
  modules: string[];
  trainableParams: number;
  ranking: { module: string; sensitivity: number }[];
}

/**
 * FPF replay (arXiv 2304.04158): rank module types by Σ_t ‖θ^t − θ^{t−1}‖/‖θ^{t−1}‖ over the stage weights,
 * then SFT only the top `topModules` types on a small buffer of every task (`replayPerTask` examples each).
 * `fpf.select` "all" trains every parameter on the same buffer (full replay), "random" `topModules` types drawn at random.
 */
export async function fpfReplay(a: Omit<StageArgs, "stage"> & { stageWeights: WeightMap[] }): Promise<StageTraining & ReplayChoice> {
  const { model, config: c } = a;
  const seed = c.seed + c.tasks.length + 1;
  const ranking = moduleSensitivity(a.stageWeights).perModule.map((r) => ({ module: r.name, sensitivity: r.sensitivity }));
  const types = ranking.map((r) => r.module);
  const modules =
    c.fpf.select === "all" ? types : (c.fpf.select === "random" ? createRng(seed).shuffle(types) : types).slice(0, c.fpf.topModules);
  const trainable = new Map([...model.params].filter(([name]) => modules.includes(moduleType(name))));
  const rows = a.data.flatMap((d) => sftRows(d.train.slice(0, c.fpf.replayPerTask)));
  const run = await sftTrain({
    model,
    tokenizer: a.codec,
    data: rows,
    trainable,
    config: { ...c.sft, steps: c.fpf.replaySteps, seed: (c.sft.seed ?? 0) + seed },
    options: { runDir: a.runDir, resume: a.resume, onStep: a.onStep },
  });
  const trainableParams = [...trainable.values()].reduce((s, v) => s + v.size, 0);
  return { ...summary(run), modules, trainableParams, ranking };
}

function summary(run: RunResult): StageTraining {
  const last = run.history[run.history.length - 1];
  return { steps: run.startStep + run.history.length, finalLoss: last ? last.loss : null };
}
