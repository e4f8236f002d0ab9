import fs from "node:fs";
import { CheckpointError } from "./checkpoint-error";

/** Reads a UTF-8 text file; `what` names it in errors ("config.json", "accuracy matrix"). */
export function readTextFile(file: string, what = "file"): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      file,
      `cannot read ${what}: ${code === "ENOENT" ? "file not found" : code === "EISDIR" ? "it is a folder" : (e as Error).message}`,
    );
  }
}
