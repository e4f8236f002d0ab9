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

/**
 * rftlab's addition to that convention: an async method run before the bundle is taken (a figure draws
 * its PNG), so that a figure shown any way (cell value, display(), show()) carries its image.
 */
export const PREPARE_DISPLAY: unique symbol = Symbol.for("rftlab.prepareDisplay");

/** Runs obj's PREPARE_DISPLAY method, if it has one. */
export async function prepareDisplay(obj: unknown): Promise<void> {
  const prepare = (obj as { [PREPARE_DISPLAY]?: unknown } | null | undefined)?.[PREPARE_DISPLAY];
  if (typeof prepare === "function") await prepare.call(obj);
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

/**
 * Publishes obj's bundle to the display sink (a notebook), or prints its text/plain on stdout (a terminal).
 * A value that must prepare its display (a figure drawing its PNG) is shown as text at once and replaced
 * by its full bundle when ready; `await show(obj)` waits instead.
 */
export function display(obj: unknown, opts?: DisplayOptions): void {
  const sink = currentSink;
  if (!sink || typeof (obj as { [PREPARE_DISPLAY]?: unknown } | null)?.[PREPARE_DISPLAY] !== "function") {
    displayPrepared(obj, opts);
    return;
  }
  const displayId = opts?.displayId ?? `rftlab-display-${++displayCount}`;
  sink.display({ "text/plain": bundleText(displayBundle(obj)) }, { displayId, update: opts?.update });
  void prepareDisplay(obj).then(() => sink.display(displayBundle(obj), { displayId, update: true }));
}

/** display() for a value whose display is prepared (or needs none): its bundle goes out as it is now. */
export function displayPrepared(obj: unknown, opts?: DisplayOptions): void {
  const bundle = displayBundle(obj);
  if (currentSink) currentSink.display(bundle, opts);
  else process.stdout.write(bundleText(bundle) + "\n");
}

let displayCount = 0;
