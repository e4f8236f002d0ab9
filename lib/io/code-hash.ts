import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { RftlabError } from "../errors";

/**
 * sha256 (hex) over the names (relative to `root`) and bytes of `files`, in the order given: a version of
 * the code in those files, for cache keys that must change when the code that builds a cached thing does.
 */
export function hashFiles(root: string, files: readonly string[]): string {
  const h = createHash("sha256");
  for (const rel of files) {
    const file = path.join(root, rel);
    if (!fs.existsSync(file)) throw new RftlabError(`hashFiles: ${file} does not exist; build first (npx tsc -p tsconfig.json)`);
    h.update(`${rel}\0`).update(fs.readFileSync(file)).update("\0");
  }
  return h.digest("hex");
}
