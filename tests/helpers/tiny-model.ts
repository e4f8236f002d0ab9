import path from "node:path";
import { createModel, resolveModelConfig, saveModel, type ModelFamily, type Transformer } from "../../lib/model";
import { bundledDatasetsDir } from "../../lib/io/corpus";
import { loadTokenizer, saveTokenizer } from "../../lib/io/tokenizer";
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

/** A tiny random llama over the bundled tokenizer saved as a model folder in `dir` (for CLI tests); returns `dir`. */
export async function tinyModelFolder(dir: string): Promise<string> {
  const tokenizer = loadTokenizer(path.join(bundledDatasetsDir(), "tiny-tokenizer"));
  const model = createModel(
    resolveModelConfig({
      family: "llama",
      vocabSize: tokenizer.vocabSize,
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      nKvHeads: 1,
      dFF: 32,
      maxPositions: 64,
    }),
    { seed: 3 },
  );
  await saveModel(model, dir);
  saveTokenizer(tokenizer, dir);
  model.dispose();
  return dir;
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
