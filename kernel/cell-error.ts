// Turns what tslab's executor reports (compile diagnostics as format strings, thrown values) into the
// `ename / evalue / traceback` triple of Jupyter's `error` message and `execute_reply`.
import { format } from "node:util";

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** The executor prints each diagnostic as `console.error("%s%d:%d - %s", file, line, col, text)`. */
export function isDiagnosticCall(args: unknown[]): boolean {
  return args.length === 5 && args[0] === "%s%d:%d - %s";
}

/** All compile diagnostics of one cell as one TypeScript error; traceback shows each with its source line. */
export function compileError(calls: unknown[][], code: string): CellError {
  const lines = code.split("\n");
  const traceback: string[] = [];
  for (const [, file, line, col, text] of calls) {
    traceback.push(`${file}${line}:${col} - error: ${text}`);
    const src = file === "" ? lines[(line as number) - 1] : undefined;
    if (src !== undefined) traceback.push(`  ${src}`, `  ${" ".repeat(Math.max(0, (col as number) - 1))}^`);
  }
  const [, file, line, col, text] = calls[0];
  return { ename: "TypeScriptError", evalue: `${file}${line}:${col} - ${text}`, traceback };
}

/** A thrown value: Errors keep their name, message and the stack frames above tslab's executor. */
export function runtimeError(thrown: unknown): CellError {
  if (isInterrupt(thrown)) {
    return { ename: "KeyboardInterrupt", evalue: "cell interrupted (SIGINT)", traceback: ["KeyboardInterrupt: cell interrupted (SIGINT)"] };
  }
  if (thrown instanceof Error || (typeof thrown === "object" && thrown !== null && "stack" in thrown && "message" in thrown)) {
    const e = thrown as Error;
    const ename = e.name || e.constructor?.name || "Error";
    const stack = typeof e.stack === "string" && e.stack ? e.stack : `${ename}: ${e.message}`;
    return { ename, evalue: String(e.message), traceback: userFrames(withoutSourceArrow(stack.split("\n"), ename)) };
  }
  const text = format(thrown);
  return { ename: "Thrown", evalue: text, traceback: [`Uncaught ${text}`] };
}

/** vm prefixes the stack of errors thrown at a cell's top level with `file:line`, the source line and a caret. */
function withoutSourceArrow(stack: string[], ename: string): string[] {
  const start = stack.findIndex((l) => l.startsWith(ename));
  return start > 0 ? stack.slice(start) : stack;
}

/** Drops frames of the kernel machinery (vm, tslab's executor, the launcher), keeping the user's. */
function userFrames(stack: string[]): string[] {
  const cut = stack.findIndex((l) => /^\s+at .*(node:vm|tslab[\\/]dist[\\/]executor\.js|node:internal\/process\/task_queues)/.test(l));
  return cut > 0 ? stack.slice(0, cut) : stack;
}

function isInterrupt(thrown: unknown): boolean {
  const e = thrown as { code?: string; message?: string; name?: string } | null;
  return (
    !!e && (e.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" || e.message === "Interrupted asynchronously" || e.name === "KeyboardInterrupt")
  );
}
