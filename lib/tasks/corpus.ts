import { RftlabError } from "../errors";
import { factParagraph, story } from "./english";
import { renderTarget, resolveTaskOptions, taskPrompt } from "./generate";
import { getTask } from "./registry";
import { createRng, type Rng } from "../base/random";
import { TASK_STYLES } from "./task";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** Settings of the bundled pretraining corpus. */
export interface CorpusConfig {
  /** PRNG seed. */
  seed: number;
  /** Approximate size of all documents together, in characters (train + test). */
  chars: number;
  /** Fraction of documents held out for evaluation. */
  testFraction: number;
  /** Fraction of documents that are English (stories, facts); the rest are worked task examples. */
  englishFraction: number;
  /** Tasks whose worked examples appear; each document holds 1–4 problems of one task in one style. */
  tasks: string[];
}

export const DEFAULT_CORPUS_CONFIG: Readonly<CorpusConfig> = deepFreeze({
  seed: 1234,
  chars: 300_000,
  testFraction: 0.05,
  englishFraction: 0.45,
  // The tasks tiny-base was pretrained on (datasets/zoo/tiny-base's recipe relies on this default); tasks added
  // later (min) are learned in SFT only, so regenerating tiny-base keeps giving the committed corpus.
  tasks: ["add", "mul", "linear", "max", "sort", "count", "reverse"],
});

export function resolveCorpusConfig(partial: Partial<CorpusConfig> = {}): CorpusConfig {
  checkConfig("CorpusConfig", partial, DEFAULT_CORPUS_CONFIG);
  const c = { ...DEFAULT_CORPUS_CONFIG, ...partial };
  if (!Number.isInteger(c.seed)) throw new RftlabError(`corpus: seed must be an integer; got ${c.seed}`);
  if (!(c.chars >= 1000)) throw new RftlabError(`corpus: chars must be ≥ 1000; got ${c.chars}`);
  if (!(c.testFraction > 0 && c.testFraction < 0.5)) {
    throw new RftlabError(`corpus: testFraction must be in (0, 0.5); got ${c.testFraction}`);
  }
  if (!(c.englishFraction >= 0 && c.englishFraction <= 1)) {
    throw new RftlabError(`corpus: englishFraction must be in [0, 1]; got ${c.englishFraction}`);
  }
  if (c.englishFraction < 1 && c.tasks.length === 0) {
    throw new RftlabError("corpus: tasks is empty but englishFraction < 1; list tasks or set englishFraction to 1");
  }
  c.tasks.forEach(getTask);
  return c;
}

/** Default difficulty plus a spread, so the corpus shows easier and harder problems than RL will ask. */
function taskDocument(rng: Rng, task: string): string {
  const spec = getTask(task);
  const opts: Record<string, number> = {};
  for (const [k, v] of Object.entries(spec.defaults)) {
    opts[k] = k === "digits" || k === "length" ? Math.max(1, v + rng.int(-1, 1)) : v;
  }
  const resolved = resolveTaskOptions(task, opts);
  const style = rng.choice(TASK_STYLES);
  return Array.from({ length: rng.int(1, 4) }, () => {
    const p = spec.sample(rng, resolved);
    return taskPrompt(p.question) + renderTarget(p, style);
  }).join("\n\n");
}

/**
 * The bundled pretraining corpus: documents (no separators; the tokenizer's `<|endoftext|>` joins them)
 * mixing stories, facts and worked task examples in every TaskStyle. Deterministic in the config.
 */
export function generateCorpus(partial: Partial<CorpusConfig> = {}): { train: string[]; test: string[]; config: CorpusConfig } {
  const config = resolveCorpusConfig(partial);
  const rng = createRng(config.seed);
  const docs: string[] = [];
  let chars = 0;
  while (chars < config.chars) {
    const r = rng.fork();
    const doc = r.next() < config.englishFraction ? (r.int(0, 1) ? story(r) : factParagraph(r)) : taskDocument(r, r.choice(config.tasks));
    docs.push(doc);
    chars += doc.length;
  }
  const nTest = Math.max(1, Math.round(docs.length * config.testFraction));
  const order = rng.shuffle(docs.map((_, i) => i));
  const testIdx = new Set(order.slice(0, nTest));
  return {
    train: docs.filter((_, i) => !testIdx.has(i)),
    test: docs.filter((_, i) => testIdx.has(i)),
    config,
  };
}
