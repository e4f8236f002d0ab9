// The pretrained tiny model every RL notebook and learning test starts from: pretrained once from the
// bundled datasets/pretrain-tiny.json into a cache folder keyed by a hash of the config and of the code
// that trains it (PRETRAIN_CODE_FILES), then reused.
import path from "node:path";
import { createHash } from "node:crypto";
import { readJsonFile } from "../io";
import { bundledDatasetsDir } from "../io/corpus";
import { loadTokenizer, type Tokenizer } from "../io/tokenizer";
import { isFinishedModelFolder } from "../io/pretrain-files";
import { withDirLock } from "../io/dir-lock";
import { hashFiles } from "../io/code-hash";
import { loadModel } from "./checkpoint";
import type { Transformer } from "./transformer";
import { pretrain, type PretrainConfig, type PretrainProgress } from "./pretrain";

export interface PretrainedTinyOptions {
  /** Reduced pretraining (FAST_PRETRAIN_OVERRIDES) for fast mode and tests. Default: RFTLAB_FAST=1. */
  fast?: boolean;
  /** Cache root; default RFTLAB_CACHE, else `.rftlab-cache/` in the repository root. */
  cacheDir?: string;
  onProgress?: (p: PretrainProgress) => void;
}

export interface PretrainedTiny {
  /** The caller disposes it. */
  model: Transformer;
  tokenizer: Tokenizer;
  /** Hugging Face model folder inside the cache. */
  dir: string;
  config: PretrainConfig;
  /** True when the folder already existed (no pretraining ran). */
  cached: boolean;
}

/** Fast mode: fewer steps of the same recipe (the model still learns the task formats, less well). */
export const FAST_PRETRAIN_OVERRIDES: Readonly<Partial<PretrainConfig>> = Object.freeze({ steps: 120, evalEvery: 40, checkpointEvery: 20 });

/** RFTLAB_CACHE, else `.rftlab-cache/` beside datasets/ (git-ignored). */
export function rftlabCacheDir(): string {
  return process.env.RFTLAB_CACHE ?? path.resolve(bundledDatasetsDir(), "..", ".rftlab-cache");
}

/** The bundled pretraining config (relative corpus/tokenizer names kept, so the hash is machine-independent). */
export function pretrainedTinyConfig(fast: boolean): PretrainConfig {
  const file = path.join(bundledDatasetsDir(), "pretrain-tiny.json");
  const base = readJsonFile<PretrainConfig>(file, "pretrain config");
  return fast ? { ...base, ...FAST_PRETRAIN_OVERRIDES } : base;
}

/**
 * The compiled files (beside this one, relative to lib/) whose code decides the pretrained weights: the
 * training loop, model, initialisation, optimiser, gradient clipping, schedule, tokenizer, corpus reader and
 * random numbers. Their bytes are part of the cache key, so a change there retrains instead of reusing a
 * model the old code made. Backend kernels are left out: they change results only in the last bits.
 */
export const PRETRAIN_CODE_FILES: readonly string[] = [
  "model/pretrain",
  "model/pretrained",
  "model/create",
  "model/params",
  "model/config",
  "model/transformer",
  "model/checkpoint",
  "tensor/optim",
  "tensor/grads",
  "tensor/lr-schedule",
  "tensor/fused-ops",
  "io/tokenizer",
  "io/corpus",
  "base/random",
];

/** Cache folder name of a pretraining config built by the code under `libRoot` (default: this build's lib/). */
export function pretrainedTinyKey(config: PretrainConfig, libRoot = path.join(__dirname, "..")): string {
  const ext = path.extname(__filename); // ".js" compiled, ".ts" under a TypeScript loader
  const code = hashFiles(
    libRoot,
    PRETRAIN_CODE_FILES.map((f) => f + ext),
  );
  const hash = createHash("sha256").update(JSON.stringify(config)).update(code).digest("hex").slice(0, 12);
  return `pretrained-tiny-${hash}`;
}

/**
 * Loads the pretrained tiny model from the cache, pretraining it first if absent (a killed pretraining
 * resumes from its checkpoint). The folder name holds a hash of the config and of PRETRAIN_CODE_FILES, so
 * editing datasets/pretrain-tiny.json or the training code retrains instead of reusing a stale model.
 */
export async function ensurePretrainedTiny(opts: PretrainedTinyOptions = {}): Promise<PretrainedTiny> {
  const fast = opts.fast ?? process.env.RFTLAB_FAST === "1";
  const config = pretrainedTinyConfig(fast);
  const dir = path.join(opts.cacheDir ?? rftlabCacheDir(), pretrainedTinyKey(config));
  const cached = isFinishedModelFolder(dir);
  if (!cached) {
    const datasets = bundledDatasetsDir();
    const resolved = {
      ...config,
      corpus: path.resolve(datasets, config.corpus ?? "tiny-corpus"),
      tokenizer: path.resolve(datasets, config.tokenizer ?? "tiny-tokenizer"),
    };
    // One builder per entry: another process pretraining the same model finishes first and this one reuses it.
    const built = await withDirLock(`${dir}.lock`, async () =>
      isFinishedModelFolder(dir) ? undefined : pretrain(resolved, { out: dir, resume: true, onProgress: opts.onProgress }),
    );
    // A fresh build and a cache hit must give the same model: both are read back from the folder.
    built?.model.dispose();
  }
  return { model: await loadModel(dir), tokenizer: loadTokenizer(dir), dir, config, cached };
}
