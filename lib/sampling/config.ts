import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/** Sampling options (spec/algorithms.md "Sampling"). JSON-serialisable; saved with every run. */
export interface SampleConfig {
  /** Softmax temperature; 0 = greedy. Log-probs are taken from logits / temperature (TRL). Default 1. */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. Default 0. */
  topK: number;
  /** Nucleus sampling: smallest set with cumulative probability ≥ topP; 1 = off. Default 1. */
  topP: number;
  /** Maximum completion length in tokens. Default 64. */
  maxNewTokens: number;
  /** Token ids that end a completion (kept in the completion, like an EOS). Default []. */
  stopTokenIds: number[];
  /** Strings that end a completion once the decoded text contains them (text is cut after the match). Default []. */
  stopStrings: string[];
  /** Completions per prompt (G in GRPO). Default 1. */
  numGenerations: number;
  /** Seed of the sampling PRNG: same seed, same model, same prompts → same completions. Default 0. */
  seed: number;
}

export const DEFAULT_SAMPLE_CONFIG: Readonly<SampleConfig> = deepFreeze({
  temperature: 1,
  topK: 0,
  topP: 1,
  maxNewTokens: 64,
  stopTokenIds: [],
  stopStrings: [],
  numGenerations: 1,
  seed: 0,
});

function fail(field: string, rule: string, value: unknown): never {
  throw new RftlabError(`SampleConfig.${field} must be ${rule}; got ${JSON.stringify(value)}`);
}

/** Fills defaults and validates every field. */
export function resolveSampleConfig(partial: Partial<SampleConfig> = {}): SampleConfig {
  checkConfig("SampleConfig", partial, DEFAULT_SAMPLE_CONFIG);
  const c: SampleConfig = { ...DEFAULT_SAMPLE_CONFIG, ...partial };
  if (!(c.temperature >= 0) || !Number.isFinite(c.temperature)) fail("temperature", "a finite number ≥ 0 (0 = greedy)", c.temperature);
  if (!Number.isInteger(c.topK) || c.topK < 0) fail("topK", "an integer ≥ 0 (0 = off)", c.topK);
  if (!(c.topP > 0 && c.topP <= 1)) fail("topP", "in (0, 1] (1 = off)", c.topP);
  if (!Number.isInteger(c.maxNewTokens) || c.maxNewTokens < 1) fail("maxNewTokens", "an integer ≥ 1", c.maxNewTokens);
  if (!Number.isInteger(c.numGenerations) || c.numGenerations < 1) fail("numGenerations", "an integer ≥ 1", c.numGenerations);
  if (!Number.isInteger(c.seed)) fail("seed", "an integer", c.seed);
  if (!Array.isArray(c.stopTokenIds) || !c.stopTokenIds.every((t) => Number.isInteger(t) && t >= 0)) {
    fail("stopTokenIds", "an array of token ids (integers ≥ 0)", c.stopTokenIds);
  }
  if (!Array.isArray(c.stopStrings) || !c.stopStrings.every((s) => typeof s === "string" && s.length > 0)) {
    fail("stopStrings", "an array of non-empty strings", c.stopStrings);
  }
  return c;
}
