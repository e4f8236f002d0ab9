import path from "node:path";
import { RftlabError, warnOnce } from "../errors";
import { writeFileAtomic } from "../io/atomic";
import { ChromiumMissingError, renderPlotlyPng, renderPlotlySvg } from "./chromium";
import { escapeHtml, scriptJson, uniqueDomId } from "./html";
import { plotlyJsSource } from "./plotly-source";
import { type DisplayOptions, displayPrepared, JUPYTER_DISPLAY, type MimeBundle, PREPARE_DISPLAY, prepareDisplay } from "./sink";
import { HOUSE_SIZE, houseTemplate } from "./theme";
import { deepFreeze } from "../base/freeze";

export type PlotlyTrace = Record<string, unknown>;
export type PlotlyLayout = Record<string, unknown>;

/** A plotly figure as plain JSON (what `Plotly.newPlot` and the plotly mime type take). */
export interface PlotlySpec {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
  config?: Record<string, unknown>;
}

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface FigureRenderOptions {
  /** Device pixel ratio of the PNG; default 1 for display, 2 for `save("….png")`. */
  scale?: number;
}

interface Rendered {
  /** JSON of the spec the images were drawn from: a changed spec makes them stale. */
  key: string;
  scale: number;
  png: Uint8Array;
  svg: string;
}

const DEFAULT_PLOTLY_CONFIG = deepFreeze({ displaylogo: false, responsive: false });

/**
 * A plotly figure: `spec` is plain JSON with the house template applied. Shown in notebooks as
 * interactive plotly JSON, a self-contained HTML page and (after `await fig.render()`) a PNG.
 * Notebooks call `await show(fig)`, which renders and then displays.
 */
export class Figure {
  readonly spec: PlotlySpec;
  private rendered: Rendered | undefined;

  /** `layout.title` may be a string; it becomes `{text}` (plotly.js 4 ignores string titles). */
  constructor(spec: { data: PlotlyTrace[]; layout?: PlotlyLayout; config?: Record<string, unknown> }) {
    if (!spec || !Array.isArray(spec.data)) {
      throw new RftlabError(`new Figure(spec): spec.data must be an array of plotly traces; got ${spec && typeof spec.data}`);
    }
    const layout: PlotlyLayout = { template: houseTemplate(), width: HOUSE_SIZE.width, height: HOUSE_SIZE.height, ...spec.layout };
    if (typeof layout.title === "string") layout.title = { text: layout.title };
    this.spec = { data: spec.data, layout, config: { ...DEFAULT_PLOTLY_CONFIG, ...spec.config } };
  }

  get width(): number {
    return Number(this.spec.layout.width);
  }

  get height(): number {
    return Number(this.spec.layout.height);
  }

  get title(): string | undefined {
    const t = this.spec.layout.title as { text?: string } | undefined;
    return t?.text;
  }

  /** A new figure with `patch` merged into the layout (one level deep for objects like `xaxis`). */
  withLayout(patch: PlotlyLayout): Figure {
    const layout: PlotlyLayout = { ...this.spec.layout };
    for (const [k, v] of Object.entries(patch)) {
      const old = layout[k];
      const mergeable = isPlainObject(old) && isPlainObject(v);
      layout[k] = mergeable ? { ...old, ...v } : k === "title" && typeof v === "string" ? { text: v } : v;
    }
    return new Figure({ data: this.spec.data, layout, config: this.spec.config });
  }

  toJSON(): PlotlySpec {
    return this.spec;
  }

  toString(): string {
    const types = [...new Set(this.spec.data.map((t) => String(t.type ?? "scatter")))].join("+") || "empty";
    const title = this.title ? ` "${this.title}"` : "";
    return `Figure${title}: ${this.spec.data.length} ${types} trace(s), ${this.width}x${this.height}`;
  }

  /** Draws PNG and SVG in headless Chromium and keeps them for display; returns this for chaining. */
  async render(opts: FigureRenderOptions = {}): Promise<this> {
    const key = JSON.stringify(this.spec);
    const scale = opts.scale ?? 1;
    if (this.rendered?.key === key && this.rendered.scale === scale) return this;
    const size = { width: this.width, height: this.height };
    const png = await renderPlotlyPng(this.spec, { ...size, scale });
    const svg = await renderPlotlySvg(this.spec, size);
    this.rendered = { key, scale, png, svg };
    return this;
  }

  private current(): Rendered | undefined {
    return this.rendered?.key === JSON.stringify(this.spec) ? this.rendered : undefined;
  }

  /** PNG bytes at the given scale (renders if needed). */
  async toPNG(opts: FigureRenderOptions = {}): Promise<Uint8Array> {
    await this.render(opts);
    return this.rendered!.png;
  }

  /** SVG document (renders if needed). */
  async toSVG(): Promise<string> {
    const cur = this.current();
    if (cur) return cur.svg;
    return (await this.render()).rendered!.svg;
  }

  /**
   * HTML that draws the figure with plotly.js inlined (no network). The fragment form (for notebooks)
   * shows the PNG, when rendered, until the script replaces it: untrusted notebooks do not run scripts.
   */
  toHTML(opts: { fullPage?: boolean } = {}): string {
    const id = uniqueDomId("rftlab-fig");
    const cur = this.current();
    const img =
      cur && !opts.fullPage
        ? `<img src="data:image/png;base64,${Buffer.from(cur.png).toString("base64")}" width="${this.width}" height="${this.height}" alt="${escapeHtml(this.title ?? "figure")}">`
        : "";
    const { data, layout, config } = this.spec;
    const draw =
      `(function(){var el=document.getElementById(${scriptJson(id)});if(!el||!window.Plotly)return;` +
      `el.innerHTML="";window.Plotly.newPlot(el,${scriptJson(data)},${scriptJson(layout)},${scriptJson(config)});})();`;
    const body =
      `<div class="rftlab-figure" id="${id}" style="width:${this.width}px;height:${this.height}px">${img}</div>\n` +
      `<script type="text/javascript">${plotlyJsSource()}</script>\n<script type="text/javascript">${draw}</script>`;
    if (!opts.fullPage) return body;
    const title = escapeHtml(this.title ?? "rftlab figure");
    return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body style="margin:0">\n${body}\n</body></html>\n`;
  }

  /**
   * The bundle the kernel shows: plotly JSON (interactive in JupyterLab, VS Code, nteract), the PNG
   * (Notebook 6 trusted or not, nbconvert, GitHub) and text. Only without a PNG (no Chromium) does it
   * carry the self-contained HTML, which inlines plotly.js (~4.8 MB per figure).
   */
  [JUPYTER_DISPLAY](): MimeBundle {
    const cur = this.current();
    const picture = cur ? { "image/png": Buffer.from(cur.png).toString("base64") } : { "text/html": this.toHTML() };
    return { [PLOTLY_MIME]: this.spec, ...picture, "text/plain": this.toString() };
  }

  /** Draws the PNG before the figure is displayed; without Chromium it warns once and the figure shows without. */
  async [PREPARE_DISPLAY](): Promise<void> {
    try {
      await this.render();
    } catch (e) {
      if (!(e instanceof ChromiumMissingError)) throw e;
      warnOnce("figure-png", `${e.message}; figures are shown without a PNG`);
    }
  }

  /**
   * Writes the figure by extension: .png (scale 2 unless given), .svg, .html (a standalone page), .json (the spec).
   * Returns the absolute path written.
   */
  async save(file: string, opts: FigureRenderOptions = {}): Promise<string> {
    const ext = path.extname(file).toLowerCase();
    let data: string | Uint8Array;
    if (ext === ".png") data = await this.toPNG({ scale: opts.scale ?? 2 });
    else if (ext === ".svg") data = await this.toSVG();
    else if (ext === ".html") data = this.toHTML({ fullPage: true });
    else if (ext === ".json") data = JSON.stringify(this.spec, null, 1) + "\n";
    else throw new RftlabError(`Figure.save: unknown extension "${ext}" in ${file}; use .png, .svg, .html or .json`);
    await writeFileAtomic(file, data);
    return path.resolve(file);
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/**
 * Renders a figure (PNG, when Chromium is available: otherwise it warns once and shows it without) and
 * displays it. Any other value is displayed as is. `await show(fig)` is the notebook idiom.
 */
export async function show(obj: unknown, opts?: DisplayOptions): Promise<void> {
  await prepareDisplay(obj);
  displayPrepared(obj, opts);
}
