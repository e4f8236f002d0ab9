import fs from "node:fs";
import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, UsageError } from "./command";
import { initBackend, BACKEND_CHOICES } from "../tensor";
import { readJsonFile } from "../io";
import { textCodec } from "../io/tokenizer";
import { loadModel } from "../model";
import { openModelSource, recordRunModel, runModelName } from "./model-source";
import { getReward, rewardNames, type WeightedReward } from "../rewards";
import { getTask, taskSplits, TASK_STYLES, type TaskStyle } from "../tasks";
import {
  dpoTrain,
  grpoTrain,
  resolveDpoConfig,
  resolveGrpoConfig,
  resolveSftConfig,
  sftTrain,
  type PromptRow,
  type RunResult,
  type StepMetrics,
} from "../rl";
import { anyValue, checkConfig } from "../base/strict-config";

/** A bundled task as the dataset: taskSplits options (train rows are used; the test split is held out). */
interface TaskDataset {
  task: string;
  seed?: number;
  style?: TaskStyle;
  nTrain?: number;
  nTest?: number;
  [option: string]: unknown;
}

/** The JSON file `rftlab train` reads. Relative paths resolve against the file's folder. */
export interface TrainFileConfig {
  /** A model folder (config.json, model.safetensors, tokenizer.json), a run folder or a zoo name (lib/cli/model-source.ts). */
  model: string;
  /** A bundled task ({"task": "add", "digits": 2, ...}) or {"jsonl": "rows.jsonl"} (prompt + columns; sft: completion; dpo: chosen, rejected). */
  dataset: TaskDataset | { jsonl: string };
  /** GRPO rewards by built-in name (lib/rewards/registry.ts): exact, correct, format, tag_count. */
  rewards?: { name: string; weight?: number }[];
  /** The trainer's config (GrpoConfig / SftConfig / DpoConfig fields). */
  trainer?: Record<string, unknown>;
}

const TRAINERS = ["grpo", "sft", "dpo"] as const;

/** The train file's template for checkConfig; dataset and trainer are checked by their own readers. */
const TRAIN_FILE_FIELDS = { model: "", dataset: anyValue, rewards: [], trainer: anyValue };
/** Each trainer's resolver, run before the backend starts so that a typo fails first. */
const RESOLVERS = { grpo: resolveGrpoConfig, sft: resolveSftConfig, dpo: resolveDpoConfig };

function bad(field: string, value: unknown, fix: string): never {
  throw new UsageError(`rftlab train: config field ${field} = ${JSON.stringify(value)} is invalid; ${fix}`);
}

function readRows(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) bad("dataset.jsonl", file, "the file does not exist; give a JSONL file of rows, one JSON object per line");
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return bad(`dataset.jsonl line ${i + 1}`, line.slice(0, 60), "each line must be one JSON object");
      }
    });
}

/** A bundled task dataset's own fields and their defaults; the task's difficulty options come on top. */
const TASK_DATASET_DEFAULTS = { seed: 0, style: "answer" as TaskStyle, nTrain: 256, nTest: 64 };
const DATASET_FIELD = "rftlab train: config.dataset";

function loadRows(ds: TrainFileConfig["dataset"], base: string): { rows: Record<string, unknown>[]; task?: string } {
  if (typeof ds !== "object" || ds === null) bad("dataset", ds, 'give {"task": "add", ...} or {"jsonl": "rows.jsonl"}');
  if ("jsonl" in ds) {
    checkConfig(DATASET_FIELD, ds, { jsonl: "" });
    return { rows: readRows(path.resolve(base, String(ds.jsonl))) };
  }
  const task = String(ds.task);
  let difficulty: Record<string, number> = {};
  try {
    difficulty = getTask(task).defaults;
  } catch (e) {
    bad("dataset.task", ds.task, (e as Error).message);
  }
  // A typo (`digts`, `n_train`) fails with the field it meant instead of generating the default difficulty.
  checkConfig(DATASET_FIELD, ds, { task: "", ...TASK_DATASET_DEFAULTS, ...difficulty });
  const { task: _task, ...given } = ds as TaskDataset;
  const options = { ...TASK_DATASET_DEFAULTS, ...given } as typeof TASK_DATASET_DEFAULTS & Record<string, number>;
  if (!TASK_STYLES.includes(options.style)) bad("dataset.style", options.style, `use one of ${TASK_STYLES.join(", ")}`);
  const { train } = taskSplits(task, options);
  return { rows: train.map((e) => ({ prompt: e.prompt, answer: e.answer, completion: e.target })), task };
}

function buildRewards(specs: TrainFileConfig["rewards"], task: string | undefined): WeightedReward[] {
  if (!Array.isArray(specs) || specs.length === 0)
    bad("rewards", specs, `grpo needs a list like [{"name": "correct", "weight": 1}]; names: ${rewardNames().join(", ")}`);
  return specs.map((s, i) => {
    checkConfig(`rftlab train: config field rewards[${i}]`, s, { name: "", weight: 1 });
    const weight = s.weight ?? 1;
    if (!Number.isFinite(weight)) bad(`rewards[${i}].weight`, s.weight, "use a finite number");
    try {
      return { name: s.name, fn: getReward(s.name).create({ task }), weight };
    } catch (e) {
      return bad(`rewards[${i}].name`, s.name, (e as Error).message);
    }
  });
}

/** The run's model and dataset as config.json saves them (absolute paths: a resume may start elsewhere); the trainer adds the rows' hash and the rewards. */
function runConfigOf(cfg: TrainFileConfig, base: string) {
  const dataset = "jsonl" in cfg.dataset ? { jsonl: path.resolve(base, String(cfg.dataset.jsonl)) } : cfg.dataset;
  return { model: runModelName(cfg.model, base), dataset };
}

const train: Command = {
  name: "train",
  summary:
    "Fine-tune a model with GRPO, SFT or DPO from a JSON config ({model, dataset, rewards, trainer}); writes config.json, " +
    "metrics.jsonl, completions.jsonl and checkpoints/ under --out. Progress goes to stderr.",
  positionals: ["trainer"],
  flags: {
    config: { type: "string", help: "train config JSON file" },
    out: { type: "string", help: "run folder" },
    resume: { type: "boolean", help: "continue from the newest checkpoint in --out (same config)" },
    backend: { type: "string", help: "tensor backend (else RFTLAB_BACKEND, else auto)", choices: BACKEND_CHOICES },
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(args) {
    const trainer = args.positionals[0];
    if (!TRAINERS.includes(trainer as (typeof TRAINERS)[number]))
      throw new UsageError(`rftlab train: trainer must be one of ${TRAINERS.join(", ")}; got "${trainer ?? ""}"`);
    const file = args.flags.config as string | undefined;
    const out = args.flags.out as string | undefined;
    if (!file) throw new UsageError("rftlab train: --config <file.json> is required");
    if (!out) throw new UsageError("rftlab train: --out <run-dir> is required");
    checkOutFolder("train", "out", out);
    const cfg = readJsonFile<TrainFileConfig>(file, "train config");
    const base = path.dirname(path.resolve(file));
    checkConfig("rftlab train: config", cfg, TRAIN_FILE_FIELDS);
    const trainerCfg = cfg.trainer === undefined ? {} : cfg.trainer;
    const resolved = RESOLVERS[trainer as (typeof TRAINERS)[number]](trainerCfg);
    const { rows, task } = loadRows(cfg.dataset, base);
    const need = trainer === "sft" ? ["prompt", "completion"] : trainer === "dpo" ? ["prompt", "chosen", "rejected"] : ["prompt"];
    const missing = need.find((k) => typeof rows[0]?.[k] !== "string");
    if (missing)
      bad(
        "dataset",
        cfg.dataset,
        `${trainer} needs rows with a string "${missing}"${task ? " (bundled tasks give prompt, answer, completion; use a JSONL file for dpo)" : ""}`,
      );
    const rewards = trainer === "grpo" ? buildRewards(cfg.rewards, task) : [];
    await initBackend(args.flags.backend as string | undefined);
    const { model, tokenizer, dir } = await openModelSource(cfg.model, base, "rftlab train: config field model");
    const codec = textCodec(tokenizer);
    const options = {
      runDir: out,
      resume: Boolean(args.flags.resume),
      runConfig: runConfigOf(cfg, base),
      // model.json only once the folder is locked and its config checked: a refused run must not rewrite another's
      onOpen: (runDir: string) => recordRunModel(runDir, cfg.model, base),
      onStep: (s: number, m: StepMetrics) =>
        process.stderr.write(
          `step ${s} loss ${m.loss.toFixed(4)}${m.reward !== undefined ? ` reward ${m.reward.toFixed(3)}` : ""} ${m.step_time.toFixed(2)} s\n`,
        ),
    };
    // DPO, and GRPO with a KL term (loss.beta > 0), need the frozen reference: the starting weights.
    const needsReference = trainer === "dpo" || ("loss" in resolved && resolved.loss.beta > 0);
    let run: RunResult;
    try {
      const ref = needsReference ? await loadModel(dir) : undefined;
      const reference = ref && ((ids: Parameters<typeof ref.forward>[0]) => ref.forward(ids));
      try {
        if (trainer === "grpo")
          run = await grpoTrain({ model, tokenizer: codec, data: rows as PromptRow[], rewards, config: trainerCfg, reference, options });
        else if (trainer === "sft")
          run = await sftTrain({
            model,
            tokenizer: codec,
            data: rows as { prompt: string; completion: string }[],
            config: trainerCfg,
            options,
          });
        else
          run = await dpoTrain({
            model,
            tokenizer: codec,
            data: rows as { prompt: string; chosen: string; rejected: string }[],
            config: trainerCfg,
            reference: reference!,
            options,
          });
      } finally {
        ref?.dispose();
      }
    } finally {
      model.dispose();
    }
    const last = run.history[run.history.length - 1] ?? {};
    const summary = { out, trainer, steps: run.history.length, resumed_from: run.startStep, ...last };
    emit(Boolean(args.flags.json), summary, () =>
      formatTable(
        ["key", "value"],
        Object.entries(summary).map(([k, v]) => [k, typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : v]),
      ),
    );
  },
};
export default train;
