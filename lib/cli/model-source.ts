// What `<model>` means on the command line (rftlab train's "model", rftlab eval's positional): a zoo name,
// a model folder, or a run folder (its newest checkpoint over the base model the run recorded).
import fs from "node:fs";
import path from "node:path";
import { tf } from "../tensor";
import { openCheckpoint, RunDir, writeFileAtomic } from "../io";
import { loadTokenizer, type Tokenizer } from "../io/tokenizer";
import { ensurePretrainedTiny, loadModel, loadZooModel, zooNames, type Transformer } from "../model";
import { UsageError } from "./command";

export interface OpenedModel {
  model: Transformer;
  tokenizer: Tokenizer;
  /** The model folder (for a run: the base model's folder). */
  dir: string;
}

/** File in a run folder naming the model the run started from (written by `rftlab train`). */
export const RUN_MODEL_FILE = "model.json";

/** Names resolveZooModel knows. */
export const ZOO_NAMES = ["pretrained-tiny", ...zooNames()];

/**
 * A model by zoo name (lib/model/zoo.ts loadZooModel: tiny-base, tiny-instruct; or the cached
 * "pretrained-tiny"), or undefined when `name` is not one.
 */
export async function resolveZooModel(name: string): Promise<OpenedModel | undefined> {
  if (zooNames().includes(name)) {
    const z = await loadZooModel(name);
    return { model: z.model, tokenizer: z.tokenizer, dir: z.dir };
  }
  if (name !== "pretrained-tiny") return undefined;
  const p = await ensurePretrainedTiny({
    onProgress: (q) => q.step % 20 === 0 && process.stderr.write(`pretraining the tiny model: step ${q.step}/${q.totalSteps}\n`),
  });
  return { model: p.model, tokenizer: p.tokenizer, dir: p.dir };
}

/** The model `spec` as a run records it: a zoo name, or the folder as an absolute path. */
export function runModelName(spec: string, base: string): string {
  return ZOO_NAMES.includes(spec) ? spec : path.resolve(base, spec);
}

/** Writes `<runDir>/model.json` so that the run folder can be opened as a model later. */
export async function recordRunModel(runDir: string, spec: string, base: string): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_MODEL_FILE), JSON.stringify({ model: runModelName(spec, base) }) + "\n");
}

/**
 * Opens `spec`: a zoo name, a model folder (config.json + weights + tokenizer.json) or a run folder (the
 * newest checkpoint's trainable.safetensors applied to the base model in its model.json). Relative folders
 * resolve against `base`. Throws UsageError (`<who> = "…" …; fix`) for anything else.
 */
export async function openModelSource(spec: string, base: string, who: string): Promise<OpenedModel> {
  const fail = (why: string): never => {
    throw new UsageError(`${who} = ${JSON.stringify(spec)} ${why}`);
  };
  if (typeof spec !== "string" || spec === "")
    fail(`is invalid; give a model folder, a run folder or a zoo name (${ZOO_NAMES.join(", ")})`);
  const zoo = await resolveZooModel(spec);
  if (zoo) return zoo;
  const dir = path.resolve(base, spec);
  if (fs.existsSync(path.join(dir, "config.json")) && !fs.existsSync(path.join(dir, RUN_MODEL_FILE))) {
    return { model: await loadModel(dir), tokenizer: loadTokenizer(dir), dir };
  }
  if (!fs.existsSync(path.join(dir, RUN_MODEL_FILE))) {
    fail(
      `is neither a zoo name (${ZOO_NAMES.join(", ")}) nor a folder with config.json (a model) or ${RUN_MODEL_FILE} (a run of rftlab train): ${dir}`,
    );
  }
  const { model: baseSpec } = JSON.parse(fs.readFileSync(path.join(dir, RUN_MODEL_FILE), "utf8")) as { model: string };
  const latest = RunDir.newestCheckpoint(dir);
  if (!latest)
    fail(
      `is a run folder without a checkpoint yet (no ${path.join(dir, "latest")}); wait for the first save or evaluate its base model ${baseSpec}`,
    );
  const opened = await openModelSource(baseSpec, dir, who);
  const ckpt = await openCheckpoint(path.join(latest!.dir, "trainable.safetensors"));
  try {
    for (const t of ckpt.tensors()) {
      if (!opened.model.params.has(t.name)) {
        opened.model.dispose();
        fail(
          `holds ${t.name} in ${ckpt.path}, not a parameter of its base model (adapter checkpoints are not supported here); evaluate a merged model folder`,
        );
      }
      const p = opened.model.param(t.name);
      const value = tf.tensor(await ckpt.readFloat32(t.name), p.shape, p.dtype);
      p.assign(value); // assign copies: the temporary is ours to free
      value.dispose();
    }
  } finally {
    await ckpt.close();
  }
  return opened;
}
