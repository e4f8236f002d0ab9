// Runs one compiled test file (all of it, or the named leaf tests) in a child node, with a time limit, for
// tests/mutation/run.ts. The child is killed on timeout and when the runner itself is stopped.
import { type ChildProcess, spawn } from "node:child_process";

export interface TestRun {
  pass: boolean;
  timedOut: boolean;
  ms: number;
  /** Names of the failing tests (from the TAP output). */
  failed: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The --test-name-pattern flags that select exactly these leaf tests (node 20 matches leaf names). */
export const namePatterns = (names: string[]): string[] => names.map((n) => `--test-name-pattern=^${escapeRegExp(n)}$`);

let running: ChildProcess | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    running?.kill("SIGKILL");
    process.exit(130);
  });

export function runTestFile(
  file: string,
  options: { names?: string[]; timeoutMs: number; env?: NodeJS.ProcessEnv; args?: string[] },
): Promise<TestRun & { stdout: string }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [...(options.args ?? []), ...namePatterns(options.names ?? []), file], {
    env: { ...process.env, RFTLAB_QUIET: "1", ...options.env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  running = child;
  let stdout = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      running = undefined;
      const failed = [...new Set([...stdout.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1].replace(/ # .*$/, "")))];
      resolve({ pass: code === 0 && !timedOut, timedOut, ms: Date.now() - t0, failed, stdout });
    }),
  );
}
