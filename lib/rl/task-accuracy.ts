// Held-out accuracy of a model on a bundled task in the instruct format (PLAN.md "Correctness").
// Local until lib/rewards/task-reward.ts and lib/evaluation/ (evaluateTask) land; then this file goes.
import type { Transformer } from "../model";
import { generate } from "../sampling";
import type { TextCodec } from "./rollout";

/** Correct iff the completion, less one trailing "\n" and surrounding spaces, equals the canonical answer. */
export function taskCorrect(completion: string, answer: string): boolean {
  return (completion.endsWith("\n") ? completion.slice(0, -1) : completion).trim() === answer;
}

/** Wilson score interval, 95%. */
export function wilson95(correct: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959964,
    p = correct / n,
    z2n = (z * z) / n;
  const mid = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
}

export interface TaskAccuracy {
  accuracy: number;
  ci95: [number, number];
  prompts: number;
  samples: number;
  /** Share of correct samples per prompt (for paired comparisons over the same prompts). */
  perPrompt: number[];
}

/**
 * `samples` completions per row at temperature 1 (seeded), stopping at "\n" and at the model's eos,
 * at most 32 new tokens; accuracy over all completions with its Wilson 95% interval.
 */
export async function taskAccuracy(
  model: Transformer,
  codec: TextCodec,
  rows: readonly { prompt: string; answer: string }[],
  opts: { samples: number; seed: number },
): Promise<TaskAccuracy> {
  const eos = model.config.eosTokenIds ?? (model.config.eosTokenId === undefined ? [] : [model.config.eosTokenId]);
  const g = await generate(
    model,
    rows.map((r) => codec.encode(r.prompt)),
    {
      temperature: 1,
      topK: 0,
      topP: 1,
      maxNewTokens: 32,
      stopStrings: ["\n"],
      stopTokenIds: eos,
      numGenerations: opts.samples,
      seed: opts.seed,
    },
    { tokenizer: codec },
  );
  const perPrompt = rows.map(() => 0);
  g.completions!.forEach((c, i) => {
    if (taskCorrect(c, rows[g.promptIndex[i]].answer)) perPrompt[g.promptIndex[i]] += 1 / opts.samples;
  });
  const correct = Math.round(perPrompt.reduce((a, b) => a + b, 0) * opts.samples);
  const n = rows.length * opts.samples;
  return { accuracy: correct / n, ci95: wilson95(correct, n), prompts: rows.length, samples: opts.samples, perPrompt };
}
