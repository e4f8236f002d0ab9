import { RftlabError } from "../errors";
import type { RewardFn } from "./types";

const ANSWER_TAG = /<answer>([\s\S]*?)<\/answer>/g;
const GSM8K_FINAL = /####\s*([^\n]*)/;
// A number: optional sign, digits with optional thousands commas / $ prefix, optional decimals or a fraction.
const NUMBER = /-?\$?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\/\d+)?/g;

/** Content of the last `<answer>…</answer>` block, trimmed; undefined when there is none. */
export function answerTagContent(text: string): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(ANSWER_TAG)) last = m[1];
  return last?.trim();
}

/**
 * The final answer of a completion or a reference (spec/algorithms.md "Rewards", accuracy):
 * the `<answer>` content if present, else the text after GSM8K's `#### `, else the whole text; trimmed.
 */
export function extractAnswer(text: string): string {
  const tagged = answerTagContent(text);
  if (tagged !== undefined) return tagged;
  const gsm = GSM8K_FINAL.exec(text);
  if (gsm) return gsm[1].trim();
  return text.trim();
}

/** Parses one number after stripping `,` `$` and spaces ("1,234.50" → 1234.5, "3/4" → 0.75); NaN if not a number. */
export function parseNumber(text: string): number {
  const t = text.replace(/[,$\s]/g, "");
  const frac = /^(-?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(t);
  if (frac) return Number(frac[1]) / Number(frac[2]);
  return /^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
}

/** The last number in a text (after the extraction rules above), or NaN when it has none. */
export function lastNumber(text: string): number {
  const matches = [...extractAnswer(text).matchAll(NUMBER)];
  return matches.length === 0 ? NaN : parseNumber(matches[matches.length - 1][0]);
}

/**
 * Whether a completion's answer equals the reference: numerically (last number of each, so "3.0" and
 * "$3" match "3") when the reference parses as a number, else exact string equality of the extracted
 * answers. `relTol` allows float noise: |a − b| ≤ relTol·max(1, |b|).
 */
export function answersMatch(completion: string, reference: string, relTol = 1e-6): boolean {
  const refText = extractAnswer(reference);
  const ref = parseNumber(refText);
  if (!Number.isNaN(ref)) {
    const got = lastNumber(completion);
    return !Number.isNaN(got) && Math.abs(got - ref) <= relTol * Math.max(1, Math.abs(ref));
  }
  return extractAnswer(completion) === refText;
}

export interface AnswerAccuracyOptions {
  /** Dataset column holding the reference answer (a string or number per row); default "answer". */
  answerColumn?: string;
  relTol?: number;
}

/**
 * Accuracy reward: 1 if the completion's answer matches the reference (see `answersMatch`), else 0;
 * null for rows whose reference is missing (not applicable).
 */
export function answerAccuracyReward({ answerColumn = "answer", relTol = 1e-6 }: AnswerAccuracyOptions = {}): RewardFn {
  return (ctx) => {
    const refs = ctx[answerColumn];
    if (!Array.isArray(refs)) {
      throw new RftlabError(
        `answerAccuracyReward: dataset column "${answerColumn}" is ${refs === undefined ? "missing" : typeof refs}; ` +
          `pass the reference answers as that column or set answerColumn`,
      );
    }
    return ctx.completions.map((c, i) => {
      const r = refs[i];
      if (r === null || r === undefined || r === "") return null;
      return answersMatch(c, String(r), relTol) ? 1 : 0;
    });
  };
}
