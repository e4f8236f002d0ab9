import fs from "node:fs";
import path from "node:path";

/** True when `p` is a regular file (links followed); false when absent or anything else. */
export function isFile(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** True when `p` is a folder (links followed); false when absent or anything else. */
export function isDirectory(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Regular files under `dir` (any depth) whose names end with `suffix`, as paths joined onto `dir`. */
export function filesUnder(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const p = path.join(e.parentPath, e.name);
    return e.isFile() && e.name.endsWith(suffix) ? [p] : [];
  });
}
