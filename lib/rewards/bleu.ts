import { RftlabError } from "../errors";
import { answerTagContent } from "./answer";
import type { RewardFn } from "./types";

/**
 * sacrebleu's "13a" tokeniser (mteval-v13a): unescape a few XML entities, split punctuation and
 * symbols off, split `.`/`,` unless between digits, split a dash after a digit. Case is kept.
 */
export function tokenize13a(text: string): string[] {
  let s = text
    .replace(/<skipped>/g, "")
    .replace(/-\n/g, "")
    .replace(/\n/g, " ");
  if (s.includes("&"))
    s = s
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">");
  s = ` ${s} `
    .replace(/([{-~[-` -&(-+:-@/])/g, " $1 ")
    .replace(/([^0-9])([.,])/g, "$1 $2 ")
    .replace(/([.,])([^0-9])/g, " $1 $2")
    .replace(/([0-9])(-)/g, "$1 $2 ");
  return s.split(/\s+/).filter((t) => t.length > 0);
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join("\u0001");
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

export interface BleuStats {
  /** BLEU in [0, 1] (sacrebleu reports 100×). */
  score: number;
  /** Smoothed n-gram precisions p_1..p_4. */
  precisions: number[];
  /** Clipped matches m_n and candidate n-gram counts c_n, summed over the corpus. */
  matches: number[];
  totals: number[];
  brevityPenalty: number;
  /** c: total hypothesis tokens; r: total closest-reference tokens. */
  hypLength: number;
  refLength: number;
}

export const BLEU_MAX_ORDER = 4;

/**
 * Corpus BLEU (Papineni et al. 2002) as BLEUBERI uses it (spec/algorithms.md "Rewards", BLEU):
 * 13a tokens, n = 1..4, clipped counts against the max count over references, add-one smoothing
 * p_n = (m_n + 1)/(c_n + 1) for every n, brevity penalty exp(1 − r/c) when c < r where r sums, per
 * sentence, the reference length closest to the hypothesis length (ties → the shorter). An empty
 * hypothesis corpus (c = 0) scores 0.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[]): BleuStats {
  if (hypotheses.length !== references.length) {
    throw new RftlabError(
      `corpusBleu: ${hypotheses.length} hypotheses but ${references.length} reference lists; pass one list of references per hypothesis`,
    );
  }
  const matches = new Array<number>(BLEU_MAX_ORDER).fill(0);
  const totals = new Array<number>(BLEU_MAX_ORDER).fill(0);
  let c = 0;
  let r = 0;
  hypotheses.forEach((hyp, i) => {
    const refs = references[i];
    if (refs.length === 0) throw new RftlabError(`corpusBleu: hypothesis ${i} has no references; pass at least one`);
    const h = tokenize13a(hyp);
    const rs = refs.map(tokenize13a);
    c += h.length;
    let best = rs[0].length;
    for (const ref of rs) {
      const d = Math.abs(ref.length - h.length);
      const bd = Math.abs(best - h.length);
      if (d < bd || (d === bd && ref.length < best)) best = ref.length;
    }
    r += best;
    for (let n = 1; n <= BLEU_MAX_ORDER; n++) {
      const maxRef = new Map<string, number>();
      for (const ref of rs) for (const [g, k] of ngramCounts(ref, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of ngramCounts(h, n)) matches[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
      totals[n - 1] += Math.max(0, h.length - n + 1);
    }
  });
  const precisions = matches.map((m, n) => (m + 1) / (totals[n] + 1));
  const brevityPenalty = c === 0 ? 0 : c < r ? Math.exp(1 - r / c) : 1;
  const score = c === 0 ? 0 : brevityPenalty * Math.exp(precisions.reduce((s, p) => s + Math.log(p), 0) / BLEU_MAX_ORDER);
  return { score, precisions, matches, totals, brevityPenalty, hypLength: c, refLength: r };
}

/** The text BLEUBERI scores: the `<answer>` content if present, else the whole completion. */
export function bleuTarget(completion: string): string {
  return answerTagContent(completion) ?? completion;
}

export interface BleuRewardOptions {
  /** Column with the reference(s) per row: a string or an array of strings; default "references". */
  referenceColumn?: string;
}

/**
 * BLEUBERI reward: per row, corpus BLEU (a one-sentence corpus) of `bleuTarget(completion)` against the
 * row's references, in [0, 1]; an empty target scores 0; rows without references are null.
 */
export function bleuReward({ referenceColumn = "references" }: BleuRewardOptions = {}): RewardFn {
  return (ctx) => {
    const col = ctx[referenceColumn];
    if (!Array.isArray(col)) {
      throw new RftlabError(
        `bleuReward: dataset column "${referenceColumn}" is ${col === undefined ? "missing" : typeof col}; ` +
          `pass references (string or string[] per row) in that column or set referenceColumn`,
      );
    }
    return ctx.completions.map((comp, i) => {
      const v = col[i];
      const refs = (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]).map(String);
      if (refs.length === 0) return null;
      const target = bleuTarget(comp);
      return target.trim() === "" ? 0 : corpusBleu([target], [refs]).score;
    });
  };
}
