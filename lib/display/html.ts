/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}
const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** JSON safe to place inside a <script> element: no "</script>", no U+2028/9 line breaks. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

let idCounter = 0;
/** A DOM id unique within this process and unlikely to clash with other outputs in the same notebook. */
export function uniqueDomId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${idCounter}`;
}
