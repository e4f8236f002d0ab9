// The kernel's input/output history, answering history_request (tail, range, search) like IPython's.
export interface HistoryRequest {
  hist_access_type?: "tail" | "range" | "search";
  output?: boolean;
  session?: number;
  start?: number;
  stop?: number | null;
  n?: number | null;
  pattern?: string;
  unique?: boolean;
}

/** `[session, line, input]`, or `[session, line, [input, output]]` when outputs were asked for. */
export type HistoryTuple = [number, number, string | [string, string | null]];

interface Entry {
  line: number;
  input: string;
  output: string | null;
}

export class CellHistory {
  /** One kernel process is one session; IPython numbers sessions from 1. */
  readonly session = 1;
  private readonly entries: Entry[] = [];

  add(line: number, input: string, output: string | null): void {
    this.entries.push({ line, input, output });
  }

  query(req: HistoryRequest): HistoryTuple[] {
    let picked: Entry[];
    switch (req.hist_access_type) {
      case "range": {
        // Session 0 means "this session" in IPython; earlier sessions are not kept.
        const session = req.session ?? 0;
        const mine = session === 0 || session === this.session;
        const start = req.start ?? 0;
        const stop = req.stop ?? Infinity;
        picked = mine ? this.entries.filter((e) => e.line >= start && e.line < stop) : [];
        break;
      }
      case "search": {
        const re = globToRegExp(req.pattern ?? "*");
        picked = this.entries.filter((e) => re.test(e.input));
        if (req.unique) picked = picked.filter((e, i) => !picked.slice(i + 1).some((later) => later.input === e.input));
        picked = lastN(picked, req.n);
        break;
      }
      default:
        picked = lastN(this.entries, req.n ?? 10);
    }
    return picked.map((e) => [this.session, e.line, req.output ? [e.input, e.output] : e.input]);
  }
}

function lastN<T>(xs: T[], n: number | null | undefined): T[] {
  return n === null || n === undefined || n <= 0 ? xs : xs.slice(-n);
}

/** IPython searches with SQLite GLOB: `*` any run, `?` one character, the whole input must match. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[\\s\\S]*")
    .replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}
