import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig } from "../base/strict-config";

/**
 * GPT-2's pre-tokenisation regex with one change: `\p{N}` instead of ` ?\p{N}+`, so every digit is its
 * own token and never merges with a neighbour or a leading space. Multi-digit tokens would give each
 * number an arbitrary segmentation ("1234" → "12","34" but "1235" → "123","5"), which makes column
 * arithmetic much harder to learn; single digits give one embedding per digit in every position
 * (as Llama and Qwen2 do).
 */
export const BYTE_LEVEL_SPLIT_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** GPT-2's reversible byte → printable-character map (bytes 33–126, 161–172, 174–255 map to themselves). */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + n++);
  return out;
}

/** Settings for trainByteLevelBpe. */
export interface BpeTrainConfig {
  /** Final vocabulary size including special and added tokens and the 256 byte symbols. */
  vocabSize: number;
  /** Special tokens (ids 0, 1, …), e.g. `<|endoftext|>`; skipped when decoding with skipSpecialTokens. */
  specialTokens: string[];
  /** Ordinary added tokens matched whole before BPE (e.g. `<answer>`), kept when decoding. */
  addedTokens: string[];
  /** Pairs seen fewer times than this are never merged. */
  minFrequency: number;
}

export const DEFAULT_BPE_TRAIN_CONFIG: Readonly<BpeTrainConfig> = deepFreeze({
  vocabSize: 512,
  specialTokens: ["<|endoftext|>", "<|pad|>"],
  addedTokens: ["<think>", "</think>", "<answer>", "</answer>"],
  minFrequency: 2,
});

export function resolveBpeTrainConfig(partial: Partial<BpeTrainConfig> = {}): BpeTrainConfig {
  checkConfig("BpeTrainConfig", partial, DEFAULT_BPE_TRAIN_CONFIG);
  const c = { ...DEFAULT_BPE_TRAIN_CONFIG, ...partial };
  const base = 256 + c.specialTokens.length + c.addedTokens.length;
  if (!Number.isInteger(c.vocabSize) || c.vocabSize < base) {
    throw new RftlabError(
      `trainByteLevelBpe: vocabSize must be an integer ≥ ${base} (256 bytes + special + added tokens); got ${c.vocabSize}`,
    );
  }
  const all = [...c.specialTokens, ...c.addedTokens];
  if (new Set(all).size !== all.length || all.some((t) => t === "")) {
    throw new RftlabError(`trainByteLevelBpe: special and added tokens must be distinct and non-empty; got ${JSON.stringify(all)}`);
  }
  return c;
}

/** The JSON document a Hugging Face `tokenizer.json` holds (the fields rftlab writes). */
export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
  normalizer: null;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Pre-tokenised words (byte symbols joined) with their counts; added tokens are cut out first. */
function countWords(texts: readonly string[], reserved: readonly string[]): Map<string, number> {
  const split = reserved.length ? new RegExp(reserved.map(escapeRegExp).join("|"), "g") : null;
  const pattern = new RegExp(BYTE_LEVEL_SPLIT_PATTERN, "gu");
  const byteChar = bytesToUnicode();
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of split ? text.split(split) : [text]) {
      for (const m of piece.matchAll(pattern)) {
        const w = Array.from(enc.encode(m[0]), (b) => byteChar[b]).join("");
        counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/**
 * Trains a byte-level BPE (GPT-2 byte map, BYTE_LEVEL_SPLIT_PATTERN pre-tokenisation) and returns a
 * standard tokenizer.json document. Deterministic: ties between equally frequent pairs go to the
 * lexicographically smallest pair. Ids: special tokens, added tokens, the 256 bytes, then merges.
 */
export function trainByteLevelBpe(texts: readonly string[], partial: Partial<BpeTrainConfig> = {}): TokenizerJson {
  const config = resolveBpeTrainConfig(partial);
  const reserved = [...config.specialTokens, ...config.addedTokens];
  const vocab: Record<string, number> = {};
  reserved.forEach((t, i) => (vocab[t] = i));
  for (const ch of bytesToUnicode()) vocab[ch] = Object.keys(vocab).length;

  const words = [...countWords(texts, reserved)].map(([w, count]) => ({ symbols: Array.from(w), count }));
  const merges: string[] = [];
  while (Object.keys(vocab).length < config.vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i] + " " + symbols[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best = "";
    let bestCount = 0;
    for (const [key, n] of pairs) {
      if (n > bestCount || (n === bestCount && key < best)) [best, bestCount] = [key, n];
    }
    if (bestCount < config.minFrequency) break;
    const [a, b] = best.split(" ");
    const merged = a + b;
    merges.push(best);
    vocab[merged] = Object.keys(vocab).length;
    for (const w of words) {
      const s = w.symbols;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      w.symbols = out;
    }
  }

  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: reserved.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: id < config.specialTokens.length,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [{ type: "Split", pattern: { Regex: BYTE_LEVEL_SPLIT_PATTERN }, behavior: "Isolated", invert: false }, byteLevel],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
