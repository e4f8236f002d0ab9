import { escapeHtml } from "./html";
import { JUPYTER_DISPLAY, type MimeBundle } from "./sink";
import { formatCell } from "./table";

/**
 * The one-line summary bundle of a model, checkpoint or run (`GPT2: 4 layers, d=256, 3.45M params`),
 * with optional details shown folded underneath in notebooks and as indented lines in terminals.
 */
export function summaryBundle(text: string, details?: Record<string, unknown>): MimeBundle {
  const entries = Object.entries(details ?? {});
  const plain = [text, ...entries.map(([k, v]) => `  ${k}: ${formatCell(v, 6, 200)}`)].join("\n");
  const line = `<code style="white-space:pre-wrap">${escapeHtml(text)}</code>`;
  const html = entries.length
    ? `<details class="rftlab-summary"><summary>${line}</summary><table style="margin-left:1.5em">` +
      entries
        .map(
          ([k, v]) =>
            `<tr><td style="color:#555;padding:1px 8px">${escapeHtml(k)}</td><td style="padding:1px 8px">${escapeHtml(formatCell(v, 6, 200))}</td></tr>`,
        )
        .join("") +
      `</table></details>`
    : `<div class="rftlab-summary">${line}</div>`;
  return { "text/plain": plain, "text/html": html };
}

/** Wraps a summary as a displayable value (for functions that return a description). */
export function summaryDisplay(text: string, details?: Record<string, unknown>): { [JUPYTER_DISPLAY](): MimeBundle; toString(): string } {
  return { [JUPYTER_DISPLAY]: () => summaryBundle(text, details), toString: () => text };
}
