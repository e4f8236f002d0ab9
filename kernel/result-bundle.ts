// What a cell's value looks like in Jupyter: objects that know how to display themselves
// (`[Symbol.for("Jupyter.display")]()` → mime bundle, the convention of Deno's kernel and nodejs-polars)
// give their own bundle; everything else is shown as `util.inspect` text.
import { inspect } from "node:util";

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

export type MimeBundle = Record<string, unknown>;

/** The mime bundle for a value; binary payloads become base64 and `text/plain` is always present. */
export function mimeBundle(value: unknown): MimeBundle {
  const show = (value as { [JUPYTER_DISPLAY]?: unknown } | null | undefined)?.[JUPYTER_DISPLAY];
  if (typeof show !== "function") return { "text/plain": inspect(value) };
  const bundle = show.call(value) as MimeBundle;
  if (typeof bundle !== "object" || bundle === null) {
    throw new TypeError(`[Symbol.for("Jupyter.display")]() must return a mime bundle object; got ${inspect(bundle)}`);
  }
  return normalizeBundle(bundle, value);
}

/** Encodes binary entries as base64 (the wire format for image/png etc.) and adds a short text/plain. */
export function normalizeBundle(bundle: MimeBundle, value?: unknown): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle)) {
    out[mime] = data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") : data;
  }
  if (!("text/plain" in out)) out["text/plain"] = value === undefined ? "" : inspect(value, { depth: 0 });
  return out;
}
