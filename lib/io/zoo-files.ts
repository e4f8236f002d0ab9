// Files of the bundled model zoo: datasets/zoo/<name>/{recipe.json, card.json, model/}.
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { bundledDatasetsDir } from "./corpus";

/** datasets/zoo/ in the package. */
export function zooRoot(): string {
  return path.join(bundledDatasetsDir(), "zoo");
}

/** Names of the folders under datasets/zoo/ that hold a recipe.json, sorted. */
export function listZooFolders(): string[] {
  const root = zooRoot();
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, "recipe.json")))
    .map((e) => e.name)
    .sort();
}

/** sha256 of a file's bytes, hex. */
export function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}

/** Copies the tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json when present). */
export function copyTokenizerFiles(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(to, f));
  }
}

/** The rows of a JSONL file (e.g. a run's metrics.jsonl). */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}
