// Held-out accuracy of a model on a bundled task in the instruct format (PLAN.md "Correctness"), with the
// per-prompt shares the paired standard error of a gain needs. (lib/evaluation's evaluateTask came later.)
import type { Transformer } from "../model";
import { generate } from "../sampling";
import type { TextCodec } from "../io/tokenizer";
import { taskCorrect } from "../rewards/task-reward";
import { wilson } from "../stats/interval";

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
  task: string,
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
    if (taskCorrect(task, c, rows[g.promptIndex[i]].answer)) perPrompt[g.promptIndex[i]] += 1 / opts.samples;
  });
  const correct = Math.round(perPrompt.reduce((a, b) => a + b, 0) * opts.samples);
  const n = rows.length * opts.samples;
  return { accuracy: correct / n, ci95: wilsonPair(correct, n), prompts: rows.length, samples: opts.samples, perPrompt };
}

function wilsonPair(k: number, n: number): [number, number] {
  const w = wilson(k, n);
  return [w.lo, w.hi];
}
