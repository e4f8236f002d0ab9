// Mutant generation for tests/mutation/run.ts: operators applied to one compiled .js file, outside comments,
// strings, error messages and module plumbing, each mutant one text edit at a byte offset.
import { createRng } from "../../lib/base/random";

export interface Mutant {
  /** Source file (lib/…ts) whose compiled .js is mutated. */
  file: string;
  line: number;
  op: string;
  /** Offset in the compiled .js; V8 coverage ranges use the same offsets. */
  at: number;
  from: string;
  to: string;
}

/** Stable name of a mutant, the key of its result lines. */
export const mutantId = (m: Mutant): string => `${m.file}:${m.at}:${JSON.stringify(m.from)}→${JSON.stringify(m.to)}`;

export const applyMutant = (js: string, m: Mutant): string => js.slice(0, m.at) + m.to + js.slice(m.at + m.from.length);

/** Marks the characters that are code (not comments, strings or template literals). */
export function codeMask(js: string): Uint8Array {
  const mask = new Uint8Array(js.length).fill(1);
  let i = 0;
  while (i < js.length) {
    const c = js[i];
    const two = js.slice(i, i + 2);
    let end: number | undefined;
    if (two === "//") end = js.indexOf("\n", i);
    else if (two === "/*") end = js.indexOf("*/", i) + 2;
    else if (c === '"' || c === "'" || c === "`") {
      end = i + 1;
      while (end < js.length && js[end] !== c) end += js[end] === "\\" ? 2 : 1;
      end += 1;
    }
    if (end === undefined) {
      i += 1;
      continue;
    }
    if (end < i + 2 || end > js.length) end = js.length; // an unterminated comment or string runs to the end
    mask.fill(0, i, end);
    i = end;
  }
  return mask;
}

const SWAPS: [RegExp, (m: string) => string, string][] = [
  [
    /===|!==|<=|>=|(?<![=<>-])<(?![<=])|(?<![=<>-])>(?![>=])/g,
    (m) => ({ "===": "!==", "!==": "===", "<=": "<", ">=": ">", "<": "<=", ">": ">=" })[m]!,
    "comparison",
  ],
  [
    / [+\-*/]=? /g,
    (m) => ({ " + ": " - ", " - ": " + ", " * ": " / ", " / ": " * ", " += ": " -= ", " -= ": " += ", " *= ": " /= ", " /= ": " *= " })[m]!,
    "arithmetic",
  ],
  [/ && | \|\| /g, (m) => (m === " && " ? " || " : " && "), "logical"],
  [
    /\.(add|sub|mul|div|less|greater|lessEqual|greaterEqual|maximum|minimum|max|min|sum|mean)\(/g,
    (m) =>
      `.${({ add: "sub", sub: "add", mul: "div", div: "mul", less: "greater", greater: "less", lessEqual: "less", greaterEqual: "greater", maximum: "minimum", minimum: "maximum", max: "min", min: "max", sum: "mean", mean: "sum" } as Record<string, string>)[m.slice(1, -1)]}(`,
    "method",
  ],
  [
    /(?<![\w.$])\d+(\.\d+)?(e-?\d+)?(?![\w.])/g,
    (m) => (m === "0" ? "1" : m === "1" ? "0" : /^\d+$/.test(m) ? String(Number(m) + 1) : String(Number(m) * 10)),
    "constant",
  ],
];

// Error messages, module plumbing and tsc's emitted helpers (__importStar & co.) are not the code under test.
const SKIP_LINE =
  /throw |Error\(|require\(|exports\.|__esModule|__import|__create|__setModule|ownKeys|console\.|sourceMappingURL|^\s*(import|export) /;
const STATEMENT_START = /^\s*(?!const |let |var |return|function|class|if |if\(|for |while |else|case |break|continue|\}|\)|\]|\.)\S/;

/** Every mutant of one compiled file, in file order. */
export function mutantsOf(src: string, js: string): Mutant[] {
  const mask = codeMask(js);
  const lines = js.split("\n");
  const out: Mutant[] = [];
  let offset = 0;
  const body = lines.findIndex((l) => l.includes('"__esModule"')); // tsc's helpers come before this line
  lines.forEach((text, li) => {
    if (li > body && !SKIP_LINE.test(text)) {
      for (const [re, to, op] of SWAPS) {
        for (const m of text.matchAll(re)) {
          const at = offset + m.index!;
          if (mask[at]) out.push({ file: src, line: li + 1, op, at, from: m[0], to: to(m[0]) });
        }
      }
      const prev =
        lines
          .slice(0, li)
          .reverse()
          .find((l) => l.trim() !== "") ?? "";
      if (text.trim().endsWith(";") && STATEMENT_START.test(text) && /[;{}]\s*$/.test(prev) && mask[offset + text.search(/\S/)]) {
        out.push({ file: src, line: li + 1, op: "drop statement", at: offset, from: text, to: "" });
      }
    }
    offset += text.length + 1;
  });
  return out;
}

/** The mutants in the seeded order a run visits them: the same seed and code give the same sample. */
export const seededOrder = <T>(all: readonly T[], seed: number): T[] => createRng(seed).shuffle(all);
