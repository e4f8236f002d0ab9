import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable } from "./command";
import { generateCorpus } from "../tasks/corpus";
import { writeCorpus } from "../io/corpus";
import { trainByteLevelBpe } from "../io/tokenizer-train";
import { byteLevelTokenizerConfig, saveTokenizer, tokenizerFromJson } from "../io/tokenizer";

const makeDatasets: Command = {
  name: "make-datasets",
  summary:
    "Regenerate the bundled pretraining corpus (tiny-corpus/) and train its byte-level BPE tokenizer (tiny-tokenizer/). " +
    "Deterministic: the defaults reproduce the committed datasets/ byte for byte.",
  positionals: [],
  flags: {
    out: { type: "string", help: "output folder", default: "datasets" },
    seed: { type: "number", help: "corpus seed", default: 1234, integer: true },
    chars: { type: "number", help: "corpus size in characters (train + test)", default: 300_000, integer: true, min: 1000 },
    "vocab-size": { type: "number", help: "tokenizer vocabulary size", default: 512, integer: true, min: 262 },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const out = args.flags.out as string;
    checkOutFolder("make-datasets", "out", out);
    const corpus = generateCorpus({ seed: args.flags.seed as number, chars: args.flags.chars as number });
    writeCorpus(path.join(out, "tiny-corpus"), corpus);
    const json = trainByteLevelBpe(corpus.train, { vocabSize: args.flags["vocab-size"] as number });
    const tok = tokenizerFromJson(json, byteLevelTokenizerConfig(1024));
    saveTokenizer(tok, path.join(out, "tiny-tokenizer"));
    const tokens = (docs: string[]) => docs.reduce((n, d) => n + tok.encode(d).length + 1, 0);
    const summary = {
      out,
      trainDocs: corpus.train.length,
      testDocs: corpus.test.length,
      trainChars: corpus.train.reduce((n, d) => n + d.length, 0),
      trainTokens: tokens(corpus.train),
      testTokens: tokens(corpus.test),
      vocabSize: tok.vocabSize,
    };
    emit(Boolean(args.flags.json), summary, () => formatTable(["key", "value"], Object.entries(summary)));
  },
};
export default makeDatasets;
