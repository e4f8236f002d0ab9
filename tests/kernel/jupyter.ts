// Shared by the kernel tests: a kernelspec installed into a temporary prefix and Debian's Python
// (the one that has jupyter_client, nbclient, nbconvert and jupyter_kernel_test) pointed at it.
import fs from "node:fs";
import path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { installKernelspec } from "../../lib/cli/kernelspec";
import { PYTHON } from "../helpers/python";
import { tmpDir } from "../helpers/tmp";

/** tests/kernel in the source tree (the Python files are not compiled). */
export const KERNEL_TEST_SRC = path.join(__dirname, "..", "..", "..", "tests", "kernel");

export interface TestJupyter {
  root: string;
  env: NodeJS.ProcessEnv;
}

/** Installs the kernelspec of this build (its dist/kernel/launcher.js) under a fresh prefix. */
export async function installTestKernel(): Promise<TestJupyter> {
  const root = tmpDir("rftlab-kernel-test-");
  await installKernelspec({ kind: "prefix", dir: path.join(root, "prefix") });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(root, "prefix", "share", "jupyter"),
    // Keep ~/.local/share/jupyter and runtime files out of the test.
    JUPYTER_DATA_DIR: path.join(root, "data"),
    JUPYTER_RUNTIME_DIR: path.join(root, "runtime"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  return { root, env };
}

export function python(
  args: string[],
  jup: TestJupyter,
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(PYTHON, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: jup.env,
    encoding: "utf8",
    maxBuffer: 1 << 26,
    timeout: opts.timeoutMs ?? 240_000,
  });
}

export interface SessionStep {
  code?: string;
  /** Sent together without waiting for replies (to check that an error does not cancel the rest). */
  batch?: string[];
  stop_on_error?: boolean;
  /** Seconds after sending before the kernel gets SIGINT. */
  interrupt_after?: number;
}

// Jupyter message content is free-form JSON that the tests index into.
export interface StepResult {
  // biome-ignore lint/suspicious/noExplicitAny: free-form Jupyter JSON
  reply: Record<string, any>;
  /** Each with t: seconds since the epoch when the client received it. */
  // biome-ignore lint/suspicious/noExplicitAny: free-form Jupyter JSON
  outputs: { type: string; content: Record<string, any>; t: number }[];
  /** When the client received this request's busy status (seconds since the epoch). */
  busy_t: number;
  /** Seconds from the interrupt to the reply (steps with interrupt_after). */
  interrupt_seconds?: number;
}

/**
 * Runs steps in one kernel through tests/kernel/kernel-session.py; a batch step yields one result per code.
 * The kernel starts in `cwd` (the notebook's folder), by default the test's temporary root.
 */
export function runSession(jup: TestJupyter, steps: SessionStep[], cwd = jup.root): StepResult[][] {
  const r = python([path.join(KERNEL_TEST_SRC, "kernel-session.py")], jup, { cwd, input: JSON.stringify(steps) });
  if (r.status !== 0) throw new Error(`kernel-session.py exited ${r.status}: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as StepResult[][];
}

/** The text of all stream outputs of one name. */
export function streamText(res: StepResult, name: "stdout" | "stderr"): string {
  return res.outputs
    .filter((o) => o.type === "stream" && o.content.name === name)
    .map((o) => o.content.text)
    .join("");
}

/**
 * A notebook folder as in a user's project: node_modules with rftlab's dependencies, danfojs-node as a copy
 * of its own (the kernel's rftlab uses another), the rest linked.
 */
export function notebookFolderWithOwnDanfo(jup: TestJupyter): string {
  const dir = path.join(jup.root, "notebook");
  const from = path.join(KERNEL_TEST_SRC, "..", "..", "node_modules");
  const to = path.join(dir, "node_modules");
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    if (name === "danfojs-node") fs.cpSync(fs.realpathSync(path.join(from, name)), path.join(to, name), { recursive: true });
    else fs.symlinkSync(path.join(from, name), path.join(to, name));
  }
  return dir;
}
