import { CheckpointError } from "./checkpoint-error";
import { readTextFile } from "./text-file";

/**
 * Offset of the first JSON syntax error in text, or -1 when text is valid JSON. V8's JSON.parse
 * messages often omit the position ("Unexpected end of JSON input"), so errors are located here.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const fail = () => {
    throw i;
  };
  const str = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < n && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail();
      }
      i++;
    }
    if (i >= n) fail();
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail();
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === "}") return void i++;
        if (text[i] !== ",") fail();
        i++;
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === "]") return void i++;
        if (text[i] !== ",") fail();
        i++;
      }
    } else if (c === '"') str();
    else if (c !== undefined && /[-0-9]/.test(c)) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0].length === 0 || m[0] === "-") fail();
      i += m![0].length;
    } else {
      for (const lit of ["true", "false", "null"]) if (text.startsWith(lit, i)) return void (i += lit.length);
      fail();
    }
  };
  try {
    value(0);
    ws();
    return i < n ? i : -1;
  } catch (pos) {
    if (typeof pos === "number") return Math.min(pos, n);
    throw pos;
  }
}

/** "line L, column C" (1-based) of a character offset, for error messages. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let col = 1;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

/** JSON.parse with an error that names the file, the position and what was found there. */
export function parseJsonText(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const at = jsonErrorOffset(text);
    const pos = Math.max(at, 0);
    const found = pos >= text.length ? "end of input" : JSON.stringify(text.slice(pos, pos + 20));
    throw new CheckpointError(file, `${what} is not valid JSON: syntax error at ${lineColumn(text, pos)} (offset ${pos}) near ${found}`);
  }
}

/** Reads and parses a JSON file; `what` names it in errors ("config.json", "safetensors index"). */
export function readJsonFile<T = unknown>(file: string, what = "JSON file"): T {
  return parseJsonText(readTextFile(file, what), file, what) as T;
}
