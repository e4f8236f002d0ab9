import fs from "node:fs";
import path from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { RftlabError } from "../errors";
import { writeFileAtomicSync } from "./atomic";

/** rftlab's tokenizer: a thin wrapper over @huggingface/tokenizers (same ids as transformers). */
export interface Tokenizer {
  /** Largest id + 1 (embedding rows needed), added tokens included. */
  readonly vocabSize: number;
  /** End of sequence: config eos_token, else a known name (`<|endoftext|>`, `</s>`, `<|im_end|>`, `<eos>`). */
  readonly eosId: number;
  /** Beginning of sequence when the tokenizer has one. */
  readonly bosId: number | undefined;
  /** Padding: config pad_token, else `<|pad|>`/`<pad>`, else eosId. */
  readonly padId: number;
  /** Special tokens (skipped by decode with skipSpecialTokens) by content. */
  readonly specialTokens: ReadonlyMap<string, number>;
  /** Where it came from (a file path or "<memory>"), for error messages. */
  readonly source: string;
  /** Text → ids. addSpecialTokens (default true, as in transformers) runs the post-processor (e.g. Llama's BOS). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Ids → text; skipSpecialTokens default false. */
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** The tokenizer.json document and tokenizer_config.json object it was built from (for saving). */
  readonly json: object;
  readonly config: Record<string, unknown>;
}

/** Thrown when a tokenizer file is missing, unreadable or unsupported; the message names the file. */
export class TokenizerLoadError extends RftlabError {
  override name = "TokenizerLoadError";
}

function tokenContent(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
  return undefined;
}

/** Builds a Tokenizer from a parsed tokenizer.json and (optional) tokenizer_config.json. */
export function tokenizerFromJson(json: object, config: Record<string, unknown> = {}, source = "<memory>"): Tokenizer {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config);
  } catch (e) {
    throw new TokenizerLoadError(`${source}: not a tokenizer @huggingface/tokenizers can load (${(e as Error).message})`);
  }
  const vocab = hf.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const specialTokens = new Map<string, number>();
  for (const [id, t] of hf.get_added_tokens_decoder()) if (t.special) specialTokens.set(t.content, id);
  const find = (key: string, names: string[]): number | undefined => {
    const named = tokenContent(config[key]);
    for (const n of named !== undefined ? [named] : names) {
      const id = hf.token_to_id(n);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const eosId = find("eos_token", ["<|endoftext|>", "</s>", "<|im_end|>", "<|end_of_text|>", "<eos>"]);
  if (eosId === undefined) {
    throw new TokenizerLoadError(
      `${source}: no end-of-sequence token found (eos_token in tokenizer_config.json or one of <|endoftext|>, </s>, <|im_end|>, <eos>); ` +
        `add eos_token to tokenizer_config.json`,
    );
  }
  const cleanUp = Boolean(config.clean_up_tokenization_spaces ?? false);
  return {
    vocabSize,
    eosId,
    bosId: find("bos_token", ["<s>", "<|begin_of_text|>", "<bos>"]),
    padId: find("pad_token", ["<|pad|>", "<pad>"]) ?? eosId,
    specialTokens,
    source,
    json,
    config,
    encode: (text, { addSpecialTokens = true } = {}) => hf.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    // tokenizers.js rejects an empty id list; an empty sequence decodes to "" as in transformers.
    decode: (ids, { skipSpecialTokens = false } = {}) =>
      ids.length === 0 ? "" : hf.decode(Array.from(ids), { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: cleanUp }),
    tokenToId: (token) => hf.token_to_id(token),
    idToToken: (id) => hf.id_to_token(id),
  };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TokenizerLoadError(
      code === "ENOENT"
        ? `tokenizer file ${file} does not exist; pass a tokenizer.json or a folder holding one`
        : `cannot read tokenizer file ${file}: ${(e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerLoadError(`tokenizer file ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads a tokenizer from a tokenizer.json file or a folder holding one (a Hugging Face model folder);
 * a tokenizer_config.json beside it supplies eos/bos/pad names and clean_up_tokenization_spaces.
 * Works offline.
 */
export function loadTokenizer(fileOrFolder: string): Tokenizer {
  const file =
    fs.existsSync(fileOrFolder) && fs.statSync(fileOrFolder).isDirectory() ? path.join(fileOrFolder, "tokenizer.json") : fileOrFolder;
  const json = readJson(file);
  if (!json || typeof json !== "object" || !("model" in json)) {
    throw new TokenizerLoadError(`tokenizer file ${file} has no "model" field; it is not a Hugging Face tokenizer.json`);
  }
  const configFile = path.join(path.dirname(file), "tokenizer_config.json");
  const config = fs.existsSync(configFile) ? (readJson(configFile) as Record<string, unknown>) : {};
  return tokenizerFromJson(json, config, file);
}

/** Writes tokenizer.json and tokenizer_config.json into `folder`, atomically. */
export function saveTokenizer(tokenizer: Tokenizer, folder: string): void {
  writeFileAtomicSync(path.join(folder, "tokenizer.json"), JSON.stringify(tokenizer.json));
  writeFileAtomicSync(path.join(folder, "tokenizer_config.json"), JSON.stringify(tokenizer.config, null, 2) + "\n");
}

/** tokenizer_config.json for a tokenizer trained by trainByteLevelBpe. */
export function byteLevelTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|pad|>",
    unk_token: null,
    clean_up_tokenization_spaces: false,
    add_prefix_space: false,
    model_max_length: modelMaxLength,
  };
}

/** The text ↔ ids pair that trainers, samplers and evaluation take, with the stop token. */
export interface TextCodec {
  encode(text: string): number[];
  /** Ids → text without special tokens: an eos that ends a completion never shows in its text. */
  decode(ids: number[]): string;
  /** End-of-sequence id (sampling stops there); absent for test codecs without one. */
  eosId?: number;
}

/** A tokenizer as a TextCodec: encode as the tokenizer does by default, decode skipping special tokens. */
export function textCodec(tokenizer: Tokenizer): TextCodec & { eosId: number } {
  return {
    encode: (text) => tokenizer.encode(text),
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    eosId: tokenizer.eosId,
  };
}
