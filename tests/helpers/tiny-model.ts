import { createModel, resolveModelConfig, type ModelFamily, type Transformer } from "../../lib/model";
import type { RewardFn } from "../../lib/rewards";

/** A tiny random model for fast tests (deterministic per seed). */
export function tinyModel(family: ModelFamily = "llama", seed = 0, overrides: Record<string, unknown> = {}): Transformer {
  return createModel(
    resolveModelConfig({
      family,
      vocabSize: 32,
      dModel: 16,
      nLayers: 2,
      nHeads: 2,
      nKvHeads: family === "gpt2" ? 2 : 1,
      dFF: 32,
      maxPositions: 64,
      ...overrides,
    }),
    { seed },
  );
}

/** A character-level codec over a 32-token alphabet, enough for reward functions in tests. */
export const charCodec = {
  alphabet: "0123456789+=<>/ abcdefghijklmnop",
  encode(text: string): number[] {
    return [...text].map((ch) => {
      const i = this.alphabet.indexOf(ch);
      if (i < 0) throw new Error(`charCodec: "${ch}" is not in the alphabet`);
      return i;
    });
  },
  decode(ids: number[]): string {
    return ids.map((i) => this.alphabet[i]).join("");
  },
};

/** Four addition prompts in the charCodec alphabet, for trainer smoke tests. */
export const tinyPrompts = [
  { prompt: "1+2=", answer: "3" },
  { prompt: "2+2=", answer: "4" },
  { prompt: "3+4=", answer: "7" },
  { prompt: "5+1=", answer: "6" },
];

/** Share of digits in each completion: partial credit that varies within every group. */
export const digitShare: RewardFn = (ctx) =>
  ctx.completions.map((c) => [...c].filter((ch) => /\d/.test(ch)).length / Math.max(1, c.length));
