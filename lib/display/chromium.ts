/**
 * Static images of plotly figures: one headless Chromium (Debian's package, driven by playwright-core)
 * started on the first render, reused for every later one, and closed by `closeRenderer()` or at exit.
 * Plotly.js itself draws the image (`Plotly.toImage`), so PNG/SVG match what notebooks show.
 */
import childProcess from "node:child_process";
import fs from "node:fs";
import { RftlabError } from "../errors";
import { plotlyJsSource } from "./plotly-source";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

export class ChromiumMissingError extends RftlabError {
  override name = "ChromiumMissingError";
}

/** The Chromium binary rftlab renders with: $RFTLAB_CHROMIUM, else /usr/bin/chromium. Throws if it is absent. */
export function chromiumPath(): string {
  const configured = process.env.RFTLAB_CHROMIUM;
  const file = configured || DEFAULT_CHROMIUM;
  if (!fs.existsSync(file)) {
    throw new ChromiumMissingError(
      `figure rendering: no Chromium at ${file}` +
        (configured ? ` (from RFTLAB_CHROMIUM)` : "") +
        `; install it with \`apt-get install chromium\` or set RFTLAB_CHROMIUM to a Chromium/Chrome binary`,
    );
  }
  return file;
}

export interface ImageSize {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Device pixel ratio: a PNG is width·scale × height·scale pixels. Default 1. */
  scale?: number;
}

interface PlotlySpecLike {
  data: unknown[];
  layout?: Record<string, unknown>;
}

// Structural types for the few playwright-core objects used here (it is loaded lazily: ~0.5 s to require).
interface Page {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  addScriptTag(opts: { content: string }): Promise<unknown>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface Renderer {
  browser: Browser;
  page: Page;
  /** Chromium's process: kept referenced only while a render runs, so an idle browser never holds Node open. */
  proc: childProcess.ChildProcess | undefined;
}

let starting: Promise<Renderer> | undefined;
let active = 0;
let queue: Promise<unknown> = Promise.resolve();

function holdProcess(r: Renderer, hold: boolean): void {
  if (!r.proc) return;
  for (const s of r.proc.stdio) {
    const h = s as unknown as { ref?: () => void; unref?: () => void } | null;
    if (h) hold ? h.ref?.() : h.unref?.();
  }
  hold ? r.proc.ref() : r.proc.unref();
}

async function launch(): Promise<Renderer> {
  const executablePath = chromiumPath();
  const { chromium } = await import("playwright-core");
  // playwright-core does not expose the browser's ChildProcess; catch it as it is spawned so that its
  // pipes can be unref'd between renders (otherwise a script that drew a figure never exits).
  const spawn = childProcess.spawn;
  let proc: childProcess.ChildProcess | undefined;
  childProcess.spawn = function (this: unknown, ...args: Parameters<typeof spawn>) {
    const p = (spawn as (...a: unknown[]) => childProcess.ChildProcess).apply(this, args);
    if (args[0] === executablePath) proc = p;
    return p;
  } as typeof spawn;
  let browser: Browser;
  try {
    // launch() gives Chromium a fresh temporary --user-data-dir and deletes it on close or exit.
    browser = (await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS })) as unknown as Browser;
  } catch (e) {
    throw new ChromiumMissingError(
      `figure rendering: Chromium at ${executablePath} failed to start (${(e as Error).message.split("\n")[0]}); ` +
        "reinstall it with `apt-get install chromium` or point RFTLAB_CHROMIUM at a working binary",
    );
  } finally {
    childProcess.spawn = spawn;
  }
  const page = await browser.newPage();
  await page.addScriptTag({ content: plotlyJsSource() });
  return { browser, page, proc };
}

/** Runs one job on the shared page, one at a time, with Chromium's process referenced meanwhile. */
async function withRenderer<T>(job: (page: Page) => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    active += 1;
    let r: Renderer | undefined;
    try {
      starting ??= launch();
      r = await starting.catch((e) => {
        starting = undefined;
        throw e;
      });
      holdProcess(r, true);
      return await job(r.page);
    } finally {
      active -= 1;
      if (r && active === 0 && starting) holdProcess(r, false);
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

function checkSize(size: ImageSize, what: string): Required<ImageSize> {
  const scale = size.scale ?? 1;
  for (const [k, v] of [
    ["width", size.width],
    ["height", size.height],
    ["scale", scale],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new RftlabError(`${what}: ${k} must be a positive number; got ${v}`);
  }
  return { width: size.width, height: size.height, scale };
}

async function toImage(spec: PlotlySpecLike, format: "png" | "svg", size: Required<ImageSize>): Promise<string> {
  return withRenderer((page) =>
    page.evaluate(
      async ({ spec, format, size }) => {
        const Plotly = (globalThis as unknown as { Plotly: { toImage(s: unknown, o: unknown): Promise<string> } }).Plotly;
        return Plotly.toImage(spec, { format, ...size });
      },
      { spec, format, size },
    ),
  );
}

/** Renders a plotly spec to PNG bytes (width·scale × height·scale pixels). */
export async function renderPlotlyPng(spec: PlotlySpecLike, size: ImageSize): Promise<Uint8Array> {
  const url = await toImage(spec, "png", checkSize(size, "renderPlotlyPng"));
  return new Uint8Array(Buffer.from(url.slice(url.indexOf(",") + 1), "base64"));
}

/** Renders a plotly spec to an SVG document. */
export async function renderPlotlySvg(spec: PlotlySpecLike, size: ImageSize): Promise<string> {
  const url = await toImage(spec, "svg", checkSize(size, "renderPlotlySvg"));
  const body = url.slice(url.indexOf(",") + 1);
  return url.slice(0, url.indexOf(",")).endsWith(";base64") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
}

/** Closes the shared Chromium (a later render starts a new one). Safe to call when none is running. */
export async function closeRenderer(): Promise<void> {
  const s = starting;
  starting = undefined;
  if (!s) return;
  const r = await s.catch(() => undefined);
  if (!r) return;
  holdProcess(r, true); // let the close handshake run to completion
  await r.browser.close();
}
