import { spawnSync } from "node:child_process";
import path from "node:path";

/** Debian's interpreter: the only one that sees python3-torch and the Jupyter packages. */
export const PYTHON = process.env.RFTLAB_PYTHON ?? "/usr/bin/python3";

/** Path of a checked-in reference script under tests/reference/. */
export function referenceScript(name: string): string {
  return path.join(__dirname, "..", "..", "..", "tests", "reference", name);
}

/** Runs a Python reference script with JSON on stdin, returns its parsed JSON stdout. */
export function runPython<T = unknown>(script: string, input: unknown, timeoutMs = 300_000): T {
  const r = spawnSync(PYTHON, [script], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 1 << 30,
    timeout: timeoutMs,
    env: { ...process.env, OMP_NUM_THREADS: "2", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
  });
  if (r.status !== 0) {
    throw new Error(`${script} exited ${r.status}: ${r.stderr || r.error?.message}`);
  }
  return JSON.parse(r.stdout) as T;
}

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" }).status === 0;
}
