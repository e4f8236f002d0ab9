import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh temporary folder, removed when the process exits. */
export function tmpDir(prefix = "rftlab-test-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
