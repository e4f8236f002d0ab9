// Builds a zoo model from its recipe (datasets/zoo/<name>/recipe.json) into datasets/zoo/<name>/model/
// and writes its card (hashes, held-out numbers, throughput). `rftlab models build <name>` runs this.
import path from "node:path";
import { RftlabError } from "../errors";
import { bundledDatasetsDir, writeCorpus, writeFileAtomicSync } from "../io";
import { copyTokenizerFiles, fileExists, readJsonLines, sha256File } from "../io/zoo-files";
import { isFinishedModelFolder } from "../io/pretrain-files";
import { loadModel, saveModel, loadZooModel, zooFolder, zooModelDir, zooRecipe, zooRecipeHash, type Transformer } from "../model";
import type { PretrainRecipe, SftRecipe, ZooCard, ZooTaskScore } from "../model";
import { pretrain } from "../model/pretrain";
import { loadTokenizer } from "../io/tokenizer";
import { generateCorpus, taskSplits, type TaskExample } from "../tasks";
import { sftTrain, type SftRow } from "./supervised-train";
import { taskAccuracy } from "./task-accuracy";
import { rftlabCacheDir } from "../model/pretrained";
import { textCodec, type TextCodec } from "../io/tokenizer";

export interface ZooBuildOptions {
  log?: (line: string) => void;
}

/** Train and held-out rows of each task of an SFT recipe (taskSplits: disjoint prompts). */
export function zooTaskSplits(recipe: SftRecipe): { task: string; weight: number; train: TaskExample[]; test: TaskExample[] }[] {
  return recipe.tasks.map(({ task, options, weight = 1 }) => {
    if (!(Number.isInteger(weight) && weight >= 1))
      throw new RftlabError(
        `zoo recipe ${recipe.name}: task "${task}" has weight ${weight}; use an integer ≥ 1 (its share of the SFT mix)`,
      );
    return { task, weight, ...taskSplits(task, { ...recipe.split, nTrain: weight * recipe.split.nTrain, style: "terse", ...options }) };
  });
}

/**
 * The SFT rows of a recipe: the tasks interleaved, `weight` rows of a task per round; the completion ends
 * with eos so an instruct model stops by itself (HF chat SFT).
 */
export function zooSftRows(recipe: SftRecipe, eos: string): SftRow[] {
  const splits = zooTaskSplits(recipe);
  return Array.from({ length: recipe.split.nTrain }, (_, i) => splits.flatMap((s) => s.train.slice(i * s.weight, (i + 1) * s.weight)))
    .flat()
    .map((e) => ({ prompt: e.prompt, completion: `${e.answer}\n${eos}` }));
}

/** Held-out accuracy of `model` on every task of the recipe (the card's numbers). */
export async function zooHeldOut(model: Transformer, codec: TextCodec, recipe: SftRecipe): Promise<ZooTaskScore[]> {
  const out: ZooTaskScore[] = [];
  for (const { task, test } of zooTaskSplits(recipe)) {
    const a = await taskAccuracy(model, codec, task, test, recipe.eval);
    out.push({ task, accuracy: a.accuracy, ci95: a.ci95, prompts: a.prompts, samples: a.samples });
  }
  return out;
}

async function pretrainStage(recipe: PretrainRecipe, hash: string, log: (l: string) => void) {
  const work = path.join(rftlabCacheDir(), "zoo-build", `${recipe.name}-${hash.slice(0, 12)}`);
  const datasets = bundledDatasetsDir();
  const corpus = recipe.corpus ? path.join(work, "corpus") : path.resolve(datasets, recipe.pretrain.corpus ?? "tiny-corpus");
  const cfg = { ...recipe.pretrain, corpus, tokenizer: path.resolve(datasets, recipe.pretrain.tokenizer ?? "tiny-tokenizer") };
  if (!isFinishedModelFolder(work)) {
    if (recipe.corpus) writeCorpus(corpus, generateCorpus(recipe.corpus)); // deterministic: same config, same documents
    const r = await pretrain(cfg, {
      out: work,
      resume: true,
      progress: false, // logged below
      onProgress: (p) => p.step % 20 === 0 && log(`pretrain step ${p.step}/${p.totalSteps} ${p.tokensPerSecond.toFixed(0)} tok/s`),
    });
    r.model.dispose();
  }
  const metrics = readJsonLines<{ eval_loss?: number; num_tokens: number; step_time: number }>(path.join(work, "metrics.jsonl"));
  const evalLoss = metrics.filter((m) => m.eval_loss !== undefined).pop()?.eval_loss;
  // num_tokens is cumulative; step_time excludes evaluation and checkpoints
  const tokensPerSecond = metrics[metrics.length - 1].num_tokens / metrics.reduce((t, m) => t + m.step_time, 0);
  return { model: await loadModel(work), tokenizerDir: work, heldOut: { evalLoss } as ZooCard["heldOut"], tokensPerSecond };
}

async function sftStage(recipe: SftRecipe, log: (l: string) => void) {
  const parent = await loadZooModel(recipe.parent);
  const codec = textCodec(parent.tokenizer);
  const eos = parent.tokenizer.decode([parent.tokenizer.eosId]);
  const data = zooSftRows(recipe, eos);
  const t0 = Date.now();
  const run = await sftTrain({
    model: parent.model,
    tokenizer: codec,
    data,
    config: recipe.sft,
    options: { onStep: (s, m) => s % 20 === 0 && log(`sft step ${s} loss ${m.loss.toFixed(4)}`) },
  });
  // tokens through the model (prompt + completion), as pretraining counts them
  const meanLength = data.reduce((n, r) => n + codec.encode(r.prompt).length + codec.encode(r.completion).length, 0) / data.length;
  const tokens = run.history.length * run.config.batchSize * meanLength;
  return { model: parent.model, tokenizerDir: parent.dir, heldOut: undefined, tokensPerSecond: tokens / ((Date.now() - t0) / 1000) };
}

/** Builds zoo model `name` (its parent must be built) and writes model/ and card.json; returns the card. */
export async function buildZooModel(name: string, opts: ZooBuildOptions = {}): Promise<ZooCard> {
  const log = opts.log ?? (() => {});
  const recipe = zooRecipe(name);
  const hash = zooRecipeHash(name);
  const t0 = Date.now();
  const stage = recipe.kind === "pretrain" ? await pretrainStage(recipe, hash, log) : await sftStage(recipe, log);
  const dir = zooModelDir(name);
  try {
    await saveModel(stage.model, dir, { dtype: recipe.dtype });
  } finally {
    stage.model.dispose();
  }
  copyTokenizerFiles(stage.tokenizerDir, dir);
  if (!fileExists(path.join(dir, "tokenizer.json")))
    throw new RftlabError(`buildZooModel(${name}): no tokenizer.json in ${stage.tokenizerDir}`);
  // The card's numbers are those of the stored (rounded) weights, as users load them.
  const stored = await loadModel(dir);
  const parameters = stored.numParams();
  let heldOut: ZooCard["heldOut"];
  try {
    heldOut = recipe.kind === "sft" ? { tasks: await zooHeldOut(stored, textCodec(loadTokenizer(dir)), recipe) } : stage.heldOut!;
  } finally {
    stored.dispose();
  }
  const card: ZooCard = {
    name,
    parameters,
    dtype: recipe.dtype,
    recipeSha256: hash,
    weightsSha256: sha256File(path.join(dir, "model.safetensors")),
    heldOut,
    tokensPerSecond: stage.tokensPerSecond,
    buildSeconds: (Date.now() - t0) / 1000,
    command: `rftlab models build ${name}`,
  };
  writeFileAtomicSync(path.join(zooFolder(name), "card.json"), JSON.stringify(card, null, 2) + "\n");
  return card;
}
