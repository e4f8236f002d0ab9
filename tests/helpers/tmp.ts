import { scratchDir } from "../../lib/io/scratch-dir";

/** A fresh temporary folder, removed when the process exits. */
export function tmpDir(prefix = "rftlab-test-"): string {
  return scratchDir(prefix);
}
