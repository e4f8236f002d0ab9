// One evaluation of a model on a bundled task: held-out prompts, greedy or sampled completions,
// exact correctness (lib/rewards taskCorrect), accuracy with its Wilson interval, pass@k, per-prompt scores.
import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import type { Transformer } from "../model";
import type { TextCodec } from "../io/tokenizer";
import { generate } from "../sampling";
import { taskSplits, type TaskExample } from "../tasks";
import { taskCorrect } from "../rewards";
import { wilson } from "../stats";
import { passAtK } from "./pass-at-k";
import { startProgress } from "../base/progress-hook";

export interface EvaluateTaskOptions {
  /** Bundled task name (lib/tasks), e.g. "add". */
  task: string;
  /** The task's difficulty options (e.g. {digits: 2}); default the task's defaults. */
  taskOptions?: Record<string, number>;
  /** Held-out prompts; default 256 (one s.e. ≤ 0.031 on an accuracy). */
  n?: number;
  /**
   * Evaluate on these examples instead of the seed's held-out split (then `n` and `taskOptions` are not used):
   * e.g. a validation split carved out of taskSplits' train part, disjoint from the test prompts by construction.
   */
  examples?: readonly TaskExample[];
  /** Completions per prompt; default 1. */
  samples?: number;
  /**
   * Sampling temperature; default 0 = greedy, the model's single most likely answer (then samples must be 1:
   * greedy samples are identical). Use 1 with samples > 1 for pass@k or the policy's sampled accuracy.
   */
  temperature?: number;
  /** k of pass@k (samples > 1 only); default k = samples. */
  k?: number;
  /** Seed of the held-out split (taskSplits) and of sampling; default 0. */
  seed?: number;
  /** Completion length cap in tokens; default 32 (answers are one short line). */
  maxNewTokens?: number;
  /** Prompts decoded together; default 64 (memory, not results: greedy results do not depend on it). */
  batchSize?: number;
  /** Stops between two decoding steps when aborted (so does the kernel's interrupt); rejects with its reason. */
  signal?: AbortSignal;
  /** A progress bar (notebook) or line (terminal); none with RFTLAB_QUIET=1. Default true. */
  progress?: boolean;
}

export interface TaskEvaluation {
  task: string;
  n: number;
  samples: number;
  temperature: number;
  seed: number;
  /** Share of correct completions over all n·samples. */
  accuracy: number;
  /** Wilson 95% interval of the accuracy over all n·samples completions. */
  ci95: [number, number];
  /** Unbiased pass@k averaged over prompts (only when samples > 1). */
  passAtK?: number;
  k?: number;
  /** Share of correct completions per prompt (for paired bootstraps between models on the same prompts). */
  perPrompt: number[];
  /** The completions, per prompt. */
  completions: string[][];
  /** The held-out examples, in order. */
  examples: TaskExample[];
}

/** Scores given completions (per prompt, `samples` each) against the examples: the pure half of evaluateTask. */
export function scoreCompletions(
  task: string,
  examples: TaskExample[],
  completions: string[][],
  k?: number,
): Omit<TaskEvaluation, "temperature" | "seed"> {
  if (examples.length === 0 || completions.length !== examples.length) {
    throw new RftlabError(
      `scoreCompletions: need one list of completions per example; got ${completions.length} lists for ${examples.length} examples`,
    );
  }
  const samples = completions[0].length;
  if (samples < 1 || completions.some((c) => c.length !== samples)) {
    throw new RftlabError(
      `scoreCompletions: every example needs the same number (≥ 1) of completions; got ${completions.map((c) => c.length).join(", ")}`,
    );
  }
  const correct = completions.map((cs, i) => cs.filter((c) => taskCorrect(task, c, examples[i].answer)).length);
  const total = correct.reduce((a, b) => a + b, 0);
  const ci = wilson(total, examples.length * samples);
  const out: Omit<TaskEvaluation, "temperature" | "seed"> = {
    task,
    n: examples.length,
    samples,
    accuracy: ci.estimate,
    ci95: [ci.lo, ci.hi],
    perPrompt: correct.map((c) => c / samples),
    completions,
    examples,
  };
  if (samples > 1) {
    const kk = k ?? samples;
    out.passAtK = correct.reduce((s, c) => s + passAtK(samples, c, kk), 0) / examples.length;
    out.k = kk;
  }
  return out;
}

function check(field: string, ok: boolean, rule: string, value: unknown): void {
  if (!ok) throw new RftlabError(`evaluateTask: ${field} must be ${rule}; got ${JSON.stringify(value)}`);
}

/**
 * Evaluates `model` on `n` held-out prompts of a bundled task: the test split of
 * `taskSplits(task, {seed, nTest: n, ...taskOptions})` (held out from a training run that used the same
 * seed and options with nTest ≥ n). Completions are sampled with the KV cache and stop at "\n" or the
 * codec's eos; a completion is correct iff taskCorrect (the instruct format `{answer}\n`).
 * Greedy by default (temperature 0, one sample per prompt). `examples` replaces the held-out split.
 */
export async function evaluateTask(model: Transformer, codec: TextCodec, options: EvaluateTaskOptions): Promise<TaskEvaluation> {
  const { task, taskOptions = {}, n = 256, samples = 1, temperature = 0, seed = 0, maxNewTokens = 32, batchSize = 64 } = options;
  check("n", Number.isInteger(n) && n >= 1, "an integer ≥ 1", n);
  check("samples", Number.isInteger(samples) && samples >= 1, "an integer ≥ 1", samples);
  check("temperature", Number.isFinite(temperature) && temperature >= 0, "a number ≥ 0 (0 = greedy)", temperature);
  check(
    "samples",
    !(temperature === 0 && samples > 1),
    "1 when temperature is 0 (greedy samples are identical; use temperature 1 for pass@k)",
    samples,
  );
  check(
    "k",
    options.k === undefined || (Number.isInteger(options.k) && options.k >= 1 && options.k <= samples),
    `an integer in [1, samples=${samples}]`,
    options.k,
  );
  check("seed", Number.isInteger(seed), "an integer", seed);
  check("batchSize", Number.isInteger(batchSize) && batchSize >= 1, "an integer ≥ 1", batchSize);
  check("examples", options.examples === undefined || options.examples.length >= 1, "a non-empty list (or left out)", options.examples);
  const test = options.examples ? [...options.examples] : taskSplits(task, { ...taskOptions, seed, nTrain: 0, nTest: n }).test;
  const stops = { stopStrings: ["\n"], stopTokenIds: codec.eosId === undefined ? [] : [codec.eosId] };
  const rng = createRng(seed);
  const completions: string[][] = [];
  const bar = startProgress({ total: test.length, label: `evaluate ${task}` }, options.progress !== false);
  for (let i = 0; i < test.length; i += batchSize) {
    const batch = test.slice(i, i + batchSize);
    const gen = await generate(
      model,
      batch.map((e) => codec.encode(e.prompt)),
      { ...stops, temperature, maxNewTokens, numGenerations: samples, seed: rng.int(0, 2 ** 31 - 1) },
      { tokenizer: codec, signal: options.signal },
    );
    // Rows are prompt-major: the `samples` completions of prompt j are rows j·samples … j·samples + samples − 1.
    for (let j = 0; j < batch.length; j++) completions.push(gen.completions!.slice(j * samples, (j + 1) * samples));
    bar.tick(batch.length);
  }
  bar.done();
  return { ...scoreCompletions(task, test, completions, options.k), temperature, seed };
}
