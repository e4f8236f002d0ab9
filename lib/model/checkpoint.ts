import path from "node:path";
import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { CheckpointError, openCheckpoint, readJsonFile, writeFileAtomic, writeShardedSafetensors } from "../io";
import { configFromHf, configToHf, type ModelConfig } from "./config";
import { closestName } from "../errors";
import { paramSpecs } from "./params";
import { Transformer } from "./transformer";

export type SaveDtype = "F32" | "BF16" | "F16";
const TORCH_DTYPE = { F32: "float32", BF16: "bfloat16", F16: "float16" } as const;
/** transformers' default max_shard_size. */
const MAX_SHARD_BYTES = 5 * 2 ** 30;

/** Checkpoint tensors that are not parameters: GPT-2's causal-mask buffers, old Llama rotary caches. */
const IGNORED = /(^|\.)attn\.(bias|masked_bias)$|rotary_emb\.inv_freq$/;

/** Maps a checkpoint tensor name to rftlab's parameter name, or undefined to skip it. */
function paramNameFor(name: string, c: ModelConfig): string | undefined {
  if (IGNORED.test(name)) return undefined;
  if (c.family === "gpt2" && name.startsWith("transformer.")) name = name.slice("transformer.".length);
  // Some tied checkpoints still carry a copy of the head.
  if (c.tieEmbeddings && name === "lm_head.weight") return undefined;
  return name;
}

function configIn(dir: string): ModelConfig {
  const file = path.join(dir, "config.json");
  return configFromHf(readJsonFile<Record<string, unknown>>(file, "config.json"), file);
}

/** The config of a checkpoint loadModel takes, reading no weights (no backend needed): to check input before loading. */
export async function readModelConfig(folder: string): Promise<ModelConfig> {
  const ckpt = await openCheckpoint(folder);
  try {
    return configIn(ckpt.dir);
  } finally {
    await ckpt.close();
  }
}

/**
 * Loads a Hugging Face checkpoint folder: config.json plus model.safetensors or a sharded index, any float
 * dtype (decoded to float32). Also takes anything openCheckpoint resolves (hub cache folders, "org/name").
 */
export async function loadModel(folder: string): Promise<Transformer> {
  const ckpt = await openCheckpoint(folder);
  const params = new Map<string, tf.Variable>();
  try {
    const config = configIn(ckpt.dir);
    const specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
    // Check every tensor first, then create the variables in createModel's order, not the file's: tfjs keys
    // gradients by variable id (creation order) and the global-norm clip sums in that order, so only then does
    // a loaded model train bit for bit like the one that wrote it.
    const sources = new Map<string, string>();
    for (const info of ckpt.tensors()) {
      const name = paramNameFor(info.name, config);
      if (name === undefined) continue;
      const spec = specs.get(name);
      if (!spec) {
        const near = closestName(name, specs.keys());
        throw new CheckpointError(
          info.file,
          `tensor "${info.name}" is not a parameter of a ${config.family} model with this config.json`,
          near ? `closest parameter: "${near}"` : undefined,
        );
      }
      if (sources.has(name)) throw new CheckpointError(info.file, `tensor "${info.name}" appears twice (as "${name}")`);
      if (info.shape.join() !== spec.shape.join()) {
        throw new CheckpointError(
          info.file,
          `tensor "${info.name}" has shape [${info.shape}] but config.json implies [${spec.shape}]`,
          "check hidden_size / num_heads / vocab_size in config.json",
        );
      }
      sources.set(name, info.name);
    }
    const missing = [...specs.keys()].filter((n) => !sources.has(n));
    if (missing.length > 0) {
      throw new CheckpointError(
        ckpt.path,
        `missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`,
        config.tieEmbeddings ? undefined : "if the head shares the embedding, set tie_word_embeddings: true in config.json",
      );
    }
    for (const [name, spec] of specs) {
      const t = tf.tensor(await ckpt.readFloat32(sources.get(name)!), spec.shape, "float32");
      params.set(name, tf.variable(t, true));
      t.dispose();
    }
    return new Transformer(config, params);
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  } finally {
    await ckpt.close();
  }
}

/**
 * Writes config.json and model.safetensors (sharded above 5 GiB) that HF transformers loads; each file is
 * written atomically. dtype: F32 (default), BF16 or F16 (rounded to nearest even).
 */
export async function saveModel(m: Transformer, folder: string, opts: { dtype?: SaveDtype } = {}): Promise<void> {
  const dtype = opts.dtype ?? "F32";
  if (!(dtype in TORCH_DTYPE)) throw new RftlabError(`saveModel: dtype must be F32, BF16 or F16; got ${JSON.stringify(dtype)}`);
  const tensors = [];
  for (const [name, p] of m.params) tensors.push({ name, dtype, shape: p.shape, data: (await p.data()) as Float32Array });
  await writeShardedSafetensors(folder, tensors, { maxShardBytes: MAX_SHARD_BYTES });
  await writeFileAtomic(path.join(folder, "config.json"), JSON.stringify(configToHf(m.config, TORCH_DTYPE[dtype]), null, 2) + "\n");
}
