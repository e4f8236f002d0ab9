import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

/** A bad command line or input: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export type FlagSpec =
  | { type: "boolean"; help: string }
  | { type: "string"; help: string; default?: string; choices?: readonly string[] }
  | { type: "number"; help: string; default?: number; integer?: boolean; min?: number };

export interface Command {
  name: string;
  summary: string;
  /** Positional argument names, in order; a trailing "..." name takes the rest; names ending in "?" are optional. */
  positionals: string[];
  flags: Record<string, FlagSpec>;
  run(args: ParsedArgs): Promise<number | void>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | number | boolean | undefined>;
}

/** Help text's option column width; a longer option spec puts its help on the next line. */
const HELP_COLUMN = 34;

export function helpText(cmd: Command): string {
  const pos = cmd.positionals.map((p) => (p.endsWith("?") ? `[${p.slice(0, -1)}]` : `<${p}>`)).join(" ");
  const lines = [`rftlab ${cmd.name} ${pos}`.trimEnd(), "", cmd.summary, "", "Options:"];
  const flags = { ...cmd.flags, help: { type: "boolean", help: "show this help" } as FlagSpec };
  for (const [name, f] of Object.entries(flags)) {
    const arg = f.type === "boolean" ? "" : f.type === "string" && f.choices ? ` ${f.choices.join("|")}` : ` <${f.type}>`;
    const def = "default" in f && f.default !== undefined ? ` (default ${f.default})` : "";
    const spec = `  --${name}${arg}`;
    if (spec.length > HELP_COLUMN - 2) lines.push(spec, " ".repeat(HELP_COLUMN) + f.help + def);
    else lines.push(spec.padEnd(HELP_COLUMN) + f.help + def);
  }
  return lines.join("\n");
}

/**
 * Throws UsageError unless `dir` is a folder or can be made one: no file at it or at a folder above it.
 * Commands call it before any work, so that a bad --out fails first, not after a whole merge or training run.
 */
export function checkOutFolder(cmd: string, flag: string, dir: string): void {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      // ENOTDIR: a file above; the walk up finds and names it
      if ((e as NodeJS.ErrnoException).code !== "ENOTDIR") throw new UsageError(`rftlab ${cmd}: --${flag} ${dir}: ${fsProblem(e)}`);
    }
    if (st) {
      if (st.isDirectory()) return;
      const what = p === path.resolve(dir) ? "is an existing file" : `is inside ${p}, which is a file`;
      throw new UsageError(`rftlab ${cmd}: --${flag} ${dir} ${what}, not a folder; choose another --${flag} or remove the file`);
    }
    if (path.dirname(p) === p) return;
  }
}

/** What a Node file-system error means and how to fix it, in one clause. */
export function fsProblem(e: unknown): string {
  const { code, path: p, message } = e as NodeJS.ErrnoException;
  const at = p ? `${p}: ` : "";
  switch (code) {
    case "ENOTDIR":
      return `${at}a part of this path is a file, not a folder; choose a path whose folders are folders`;
    case "EEXIST":
      return `${at}already exists; remove it or choose another path`;
    case "EISDIR":
      return `${at}is a folder where a file was expected; choose a file path`;
    case "ENOSPC":
    case "EDQUOT":
      return `${at}no space left on the device; free space (or choose another --out) and run again`;
    case "EACCES":
    case "EPERM":
      return `${at}permission denied; choose a path you can write or fix its permissions`;
    case "EROFS":
      return `${at}the file system is read-only; choose a writable path`;
    case "ELOOP":
      return `${at}a symbolic link loop; fix or remove the link`;
    case "ENOENT":
      return `${at}no such file or folder; check the path`;
    default:
      return message.split("\n")[0];
  }
}

/** Node file-system errors (they carry an errno code and usually the path). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return (
    e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && typeof (e as NodeJS.ErrnoException).syscall === "string"
  );
}

/** `--flag -1` as `--flag=-1`: parseArgs reads a value starting with "-" as an option ("argument is ambiguous"). */
function joinNegativeNumbers(cmd: Command, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    if (name && cmd.flags[name]?.type === "number" && /^-[\d.]/.test(argv[i + 1] ?? "")) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** Parses argv for one command; throws UsageError naming the argument, the value and the fix. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs | "help" {
  const options: Record<string, { type: "boolean" | "string" }> = { help: { type: "boolean" } };
  for (const [name, f] of Object.entries(cmd.flags)) options[name] = { type: f.type === "boolean" ? "boolean" : "string" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(cmd, argv), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`rftlab ${cmd.name}: ${(e as Error).message.split("\n")[0]} (see rftlab ${cmd.name} --help)`);
  }
  if (parsed.values.help) return "help";
  const flags: ParsedArgs["flags"] = {};
  for (const [name, f] of Object.entries(cmd.flags)) {
    const raw = parsed.values[name] as string | boolean | undefined;
    if (f.type === "boolean") flags[name] = Boolean(raw);
    else if (f.type === "string") {
      const v = (raw as string | undefined) ?? f.default;
      if (v !== undefined && f.choices && !f.choices.includes(v)) {
        throw new UsageError(`rftlab ${cmd.name}: --${name} must be one of ${f.choices.join(", ")}; got "${v}"`);
      }
      flags[name] = v;
    } else {
      if (raw === undefined) flags[name] = f.default;
      else {
        const n = Number(raw);
        if (raw === "" || !Number.isFinite(n) || (f.integer && !Number.isInteger(n)) || (f.min !== undefined && n < f.min)) {
          const want = `${f.integer ? "an integer" : "a number"}${f.min !== undefined ? ` ≥ ${f.min}` : ""}`;
          throw new UsageError(`rftlab ${cmd.name}: --${name} must be ${want}; got "${raw}"`);
        }
        flags[name] = n;
      }
    }
  }
  const names = cmd.positionals;
  const variadic = names.length > 0 && names[names.length - 1].endsWith("...");
  const required = names.filter((n) => !n.endsWith("?")).length - (variadic ? 1 : 0);
  const pos = parsed.positionals;
  if (pos.length < required) {
    throw new UsageError(`rftlab ${cmd.name}: missing <${names[pos.length]}> (usage: ${helpText(cmd).split("\n")[0]})`);
  }
  if (!variadic && pos.length > names.length) {
    throw new UsageError(`rftlab ${cmd.name}: unexpected argument "${pos[names.length]}" (usage: ${helpText(cmd).split("\n")[0]})`);
  }
  return { positionals: pos, flags };
}

/** The error of an analysis that found no 2-D matrix present in both checkpoints with one shape. */
export function noMatrices(cmd: string, [base, tuned]: string[]): UsageError {
  return new UsageError(
    `rftlab ${cmd}: ${base} and ${tuned} have no 2-D matrix of the same name and shape; compare two checkpoints of one architecture`,
  );
}

/** Prints a result: JSON when --json, else the human text. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + "\n" : human() + "\n");
}

/** Left-aligned columns for human output. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
