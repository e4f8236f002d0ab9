import { CLAIMS_MIME, type Claim, type Claims, type Measurement } from "../stats";
import { JUPYTER_DISPLAY, type Displayable, type MimeBundle } from "./sink";
import { formatCell, tableBundle } from "./table";

/** `name 0.576 [0.551, 0.602]` (95% unless another level is stated; no brackets without an interval). */
function formatMeasurement(m: Measurement): string {
  const num = (x: number) => formatCell(x, 3);
  const ci =
    m.lo !== null && m.hi !== null
      ? ` [${num(m.lo)}, ${num(m.hi)}]${m.level !== null && m.level !== 0.95 ? ` (${m.level * 100}%)` : ""}`
      : "";
  return `${m.name} ${num(m.estimate)}${ci}`;
}

/** Claims as table rows (a `notebook` column first when the claims carry one, as in `rftlab reproduce`). */
export function claimRows(claims: readonly (Claim & { notebook?: string })[]): Record<string, string>[] {
  return claims.map((c) => ({
    ...(c.notebook !== undefined ? { notebook: c.notebook } : {}),
    paper: c.paper,
    claim: c.id,
    statement: c.statement,
    measured: c.measured.map(formatMeasurement).join("; "),
    verdict: c.verdict,
    reason: c.reason,
  }));
}

/** `n claims (a reproduced, b not reproduced, c inconclusive)`. */
export function claimCounts(claims: readonly Claim[]): string {
  const counts = ["reproduced", "not reproduced", "inconclusive"]
    .map((v) => `${claims.filter((c) => c.verdict === v).length} ${v}`)
    .join(", ");
  return `${claims.length} (${counts})`;
}

/** Claims as a GitHub-flavoured markdown table (the same columns as claimRows; `|` escaped, verdicts bold). */
export function claimsMarkdown(claims: readonly (Claim & { notebook?: string })[]): string {
  const rows = claimRows(claims);
  if (rows.length === 0) return "No claims.\n";
  const cols = Object.keys(rows[0]);
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return (
    [
      line(cols),
      line(cols.map(() => "---")),
      ...rows.map((r) => line(cols.map((c) => (c === "verdict" ? `**${r[c]}**` : cell(r[c]))))),
    ].join("\n") + "\n"
  );
}

/** HTML and text table of claims (every row shown, long cells kept). */
export function claimsTableBundle(claims: readonly (Claim & { notebook?: string })[], title?: string): MimeBundle {
  return tableBundle(claimRows(claims), {
    maxRows: Math.max(1, claims.length),
    maxCellChars: 400,
    title: title ?? `Claims: ${claimCounts(claims)}`,
  });
}

/**
 * The notebook's claims cell: a table for the reader plus the claims as `application/vnd.rftlab.claims+json`
 * (CLAIMS_MIME), which `rftlab reproduce` collects into claims.json. Accepts one or more Claims records.
 */
export function claimsTable(...sets: (Claims | readonly Claim[])[]): Displayable & { claims: Claim[] } {
  const claims = sets.flatMap((s) => ("list" in s ? s.list : s) as Claim[]);
  return {
    claims,
    [JUPYTER_DISPLAY]: () => ({ ...claimsTableBundle(claims), [CLAIMS_MIME]: { claims } }),
  };
}
