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
  /** Positional argument names, in order; a trailing "..." name takes the rest. */
  positionals: string[];
  flags: Record<string, FlagSpec>;
  run(args: ParsedArgs): Promise<number | void>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | number | boolean | undefined>;
}

export function helpText(cmd: Command): string {
  const pos = cmd.positionals.map((p) => `<${p}>`).join(" ");
  const lines = [`rftlab ${cmd.name} ${pos}`.trimEnd(), "", cmd.summary, "", "Options:"];
  const flags = { ...cmd.flags, help: { type: "boolean", help: "show this help" } as FlagSpec };
  for (const [name, f] of Object.entries(flags)) {
    const arg = f.type === "boolean" ? "" : f.type === "string" && f.choices ? ` ${f.choices.join("|")}` : ` <${f.type}>`;
    const def = "default" in f && f.default !== undefined ? ` (default ${f.default})` : "";
    lines.push(`  --${name}${arg}`.padEnd(34) + f.help + def);
  }
  return lines.join("\n");
}

/** Parses argv for one command; throws UsageError naming the argument, the value and the fix. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs | "help" {
  const options: Record<string, { type: "boolean" | "string" }> = { help: { type: "boolean" } };
  for (const [name, f] of Object.entries(cmd.flags)) options[name] = { type: f.type === "boolean" ? "boolean" : "string" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
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
  const required = variadic ? names.length - 1 : names.length;
  const pos = parsed.positionals;
  if (pos.length < required) {
    throw new UsageError(`rftlab ${cmd.name}: missing <${names[pos.length]}> (usage: ${helpText(cmd).split("\n")[0]})`);
  }
  if (!variadic && pos.length > names.length) {
    throw new UsageError(`rftlab ${cmd.name}: unexpected argument "${pos[names.length]}" (usage: ${helpText(cmd).split("\n")[0]})`);
  }
  return { positionals: pos, flags };
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
