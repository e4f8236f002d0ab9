// General-ability retention after fine-tuning (spec/analyses.md §2): held-out perplexity on the pretraining
// corpus, and how far the fine-tuned policy moved from the base, KL(π_ft ‖ π_base), on its own completions.
import { tf } from "../tensor/tf";
import { RftlabError } from "../errors";
import { corpusLoss, type EvalCodec, type Transformer } from "../model";
import { sliceTokenIds } from "../model/token-ids";
import { generate, packSequences, disposeBatch, type TextDecoder } from "../sampling";

/**
 * Per-position KL(p ‖ q) = Σ_v p(v)·(log p(v) − log q(v)) between the softmaxes of two logit tensors.
 * @param logitsP [B, T, V]  @param logitsQ [B, T, V]
 * @returns [B, T] (nats); the caller owns it, inputs are not disposed.
 */
export function tokenKl(logitsP: tf.Tensor3D, logitsQ: tf.Tensor3D): tf.Tensor2D {
  if (logitsP.shape.join(",") !== logitsQ.shape.join(",")) {
    throw new RftlabError(
      `tokenKl: logitsP [${logitsP.shape}] and logitsQ [${logitsQ.shape}] must have the same shape; pass both models' logits on the same ids`,
    );
  }
  return tf.tidy(() => {
    const lp = tf.logSoftmax(logitsP); // [B, T, V]
    const lq = tf.logSoftmax(logitsQ); // [B, T, V]
    return tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), -1) as tf.Tensor2D; // [B, T]
  });
}

/** How completions are drawn for klToBase. JSON-serialisable; saved with results. */
export interface KlToBaseConfig {
  /** Sampling temperature of π_ft's completions; default 1 (samples from π_ft itself). The KL is always of the models' own (temperature-1) distributions. */
  temperature: number;
  /** Completion length cap in tokens; default 32. */
  maxNewTokens: number;
  /** Seed of the sampler; default 0 (same seed, same completions). */
  seed: number;
  /** Token ids that end a completion (counted: π_ft chose them); default []. */
  stopTokenIds: number[];
  /** Strings that end a completion (need `tokenizer`); default ["\n"] (the instruct format's end). */
  stopStrings: string[];
  /** Completions scored per forward pass; default 16. */
  batchSize: number;
}

export const DEFAULT_KL_TO_BASE_CONFIG: KlToBaseConfig = {
  temperature: 1,
  maxNewTokens: 32,
  seed: 0,
  stopTokenIds: [],
  stopStrings: ["\n"],
  batchSize: 16,
};

export interface KlToBase {
  /** Mean over all counted completion tokens (pooled, token-weighted) of KL(π_ft(·|prefix) ‖ π_base(·|prefix)), nats. */
  meanKl: number;
  /** Completion tokens counted. */
  tokens: number;
  completions: number;
  config: KlToBaseConfig;
}

/**
 * Mean per-token KL(π_ft ‖ π_base) on completions sampled from the fine-tuned model, one per prompt
 * (direction: expectation under π_ft, as the KL penalty of RLHF/GRPO). At every completion position, the
 * stop token included and padding excluded, the exact KL between the two next-token distributions given
 * the same prefix is taken — not the one-sample estimate log π_ft(y) − log π_base(y). 0 when ft = base.
 * @param prompts token ids of held-out prompts
 */
export async function klToBase(
  finetuned: Transformer,
  base: Transformer,
  prompts: number[][],
  config: Partial<KlToBaseConfig> = {},
  opts: { tokenizer?: TextDecoder } = {},
): Promise<KlToBase> {
  const cfg = { ...DEFAULT_KL_TO_BASE_CONFIG, ...config };
  if (!Number.isInteger(cfg.batchSize) || cfg.batchSize < 1)
    throw new RftlabError(`klToBase: batchSize must be an integer ≥ 1; got ${cfg.batchSize}`);
  if (finetuned.config.vocabSize !== base.config.vocabSize) {
    throw new RftlabError(
      `klToBase: the fine-tuned model's vocabulary (${finetuned.config.vocabSize}) differs from the base's (${base.config.vocabSize}); compare a model with its own base`,
    );
  }
  const { batchSize, ...sample } = cfg;
  const g = await generate(finetuned, prompts, { ...sample, numGenerations: 1 }, { tokenizer: opts.tokenizer });
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < g.promptIds.length; i += batchSize) {
    const rows = g.completionIds
      .slice(i, i + batchSize)
      .map((c, k) => ({ p: g.promptIds[i + k], c }))
      .filter((r) => r.c.length > 0);
    if (rows.length === 0) continue;
    const b = packSequences(
      rows.map((r) => r.p),
      rows.map((r) => r.c),
    );
    const total = tf.tidy(() => {
      const L = b.ids.shape[1];
      const x = sliceTokenIds(b.ids, [0, 0], [-1, L - 1]); // [N, L−1]
      return tf.sum(tf.mul(tokenKl(finetuned.forward(x), base.forward(x)), b.mask)); // scalar
    });
    sum += (await total.data())[0];
    tokens += b.activeTokens;
    total.dispose();
    disposeBatch(b);
  }
  if (tokens === 0) throw new RftlabError("klToBase: every sampled completion is empty; raise maxNewTokens");
  return { meanKl: sum / tokens, tokens, completions: g.promptIds.length, config: cfg };
}

export interface RetentionOptions {
  /** Tokenizer: encode for the corpus and prompts' side, decode for stop strings, eosId between documents. */
  codec: EvalCodec & TextDecoder;
  /** Held-out documents of the pretraining corpus. */
  corpus: string[];
  /** Held-out prompts (text) for the KL. */
  prompts: string[];
  corpusOptions?: { contextLength?: number; maxWindows?: number; batchSize?: number };
  kl?: Partial<KlToBaseConfig>;
}

export interface Retention {
  /** Mean next-token loss on the held-out corpus (nats/token). */
  corpusLoss: number;
  /** exp(corpusLoss). */
  corpusPerplexity: number;
  /** Mean per-token KL(π_ft ‖ π_base) on π_ft's completions of the held-out prompts (nats). */
  klToBase: number;
  klTokens: number;
}

/** Corpus perplexity of the fine-tuned model and its KL to the base: one retention row per stage. */
export async function retention(finetuned: Transformer, base: Transformer, o: RetentionOptions): Promise<Retention> {
  const loss = await corpusLoss(finetuned, o.codec, o.corpus, o.corpusOptions);
  const kl = await klToBase(
    finetuned,
    base,
    o.prompts.map((p) => o.codec.encode(p)),
    o.kl,
    { tokenizer: o.codec },
  );
  return { corpusLoss: loss, corpusPerplexity: Math.exp(loss), klToBase: kl.meanKl, klTokens: kl.tokens };
}
