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
  process.emitWarning(message, { code: "RFTLAB_" + key.toUpperCase().replace(/[^A-Z0-9]+/g, "_") });
}
