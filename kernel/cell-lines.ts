// Runtime tracebacks in cell line numbers. tslab compiles a cell twice (TypeScript → ES module → CommonJS)
// without source maps; each cell runs under its own vm filename (`cell[N]`), and frames `cell[N]:L:C`
// are mapped back by aligning the compiled lines with the cell's lines: compiling mostly deletes
// characters (types, `as T`, `!`) and whitespace, so a compiled line is a subsequence of its source line
// once semicolons (which compiling adds) are left out.

/** Source line (1-based) of each compiled line (1-based index − 1), undefined where no source line matches. */
export function alignLines(compiled: string[], source: string[]): (number | undefined)[] {
  const src = source.map(squash);
  let next = 0;
  return compiled.map((line) => {
    const c = squash(line.replace(/^\s*exports\.tsLastExpr\s*=\s*/, ""));
    if (c.length < 2) return undefined;
    for (let j = next; j < src.length; j++) {
      if (src[j].length > 0 && isSubsequence(c, src[j]) && c.length * 2 >= src[j].length) {
        next = j + 1;
        return j + 1;
      }
    }
    return undefined;
  });
}

function squash(s: string): string {
  return s.replace(/[\s;]+/g, "");
}

function isSubsequence(needle: string, hay: string): boolean {
  let i = 0;
  for (let j = 0; j < hay.length && i < needle.length; j++) if (hay[j] === needle[i]) i++;
  return i === needle.length;
}

/** tslab's executor wraps a cell as `(function(exports, require) { … \n})(__tslab__.exports, …)`. */
const WRAPPER_CALL = /^\}\)\(__tslab__\./;

/** The cells run so far, by vm filename, to rewrite `cell[N]:L:C` frames as `cell[N] line l`. */
export class CellSources {
  private readonly lines = new Map<string, { source: (number | undefined)[]; wrapperCall: number }>();

  add(filename: string, compiled: string, source: string): void {
    const lines = compiled.split("\n");
    this.lines.set(filename, {
      source: alignLines(lines, source.split("\n")),
      wrapperCall: lines.findIndex((l) => WRAPPER_CALL.test(l)) + 1,
    });
  }

  /**
   * Stack lines with cell frames in cell line numbers (a frame with no matching line keeps its own);
   * the frame of the executor's wrapper call is no line of the cell and is dropped.
   */
  rewrite(stack: string[]): string[] {
    const frame = /(cell\[\d+\]):(\d+):\d+/g;
    return stack
      .filter((l) => ![...l.matchAll(frame)].some(([, file, line]) => this.lines.get(file)?.wrapperCall === Number(line)))
      .map((l) =>
        l.replace(frame, (all, file: string, line: string) => {
          const mapped = this.lines.get(file)?.source[Number(line) - 1];
          return mapped === undefined ? all : `${file} line ${mapped}`;
        }),
      );
  }
}
