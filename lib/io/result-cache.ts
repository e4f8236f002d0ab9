// Results of expensive passes over checkpoints, cached as one JSON file per key so that a re-run after
// a new checkpoint recomputes only the new one. Keys include the files' identity (path, size, mtime,
// inode), so a rewritten or replaced checkpoint is never served from the cache.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomicSync } from "./atomic";
import { fsError } from "./checkpoint-path";

/** Identity of files as stat sees them: changes when a file is rewritten, replaced, or grows. */
export function filesIdentity(files: readonly string[]): string {
  return files
    .map((f) => {
      let st: fs.Stats;
      try {
        st = fs.statSync(f);
      } catch (e) {
        throw fsError(f, e);
      }
      return `${path.resolve(f)}:${st.size}:${st.mtimeMs}:${st.ino}`;
    })
    .join("\n");
}

/** A folder of `<sha256(key)>.json` files; a missing, torn or foreign entry reads as absent. */
export class ResultCache {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, `${crypto.createHash("sha256").update(key).digest("hex")}.json`);
  }

  get<T>(key: string): T | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file(key), "utf8");
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { key?: unknown; value?: T };
      // The stored key guards against hash collisions and hand-copied files.
      return entry.key === key ? entry.value : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: unknown): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomicSync(this.file(key), JSON.stringify({ key, value }));
  }
}
