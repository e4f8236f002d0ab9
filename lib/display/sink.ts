import { inspect } from "node:util";

/** A Jupyter mime bundle: mime type → data ("text/plain" → string, "image/png" → base64, JSON types → objects). */
export type MimeBundle = Record<string, unknown>;

export interface DisplayOptions {
  /** Jupyter display id: a later `display(obj, {displayId, update: true})` replaces this output in place. */
  displayId?: string;
  /** Replace the output published earlier under `displayId` (update_display_data) instead of adding one. */
  update?: boolean;
}

/** Where rich output goes. The Jupyter kernel installs one; without one (a terminal) text is printed. */
export interface DisplaySink {
  display(bundle: MimeBundle, opts?: DisplayOptions): void;
}

/**
 * The method name of the rich-display convention shared with Deno's kernel and nodejs-polars:
 * `obj[Symbol.for("Jupyter.display")]()` returns a mime bundle that the kernel shows as the cell result.
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

let currentSink: DisplaySink | undefined;

/** Installs (or with undefined removes) the sink rich output is published to. */
export function setDisplaySink(sink: DisplaySink | undefined): void {
  currentSink = sink;
}

/** The installed sink, if any: undefined in a terminal. */
export function getDisplaySink(): DisplaySink | undefined {
  return currentSink;
}

export function isDisplayable(obj: unknown): obj is Displayable {
  return (
    obj !== null &&
    (typeof obj === "object" || typeof obj === "function") &&
    typeof (obj as Partial<Displayable>)[JUPYTER_DISPLAY] === "function"
  );
}

/** The mime bundle of any value: its own `[Symbol.for("Jupyter.display")]()` bundle, else `util.inspect` text. */
export function displayBundle(obj: unknown): MimeBundle {
  if (isDisplayable(obj)) {
    const bundle = obj[JUPYTER_DISPLAY]();
    if (bundle && typeof bundle === "object") return bundle;
  }
  return { "text/plain": typeof obj === "string" ? obj : inspect(obj, { depth: 4, colors: false }) };
}

/** The text a terminal shows for a bundle. */
export function bundleText(bundle: MimeBundle): string {
  const text = bundle["text/plain"];
  return typeof text === "string" ? text : inspect(bundle, { depth: 2 });
}

/** Publishes obj's bundle to the display sink (a notebook), or prints its text/plain on stdout (a terminal). */
export function display(obj: unknown, opts?: DisplayOptions): void {
  const bundle = displayBundle(obj);
  if (currentSink) currentSink.display(bundle, opts);
  else process.stdout.write(bundleText(bundle) + "\n");
}
