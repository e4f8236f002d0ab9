import { commandLoaders } from "./commands";
import { fsProblem, helpText, isFsError, parseCommandArgs, UsageError } from "./command";
import { RftlabError } from "../errors";
import { isInterrupt, KeyboardInterrupt, setInterruptSignal } from "../base/cancel";

function topHelp(): string {
  return [
    "Usage: rftlab <command> [options]",
    "",
    "Commands:",
    ...Object.keys(commandLoaders).map((n) => `  ${n}`),
    "",
    "rftlab <command> --help shows each command's options.",
  ].join("\n");
}

/** Resolves once everything written so far reached the OS: pipes are async, and callers process.exit(). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve(); // nothing queued (also when write is replaced in tests)
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** CLI entry: returns the exit status (0 ok, 1 failure, 2 bad input) once output is flushed. */
export async function main(argv: string[]): Promise<number> {
  const code = await run(argv);
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return code;
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topHelp() + "\n");
    return name ? 0 : 2;
  }
  const load = commandLoaders[name];
  if (!load) {
    process.stderr.write(`rftlab: unknown command "${name}"; commands: ${Object.keys(commandLoaders).join(", ")}\n`);
    return 2;
  }
  const cmd = await load();
  // Ctrl-C stops library loops between two steps (checkpointing them); a second one quits at once.
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    process.stderr.write("rftlab: stopping after the current step (Ctrl-C again quits now)\n");
    interrupt.abort(new KeyboardInterrupt("interrupted (Ctrl-C)"));
  };
  process.on("SIGINT", onSigint);
  setInterruptSignal(interrupt.signal);
  try {
    const args = parseCommandArgs(cmd, rest);
    if (args === "help") {
      process.stdout.write(helpText(cmd) + "\n");
      return 0;
    }
    return (await cmd.run(args)) ?? 0;
  } catch (e) {
    if (isInterrupt(e)) {
      process.stderr.write("rftlab: interrupted; a run folder continues with --resume\n");
      return 130;
    }
    if (e instanceof UsageError || e instanceof RftlabError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (isFsError(e)) {
      // A full disk, a read-only or occupied path: the user's to fix, so one line rather than a stack.
      process.stderr.write(`rftlab ${name}: ${fsProblem(e)}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    setInterruptSignal(undefined);
  }
}
