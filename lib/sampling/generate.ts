import { tf } from "../tensor/tf";
import type { Transformer } from "../model";
import { tokenIds } from "../model/token-ids";
import { generationBytes } from "../model/memory";
import { checkFits } from "../tensor/memory";
import { RftlabError } from "../errors";
import { createRng, type Rng } from "../base/random";
import { cancellationCheck } from "../base/cancel";
import { ensureBackend } from "../tensor/backend";
import { resolveSampleConfig, type SampleConfig } from "./config";
import { argmax, chooseToken } from "./filter";

/** What a sampler needs of a tokenizer: decoding for stop strings and texts. */
export interface TextDecoder {
  decode(ids: number[]): string;
}

/** One row per completion, prompt-major: the G completions of prompt i are rows i·G … i·G+G−1. */
export interface Generation {
  config: SampleConfig;
  /** Index of the prompt each row came from. */
  promptIndex: number[];
  promptIds: number[][];
  completionIds: number[][];
  /** log π(token) of each sampled token under logits / temperature (the behaviour / "old" log-probs). */
  logprobs: number[][];
  /** Completion lengths in tokens (stop token included). */
  lengths: number[];
  /** True where the completion hit maxNewTokens without a stop token or string. */
  truncated: boolean[];
  /** Decoded completions (cut after a stop string), when a tokenizer was given. */
  completions?: string[];
}

export interface GenerateOptions {
  tokenizer?: TextDecoder;
  /** Called after every decoding step with the number of finished rows. */
  onStep?: (step: number, finished: number, rows: number) => void;
  /** Stops sampling between two decoding steps when aborted (so does the kernel's interrupt); rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Samples `numGenerations` completions for each prompt with a KV cache.
 * Rows whose prompts have the same length decode together in one batch (no padding, so no attention
 * mask is needed); finished rows keep decoding padding that is dropped. Seeded: the same seed, model
 * and prompts give the same completions.
 */
export async function generate(
  model: Transformer,
  prompts: number[][],
  config: Partial<SampleConfig> = {},
  opts: GenerateOptions = {},
): Promise<Generation> {
  await ensureBackend();
  const cfg = resolveSampleConfig(config);
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new RftlabError(`generate: prompts must be a non-empty array of token-id arrays; got ${JSON.stringify(prompts)?.slice(0, 80)}`);
  }
  const V = model.config.vocabSize;
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new RftlabError(`generate: prompts[${i}] must be a non-empty array of token ids`);
    const bad = p.find((t) => !Number.isInteger(t) || t < 0 || t >= V);
    if (bad !== undefined) throw new RftlabError(`generate: prompts[${i}] has token ${bad} outside the vocabulary [0, ${V})`);
    if (p.length + cfg.maxNewTokens > model.config.maxPositions) {
      throw new RftlabError(
        `generate: prompts[${i}] has ${p.length} tokens + maxNewTokens ${cfg.maxNewTokens} > the model's ` +
          `maxPositions ${model.config.maxPositions}; shorten the prompt or lower maxNewTokens`,
      );
    }
  });
  const G = cfg.numGenerations;
  // Equal-length prompts decode as one batch of G completions each: the largest must fit, checked before
  // any row exists (G = 1e8 would otherwise fill the JS heap first, or abort wasm later).
  const perLength = new Map<number, number>();
  for (const p of prompts) perLength.set(p.length, (perLength.get(p.length) ?? 0) + G);
  const batch = Math.max(...perLength.values());
  const longest = Math.max(...perLength.keys());
  checkFits(
    `generate: a batch of ${batch} sequences (equal-length prompts × numGenerations ${G}) of up to ${longest} + ${cfg.maxNewTokens} tokens`,
    generationBytes(model.config, batch, longest + cfg.maxNewTokens),
    "lower numGenerations, the prompts per call (promptsPerStep) or maxNewTokens",
  );
  const promptIndex = prompts.flatMap((_, i) => Array<number>(G).fill(i));
  const rows = promptIndex.map((i) => ({
    prompt: prompts[i],
    ids: [] as number[],
    logp: [] as number[],
    done: false,
    stopped: false,
    text: undefined as string | undefined,
  }));
  const byLength = new Map<number, number[]>();
  rows.forEach((r, i) => byLength.set(r.prompt.length, [...(byLength.get(r.prompt.length) ?? []), i]));
  const rng = createRng(cfg.seed);
  const check = cancellationCheck(opts.signal, 50);
  for (const members of [...byLength.values()]) {
    await decodeGroup(
      model,
      members.map((i) => rows[i]),
      cfg,
      rng,
      opts,
      check,
    );
  }
  return {
    config: cfg,
    promptIndex,
    promptIds: rows.map((r) => r.prompt.slice()),
    completionIds: rows.map((r) => r.ids),
    logprobs: rows.map((r) => r.logp),
    lengths: rows.map((r) => r.ids.length),
    truncated: rows.map((r) => !r.stopped),
    completions: opts.tokenizer ? rows.map((r) => r.text ?? opts.tokenizer!.decode(r.ids)) : undefined,
  };
}

interface Row {
  prompt: number[];
  ids: number[];
  logp: number[];
  done: boolean;
  stopped: boolean;
  text: string | undefined;
}

async function decodeGroup(
  model: Transformer,
  group: Row[],
  cfg: SampleConfig,
  rng: Rng,
  opts: GenerateOptions,
  check: () => Promise<void>,
): Promise<void> {
  const N = group.length;
  const T = group[0].prompt.length;
  const cache = model.newCache(N, T + cfg.maxNewTokens);
  const stopIds = new Set(cfg.stopTokenIds);
  try {
    let input = tokenIds(
      group.flatMap((r) => r.prompt),
      [N, T],
    ); // [N, T] then [N, 1]
    for (let step = 0; step < cfg.maxNewTokens; step++) {
      const logp = tf.tidy(() => {
        const last = model.forwardLast(input, cache); // [N, V]
        const scaled = cfg.temperature > 0 ? last.div(cfg.temperature) : last;
        return tf.logSoftmax(scaled); // [N, V]
      });
      input.dispose();
      const data = (await logp.data()) as Float32Array;
      logp.dispose();
      await check();
      const V = data.length / N;
      const next: number[] = [];
      for (let n = 0; n < N; n++) {
        const row = data.subarray(n * V, (n + 1) * V);
        const u = rng.next(); // drawn for every row every step so results don't depend on which rows finished
        const r = group[n];
        if (r.done) {
          next.push(0);
          continue;
        }
        const tok = cfg.temperature === 0 ? argmax(row) : chooseToken(row, cfg.topK, cfg.topP, u);
        r.ids.push(tok);
        r.logp.push(row[tok]);
        next.push(tok);
        if (stopIds.has(tok)) r.done = r.stopped = true;
        else if (cfg.stopStrings.length > 0 && opts.tokenizer) applyStopStrings(r, cfg.stopStrings, opts.tokenizer);
      }
      const finished = group.filter((r) => r.done).length;
      opts.onStep?.(step, finished, N);
      if (finished === N || step + 1 === cfg.maxNewTokens) break;
      input = tokenIds(next, [N, 1]);
    }
  } finally {
    cache.dispose();
  }
}

/** Ends a row once its decoded text contains a stop string; the text is cut right after the match. */
function applyStopStrings(r: Row, stops: string[], tok: TextDecoder): void {
  const text = tok.decode(r.ids);
  let cut = -1;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at + s.length < cut)) cut = at + s.length;
  }
  if (cut >= 0) {
    r.text = text.slice(0, cut);
    r.done = r.stopped = true;
  }
}
