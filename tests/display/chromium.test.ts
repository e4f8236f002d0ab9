// Rendered images: one headless Chromium for the whole file, closed at the end.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { heatmapFigure, lineFigure } from "../../lib/display/charts";
import { ChromiumMissingError, closeRenderer, renderPlotlyPng } from "../../lib/display/chromium";
import { Figure, PLOTLY_MIME, show } from "../../lib/display/figure";
import { display, type DisplayOptions, JUPYTER_DISPLAY, type MimeBundle, setDisplaySink } from "../../lib/display/sink";
import { tmpDir } from "../helpers/tmp";
import { decodePng, inkStats, pixelAt, pngSize } from "./png";

const rows = Array.from({ length: 40 }, (_, i) => ({ step: i, reward: Math.sin(i / 6), kl: i / 40 }));
const dir = tmpDir();

after(closeRenderer);

describe("without Chromium", () => {
  test("rendering throws an error naming RFTLAB_CHROMIUM and apt-get; show() still displays, without PNG, warning once", async () => {
    const saved = process.env.RFTLAB_CHROMIUM;
    process.env.RFTLAB_CHROMIUM = path.join(dir, "no-such-chromium");
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => warnings.push(text) > 0) as typeof process.stderr.write;
    const shown: MimeBundle[] = [];
    setDisplaySink({ display: (b) => void shown.push(b) });
    try {
      const fig = lineFigure(rows, { x: "step", y: "reward" });
      await assert.rejects(fig.render(), (e: Error) => {
        assert.ok(e instanceof ChromiumMissingError);
        assert.match(e.message, /no Chromium at .*no-such-chromium \(from RFTLAB_CHROMIUM\).*apt-get install chromium.*RFTLAB_CHROMIUM/);
        return true;
      });
      await show(fig);
      await show(fig);
      assert.equal(shown.length, 2);
      assert.deepEqual(Object.keys(shown[0]).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
      assert.deepEqual(
        warnings.filter((w) => w.includes("figures are shown without a PNG")).map((w) => w.split("\n").length),
        [2],
        "one warning of one line",
      );
    } finally {
      process.stderr.write = write;
      setDisplaySink(undefined);
      if (saved === undefined) delete process.env.RFTLAB_CHROMIUM;
      else process.env.RFTLAB_CHROMIUM = saved;
    }
  });
});

describe("with Chromium", () => {
  test("render() puts a PNG of the figure's size in the bundle instead of the HTML that inlines plotly.js", async () => {
    const fig = lineFigure(rows, { x: "step", y: ["reward", "kl"], title: "Reward", width: 640, height: 360 });
    await fig.render();
    const bundle = fig[JUPYTER_DISPLAY]();
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, "image/png", "text/plain"].sort());
    const png = Buffer.from(String(bundle["image/png"]), "base64");
    assert.deepEqual(pngSize(png), { width: 640, height: 360 });
    // A standalone fragment made after rendering still shows the PNG until its scripts run.
    assert.ok(fig.toHTML().includes(`<img src="data:image/png;base64,${bundle["image/png"]}"`));
  });

  test("display() of an unrendered figure shows its text at once, then replaces it with the PNG bundle", async () => {
    const shown: { bundle: MimeBundle; opts?: DisplayOptions }[] = [];
    setDisplaySink({ display: (bundle, opts) => void shown.push({ bundle, opts }) });
    try {
      display(lineFigure(rows, { x: "step", y: "reward" }));
      assert.deepEqual(Object.keys(shown[0].bundle), ["text/plain"]);
      while (shown.length < 2) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(Object.keys(shown[1].bundle).sort(), [PLOTLY_MIME, "image/png", "text/plain"].sort());
      assert.equal(shown[1].opts?.update, true);
      assert.equal(shown[1].opts?.displayId, shown[0].opts?.displayId);
    } finally {
      setDisplaySink(undefined);
    }
  });

  test("the PNG is a real plot: not blank, white background, the first trace's colour present", async () => {
    const fig = lineFigure(rows, { x: "step", y: "reward" });
    const img = decodePng(await fig.toPNG({ scale: 2 }));
    assert.deepEqual([img.width, img.height], [1600, 900]);
    const { nonWhite, variance } = inkStats(img);
    assert.ok(nonWhite > 0.005 && nonWhite < 0.5, `non-white fraction ${nonWhite}`);
    assert.ok(variance > 50, `luminance variance ${variance}`);
    assert.deepEqual(pixelAt(img, 2, 2), [255, 255, 255]);
    // The house blue (#0072B2) appears among the pixels: the line was drawn.
    let blue = 0;
    for (let y = 0; y < img.height; y += 2) {
      for (let x = 0; x < img.width; x += 2) {
        const [r, g, bl] = pixelAt(img, x, y);
        if (Math.abs(r - 0x00) < 30 && Math.abs(g - 0x72) < 30 && Math.abs(bl - 0xb2) < 30) blue += 1;
      }
    }
    assert.ok(blue > 100, `blue pixels ${blue}`);
  });

  test("the SVG contains the trace, its name and the title", async () => {
    const fig = lineFigure(rows, { x: "step", y: ["reward", "kl"], title: "Curves & more" });
    const svg = await fig.toSVG();
    assert.match(svg, /^<svg/);
    assert.match(svg, /class="scatterlayer/);
    assert.equal((svg.match(/class="trace scatter/g) ?? []).length, 2);
    assert.match(svg, />reward</);
    assert.match(svg, /Curves &amp; more/);
  });

  test("heatmap annotations are drawn as text in the SVG", async () => {
    const svg = await heatmapFigure({
      z: [
        [0.91, 0.42],
        [0.85, 0.88],
      ],
      x: ["A", "B"],
      y: ["1", "2"],
    }).toSVG();
    for (const v of ["0.91", "0.42", "0.85", "0.88"]) assert.ok(svg.includes(`>${v}<`), v);
  });

  test("save() writes .png (scale 2) and .svg; changing the spec drops the stale PNG", async () => {
    const fig = new Figure({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }], layout: { width: 300, height: 200 } });
    const pngPath = await fig.save(path.join(dir, "bar.png"));
    assert.deepEqual(pngSize(fs.readFileSync(pngPath)), { width: 600, height: 400 });
    assert.match(fs.readFileSync(await fig.save(path.join(dir, "bar.svg")), "utf8"), /class="trace bars"/);
    await fig.render();
    assert.ok("image/png" in fig[JUPYTER_DISPLAY]());
    (fig.spec.layout as Record<string, unknown>).title = { text: "changed" };
    assert.ok(!("image/png" in fig[JUPYTER_DISPLAY]()));
  });

  test("renderPlotlyPng validates the size", async () => {
    await assert.rejects(renderPlotlyPng({ data: [] }, { width: 0, height: 10 }), /width must be a positive number; got 0/);
  });
});
