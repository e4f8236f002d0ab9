import path from "node:path";
import { RftlabError } from "../errors";
import { parseJsonText, readTextFile, writeFileAtomic } from "../io";
import { type AccuracyMatrix, checkAccuracyMatrix } from "./metrics";
import { accuracyMatrixFromCsv, accuracyMatrixFromJson, accuracyMatrixToCsv, accuracyMatrixToJson } from "./matrix-format";

function formatOf(file: string): "json" | "csv" {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".json" || ext === ".csv") return ext === ".json" ? "json" : "csv";
  throw new RftlabError(`${file}: unknown accuracy-matrix format "${ext || "(no extension)"}"; name the file .json or .csv`);
}

/** Reads an accuracy matrix from a .json or .csv file (format by extension), validated. */
export function readAccuracyMatrix(file: string): AccuracyMatrix {
  const format = formatOf(file);
  const text = readTextFile(file, "accuracy matrix");
  return format === "json" ? accuracyMatrixFromJson(parseJsonText(text, file, "accuracy matrix"), file) : accuracyMatrixFromCsv(text, file);
}

/** Writes a validated matrix to a .json or .csv file (format by extension), atomically. */
export async function writeAccuracyMatrix(file: string, m: AccuracyMatrix): Promise<void> {
  const format = formatOf(file);
  checkAccuracyMatrix(m, file);
  await writeFileAtomic(file, format === "json" ? accuracyMatrixToJson(m) : accuracyMatrixToCsv(m));
}
