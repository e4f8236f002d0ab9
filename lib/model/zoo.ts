// The model zoo: small models built from bundled recipes (datasets/zoo/<name>/recipe.json) and committed
// with their card (hashes, held-out numbers) so tests and notebooks never pay for pretraining.
// Builders live in lib/rl/zoo-build.ts (`rftlab models build <name>`); this file only finds and loads.
import path from "node:path";
import { createHash } from "node:crypto";
import { RftlabError, closestName } from "../errors";
import { readJsonFile } from "../io";
import { fileExists, listZooFolders, sha256File, zooRoot } from "../io/zoo-files";
import { loadTokenizer, type Tokenizer } from "../io/tokenizer";
import { isFinishedModelFolder } from "../io/pretrain-files";
import { loadModel } from "./checkpoint";
import type { Transformer } from "./transformer";
import type { PretrainConfig } from "./pretrain";

/** A task of the instruct mix: taskSplits options (the test split is the held-out set). */
export interface ZooTask {
  task: string;
  /** Difficulty options of the task (e.g. {"digits": 2}). */
  options: Record<string, number>;
  /** Share of the SFT mix relative to the other tasks (default 1): weight × split.nTrain training examples. */
  weight?: number;
}

interface RecipeCommon {
  name: string;
  description: string;
  /** Storage of the committed weights (BF16 halves the size; training reads them back as float32). */
  dtype: "BF16" | "F32";
}

/**
 * Pretraining from scratch: on a corpus folder (pretrain.corpus, relative to datasets/), or on a corpus
 * generated at build time from `corpus` (CorpusConfig of lib/tasks/corpus.ts: seed, chars, englishFraction…).
 */
export interface PretrainRecipe extends RecipeCommon {
  kind: "pretrain";
  corpus?: Record<string, unknown>;
  pretrain: PretrainConfig;
}

/**
 * SFT from a parent zoo model on a task mix in the instruct format: prompt `Question: …\n`, completion
 * `"{answer}\n"` then the eos token (so sampling stops at eos as well as at the line end).
 */
export interface SftRecipe extends RecipeCommon {
  kind: "sft";
  parent: string;
  tasks: ZooTask[];
  /** taskSplits arguments shared by every task: seed, training examples per task, held-out prompts per task. */
  split: { seed: number; nTrain: number; nTest: number };
  /** SftConfig fields (lib/rl/supervised-train.ts). */
  sft: Record<string, unknown>;
  /** Held-out evaluation written to the card: samples per prompt and sampling seed (temperature 1). */
  eval: { samples: number; seed: number };
}

export type ZooRecipe = PretrainRecipe | SftRecipe;

/** Held-out accuracy of one task: `samples` completions for each of `prompts` prompts, Wilson 95% CI. */
export interface ZooTaskScore {
  task: string;
  accuracy: number;
  ci95: [number, number];
  prompts: number;
  samples: number;
}

/** What a build measured; committed as datasets/zoo/<name>/card.json. */
export interface ZooCard {
  name: string;
  parameters: number;
  dtype: string;
  /** zooRecipeHash at build time: a different current hash means the weights are stale. */
  recipeSha256: string;
  /** sha256 of model/model.safetensors. */
  weightsSha256: string;
  /** Pretraining: final held-out loss (nats/token); SFT: held-out accuracy per task. */
  heldOut: { evalLoss?: number; tasks?: ZooTaskScore[] };
  /** Training throughput of the build (prompt + completion tokens per second of its training stage). */
  tokensPerSecond: number;
  buildSeconds: number;
  command: string;
}

export interface ZooModel {
  /** The caller disposes it. */
  model: Transformer;
  tokenizer: Tokenizer;
  /** The Hugging Face model folder. */
  dir: string;
  recipe: ZooRecipe;
  card: ZooCard;
}

/** Names of the bundled zoo models. */
export function zooNames(): string[] {
  return listZooFolders();
}

/** datasets/zoo/<name>/ (the name must exist). */
export function zooFolder(name: string): string {
  const names = zooNames();
  if (!names.includes(name)) {
    const hint = closestName(name, names);
    throw new RftlabError(
      `unknown zoo model "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; zoo models: ${names.join(", ") || "(none)"}`,
    );
  }
  return path.join(zooRoot(), name);
}

/** The model folder inside the zoo entry. */
export function zooModelDir(name: string): string {
  return path.join(zooFolder(name), "model");
}

export function zooRecipe(name: string): ZooRecipe {
  const r = readJsonFile<ZooRecipe>(path.join(zooFolder(name), "recipe.json"), "zoo recipe");
  if (r.name !== name) throw new RftlabError(`datasets/zoo/${name}/recipe.json: name is ${JSON.stringify(r.name)}; set it to "${name}"`);
  if (r.kind !== "pretrain" && r.kind !== "sft")
    throw new RftlabError(`zoo recipe ${name}: kind must be "pretrain" or "sft"; got ${JSON.stringify((r as { kind: unknown }).kind)}`);
  return r;
}

/** sha256 of the recipe and, for SFT, of its parent's recipe hash: editing any ancestor changes it. */
export function zooRecipeHash(name: string): string {
  const r = zooRecipe(name);
  const parent = r.kind === "sft" ? zooRecipeHash(r.parent) : "";
  return createHash("sha256")
    .update(JSON.stringify(r) + parent)
    .digest("hex");
}

export function zooCard(name: string): ZooCard | undefined {
  const file = path.join(zooFolder(name), "card.json");
  return fileExists(file) ? readJsonFile<ZooCard>(file, "zoo card") : undefined;
}

/** Why the committed weights of `name` cannot be used as they are, or undefined when they can. */
export function zooStaleReason(name: string): string | undefined {
  const card = zooCard(name);
  const dir = zooModelDir(name);
  if (!card || !isFinishedModelFolder(dir)) return `zoo model "${name}" is not built`;
  if (card.recipeSha256 !== zooRecipeHash(name)) return `the recipe of "${name}" (or of its parent) changed after its weights were built`;
  if (sha256File(path.join(dir, "model.safetensors")) !== card.weightsSha256)
    return `datasets/zoo/${name}/model/model.safetensors does not match the hash in its card`;
  return undefined;
}

/** Loads a zoo model by name; throws (with the command that rebuilds it) when it is missing or stale. */
export async function loadZooModel(name: string): Promise<ZooModel> {
  const recipe = zooRecipe(name);
  const stale = zooStaleReason(name);
  if (stale) throw new RftlabError(`loadZooModel: ${stale}; run \`rftlab models build ${name}\``);
  const dir = zooModelDir(name);
  return { model: await loadModel(dir), tokenizer: loadTokenizer(dir), dir, recipe, card: zooCard(name)! };
}
