import { getTask } from "./registry";

/**
 * The answer a completion commits to, or null when it uses neither format: the content of the last
 * closed `<answer>…</answer>`, else the rest of the line after the last `#### `. Trimmed.
 */
export function extractAnswer(completion: string): string | null {
  const tags = [...completion.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  if (tags.length > 0) return tags[tags.length - 1][1].trim();
  const hashes = [...completion.matchAll(/####[ \t]*([^\n]*)/g)];
  if (hashes.length > 0) return hashes[hashes.length - 1][1].trim();
  return null;
}

/** All numbers in a text, in order, with `,` thousands separators and `$` removed (GSM8K convention). */
export function numbersIn(text: string): number[] {
  const cleaned = text.replace(/\$/g, "").replace(/(\d),(?=\d{3}(?!\d))/g, "$1");
  return [...cleaned.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));
}

/** The last number in a text (see numbersIn), or null. */
export function lastNumber(text: string): number | null {
  const xs = numbersIn(text);
  return xs.length > 0 ? xs[xs.length - 1] : null;
}

function lastNonEmptyLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 ? lines[lines.length - 1] : "";
}

/**
 * Binary verifier for GRPO-style rewards: does `completion` state the gold `answer` of `task`?
 * Extraction: `<answer>` content, else `#### n`, else a fallback per answer kind:
 * numbers → the last number of the completion; lists → the integers of the last non-empty line;
 * words → the last word. Numbers compare numerically, lists elementwise, words exactly after
 * stripping quotes and trailing punctuation.
 */
export function checkAnswer(task: string, completion: string, answer: string): boolean {
  const kind = getTask(task).answerKind;
  const extracted = extractAnswer(completion);
  switch (kind) {
    case "number": {
      const got = lastNumber(extracted ?? completion);
      const want = lastNumber(answer);
      return got !== null && want !== null && got === want;
    }
    case "list": {
      const got = numbersIn(extracted ?? lastNonEmptyLine(completion));
      const want = numbersIn(answer);
      return got.length === want.length && got.every((x, i) => x === want[i]);
    }
    case "word": {
      const words = (extracted ?? completion).match(/[\p{L}\p{N}_'"]+/gu) ?? [];
      const got = extracted !== null ? extracted : (words[words.length - 1] ?? "");
      const clean = (s: string) => s.trim().replace(/^['"`]+|['"`.!?,;:]+$/g, "");
      return clean(got) !== "" && clean(got) === clean(answer);
    }
  }
}
