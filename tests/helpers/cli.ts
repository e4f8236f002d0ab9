import { spawnSync } from "node:child_process";
import path from "node:path";

// The compiled CLI entry next to this test's build output (works from dist/ or a dist-<area>/ folder).
const MAIN = path.join(__dirname, "..", "..", "lib", "cli", "main.js");

/** Runs the compiled CLI in a child process: exit code, stdout, stderr. */
export function runCli(args: string[], env: Record<string, string> = {}) {
  // Arguments travel in the environment: `node -e code inspect` would start node's debugger.
  const r = spawnSync(
    process.execPath,
    ["-e", `require(${JSON.stringify(MAIN)}).main(JSON.parse(process.env.RFTLAB_TEST_ARGV)).then(c => process.exit(c))`],
    {
      encoding: "utf8",
      env: { ...process.env, RFTLAB_QUIET: "1", ...env, RFTLAB_TEST_ARGV: JSON.stringify(args) },
      timeout: 120_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
