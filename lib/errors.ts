/**
 * Base of rftlab's input errors: the message says what failed, which file/argument, the value and the fix.
 * The CLI prints such errors as one line and exits 2; anything else is a bug and keeps its stack.
 */
export class RftlabError extends Error {
  override name = "RftlabError";
}

/** Warn once per key: fallbacks to slower paths must be visible but not repeated every call. */
const warned = new Set<string>();
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  // One plain line: process.emitWarning adds a code banner and a `--trace-warnings` hint.
  process.stderr.write(`${message.startsWith("rftlab") ? "" : "rftlab: "}${message}\n`);
}

/** Levenshtein distance, for "did you mean" suggestions in error messages. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate closest to `name` by edit distance (the first on ties), for error messages. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}
