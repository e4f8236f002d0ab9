import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const pending = new Set<string>();

function removeAll(): void {
  for (const dir of pending) fs.rmSync(dir, { recursive: true, force: true });
  pending.clear();
}

/**
 * A fresh folder under the OS temp folder for a notebook's or a test's run folders, removed when the process exits
 * (a kernel's shutdown or restart exits the process), so `rftlab reproduce` leaves no checkpoints behind.
 * `RFTLAB_KEEP_RUNS=1` keeps it for inspection.
 */
export function scratchDir(prefix = "rftlab-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (process.env.RFTLAB_KEEP_RUNS === "1") return dir;
  if (pending.size === 0) process.once("exit", removeAll);
  pending.add(dir);
  return dir;
}
