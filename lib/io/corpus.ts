import fs from "node:fs";
import path from "node:path";
import { RftlabError } from "../errors";
import { writeFileAtomicSync } from "./atomic";

/** A corpus folder: train.jsonl and test.jsonl (one `{"text": …}` document per line) plus config.json. */
export interface CorpusFiles<C = unknown> {
  train: string[];
  test: string[];
  config: C;
}

/** rftlab's bundled datasets/ folder (next to package.json). */
export function bundledDatasetsDir(): string {
  return path.resolve(__dirname, "..", "..", "..", "datasets");
}

function readJsonl(file: string): string[] {
  if (!fs.existsSync(file)) {
    throw new RftlabError(`corpus file ${file} does not exist; regenerate it with \`rftlab make-datasets --out <folder>\``);
  }
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((line, i) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (e) {
        throw new RftlabError(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); each line must be {"text": "..."}`);
      }
      const text = (row as { text?: unknown }).text;
      if (typeof text !== "string") throw new RftlabError(`${file}:${i + 1}: missing string field "text"`);
      return text;
    });
}

/** Reads a corpus folder written by writeCorpus. */
export function readCorpus<C = unknown>(dir: string): CorpusFiles<C> {
  const configFile = path.join(dir, "config.json");
  return {
    train: readJsonl(path.join(dir, "train.jsonl")),
    test: readJsonl(path.join(dir, "test.jsonl")),
    config: (fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, "utf8")) : {}) as C,
  };
}

/** Writes train.jsonl, test.jsonl and config.json into `dir`, each atomically. */
export function writeCorpus<C>(dir: string, corpus: CorpusFiles<C>): void {
  const jsonl = (docs: string[]) => docs.map((text) => JSON.stringify({ text })).join("\n") + "\n";
  writeFileAtomicSync(path.join(dir, "train.jsonl"), jsonl(corpus.train));
  writeFileAtomicSync(path.join(dir, "test.jsonl"), jsonl(corpus.test));
  writeFileAtomicSync(path.join(dir, "config.json"), JSON.stringify(corpus.config, null, 2) + "\n");
}
