// CSV lines (RFC 4180 with single-line fields): accuracy matrices, W&B exports.
import { RftlabError } from "../errors";

/** Splits one CSV line; double quotes protect commas and escape themselves as "" (RFC 4180, single-line fields). */
export function splitCsvLine(line: string, source: string, lineNo: number): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (quoted) {
      if (c === '"' && line[k + 1] === '"') {
        cur += '"';
        k++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new RftlabError(`${source}: line ${lineNo} has an unclosed double quote; close the quoted field or remove the quote`);
  cells.push(cur);
  return cells;
}
