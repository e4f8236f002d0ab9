// Figure specs and bundles (no browser needed); rendered images are tested in chromium.test.ts.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import * as aq from "arquero";
import { barFigure, emaSmooth, heatmapFigure, histogramFigure, lineFigure, scatterFigure } from "../../lib/display/charts";
import { Figure, PLOTLY_MIME } from "../../lib/display/figure";
import { JUPYTER_DISPLAY } from "../../lib/display/sink";
import { HOUSE_COLORWAY } from "../../lib/display/theme";
import { RftlabError } from "../../lib/errors";
import { expectClose } from "../helpers/expect";
import { tmpDir } from "../helpers/tmp";

const metrics = [
  { step: 0, method: "grpo", reward: 0.1, kl: 0 },
  { step: 1, method: "grpo", reward: 0.3, kl: 0.01 },
  { step: 0, method: "dpo", reward: 0.2, kl: 0 },
  { step: 1, method: "dpo", reward: Number.NaN, kl: 0.02 },
];

describe("Figure", () => {
  test("applies the house template, size and {text} titles", () => {
    const f = new Figure({ data: [{ type: "scatter", x: [1], y: [2] }], layout: { title: "Hello" } });
    assert.deepEqual(f.spec.layout.title, { text: "Hello" });
    assert.equal(f.width, 800);
    assert.equal(f.height, 450);
    const template = f.spec.layout.template as { layout: { colorway: string[] } };
    assert.deepEqual(template.layout.colorway, [...HOUSE_COLORWAY]);
    assert.equal(String(f), 'Figure "Hello": 1 scatter trace(s), 800x450');
    assert.deepEqual(f.withLayout({ title: "Other", xaxis: { range: [0, 1] } }).spec.layout.title, { text: "Other" });
    assert.throws(() => new Figure({ data: undefined as never }), RftlabError);
  });

  test("unrendered bundle: plotly JSON, self-contained HTML with the spec, text; no PNG yet", () => {
    const f = lineFigure(metrics, { x: "step", y: "reward", series: "method", title: "a </script> b" });
    const b = f[JUPYTER_DISPLAY]();
    assert.deepEqual(Object.keys(b).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
    assert.equal(b[PLOTLY_MIME], f.spec);
    const html = String(b["text/html"]);
    assert.ok(html.includes("plotly.js v4."), "plotly.js is inlined");
    assert.ok(html.includes('"name":"grpo"') && html.includes('"reward"'), "the spec is in the page");
    // The title's "</script>" must not close the script element early.
    assert.equal(html.split("</script>").length - 1, 2);
    assert.ok(html.includes("a \\u003c/script> b"));
    assert.ok(!/src="https?:/.test(html), "no network resources");
  });
});

describe("lineFigure", () => {
  test("one trace per series, NaN becomes a gap, columns become axis titles", () => {
    const f = lineFigure(metrics, { x: "step", y: "reward", series: "method" });
    assert.deepEqual(
      f.spec.data.map((t) => t.name),
      ["grpo", "dpo"],
    );
    assert.deepEqual(f.spec.data[1].y, [0.2, null]);
    assert.deepEqual(f.spec.data[0].x, [0, 1]);
    assert.deepEqual((f.spec.layout.xaxis as { title: unknown }).title, { text: "step" });
    assert.deepEqual(
      f.spec.data.map((t) => (t.line as { color: string }).color),
      HOUSE_COLORWAY.slice(0, 2),
    );
  });

  test("several y columns × series, from an arquero table", () => {
    const f = lineFigure(aq.from(metrics), { x: "step", y: ["reward", "kl"], series: "method" });
    assert.deepEqual(
      f.spec.data.map((t) => t.name),
      ["grpo · reward", "grpo · kl", "dpo · reward", "dpo · kl"],
    );
    assert.deepEqual(f.spec.data[1].y, [0, 0.01]);
  });

  test("smoothing draws a faint raw trace under the EMA", () => {
    const f = lineFigure(metrics.slice(0, 2), { x: "step", y: "reward", smoothing: 0.5 });
    assert.equal(f.spec.data.length, 2);
    assert.equal(f.spec.data[0].showlegend, false);
    expectClose(f.spec.data[1].y as number[], [0.1, 0.2333333333], { atol: 1e-9, what: "ema" });
  });

  test("a missing column names the argument and the columns present", () => {
    assert.throws(() => lineFigure(metrics, { x: "stepp", y: "reward" }), /lineFigure: no column "stepp".*"step", "method"/);
  });
});

test("emaSmooth: debiased EMA by hand", () => {
  // w=0.5: acc 0.5·1=0.5 → /(1-0.5)=1; acc 0.25+0.5·3=1.75 → /0.75=2.333…; skips null
  expectClose(
    emaSmooth([1, 3, null, 5], 0.5).map((v) => v ?? -1),
    [1, 7 / 3, -1, (0.875 + 2.5) / 0.875],
    { atol: 1e-12 },
  );
  assert.throws(() => emaSmooth([1], 1), /weight must be in \[0, 1\); got 1/);
});

describe("barFigure", () => {
  const rows = [
    { task: "a", method: "grpo", acc: 0.6, sd: 0.1 },
    { task: "b", method: "grpo", acc: 0.5, sd: 0.2 },
    { task: "a", method: "sft", acc: 0.4, sd: 0.1 },
  ];
  test("grouped bars with error bars per series", () => {
    const f = barFigure(rows, { x: "task", y: "acc", series: "method", error: "sd" });
    assert.equal(f.spec.layout.barmode, "group");
    assert.deepEqual(
      f.spec.data.map((t) => [t.name, t.x, t.y]),
      [
        ["grpo", ["a", "b"], [0.6, 0.5]],
        ["sft", ["a"], [0.4]],
      ],
    );
    assert.deepEqual((f.spec.data[0].error_y as { array: number[] }).array, [0.1, 0.2]);
  });
  test("horizontal swaps axes; error bars need a single y", () => {
    const f = barFigure(rows, { x: "task", y: ["acc", "sd"], horizontal: true });
    assert.equal(f.spec.data[0].orientation, "h");
    assert.deepEqual(f.spec.data[1].x, [0.1, 0.2, 0.1]);
    assert.throws(() => barFigure(rows, { x: "task", y: ["acc", "sd"], error: "sd" }), /needs a single y column/);
  });
});

describe("heatmapFigure", () => {
  test("annotations carry each value, with contrasting colour on dark cells", () => {
    const f = heatmapFigure(
      {
        z: [
          [0.9, 0.1],
          [0.5, null],
        ],
        x: ["A", "B"],
        y: ["after A", "after B"],
      },
      { zmin: 0, zmax: 1, digits: 1 },
    );
    const ann = f.spec.layout.annotations as { x: string; y: string; text: string; font: { color: string } }[];
    assert.deepEqual(
      ann.map((a) => [a.y, a.x, a.text]),
      [
        ["after A", "A", "0.9"],
        ["after A", "B", "0.1"],
        ["after B", "A", "0.5"],
      ],
    );
    assert.equal(ann[0].font.color, "#ffffff");
    assert.equal(ann[1].font.color, "#222222");
    const t = f.spec.data[0];
    assert.deepEqual([t.type, t.zmin, t.zmax], ["heatmap", 0, 1]);
    assert.equal((f.spec.layout.yaxis as { autorange: string }).autorange, "reversed");
  });

  test("from long rows (per-layer sparsity), labels in first-appearance order", () => {
    const rows = [
      { layer: 0, module: "q", sparsity: 0.25 },
      { layer: 0, module: "v", sparsity: 0.5 },
      { layer: 1, module: "q", sparsity: 0.75 },
    ];
    const f = heatmapFigure(rows, { x: "module", y: "layer", value: "sparsity" });
    assert.deepEqual(f.spec.data[0].z, [
      [0.25, 0.5],
      [0.75, null],
    ]);
    assert.deepEqual(f.spec.data[0].y, ["0", "1"]);
    assert.equal((f.spec.layout.annotations as unknown[]).length, 3);
    assert.equal(heatmapFigure({ z: [[1, 2]] }, { annotate: false }).spec.layout.annotations!.toString(), "");
    assert.throws(() => heatmapFigure(rows, { x: "module" }), /pass the column names x, y and value/);
    assert.throws(() => heatmapFigure({ z: [[1, 2]], x: ["a"] }), /z is 1x2 but got 1 y labels and 1 x labels/);
  });
});

test("histogramFigure: plain numbers or a column split by series", () => {
  const one = histogramFigure([1, 2, 2, 3], { nbins: 3 });
  assert.deepEqual([one.spec.data[0].x, one.spec.data[0].nbinsx], [[1, 2, 2, 3], 3]);
  const two = histogramFigure(metrics, { x: "kl", series: "method", histnorm: "probability" });
  assert.deepEqual(
    two.spec.data.map((t) => [t.name, t.histnorm, t.bingroup]),
    [
      ["grpo", "probability", 1],
      ["dpo", "probability", 1],
    ],
  );
  assert.equal(two.spec.layout.barmode, "overlay");
  assert.throws(() => histogramFigure(metrics), /pass the column to bin as x/);
});

test("scatterFigure: series colours, hover text, sizes scaled from a column", () => {
  const f = scatterFigure(metrics, { x: "kl", y: "reward", series: "method", text: "step", size: "kl" });
  assert.deepEqual(f.spec.data[0].text, ["0", "1"]);
  assert.deepEqual((f.spec.data[1].marker as { size: number[] }).size, [6, 24]);
  assert.deepEqual(f.spec.data[0].mode, "markers");
});

describe("Figure.save without a browser", () => {
  const dir = tmpDir();
  test(".json writes the spec; .html a standalone page", async () => {
    const f = barFigure(metrics, { x: "method", y: "kl", title: "KL" });
    const json = await f.save(path.join(dir, "f.json"));
    assert.deepEqual(JSON.parse(fs.readFileSync(json, "utf8")), JSON.parse(JSON.stringify(f.spec)));
    const html = fs.readFileSync(await f.save(path.join(dir, "sub", "f.html")), "utf8");
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<title>KL<\/title>/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["f.json", "sub"], "no temp files left");
  });
  test("an unknown extension is an RftlabError naming the choices", async () => {
    await assert.rejects(
      new Figure({ data: [] }).save(path.join(dir, "f.gif")),
      /unknown extension ".gif".*\.png, \.svg, \.html or \.json/,
    );
  });
});

describe("what a reader needs: intervals, reference lines, integer steps, legend titles", () => {
  const curve = [
    { step: 1, method: "grpo", acc: 0.2, lo: 0.1, hi: 0.3 },
    { step: 12, method: "grpo", acc: 0.5, lo: 0.4, hi: 0.65 },
  ];
  test("lineFigure draws a CI band per series under its line; one legend entry per series", () => {
    const f = lineFigure(curve, { x: "step", y: "acc", series: "method", ciLow: "lo", ciHigh: "hi" });
    assert.equal(f.spec.data.length, 3);
    const [upper, lower, line] = f.spec.data;
    assert.deepEqual([upper.y, lower.y, lower.fill, line.y], [[0.3, 0.65], [0.1, 0.4], "tonexty", [0.2, 0.5]]);
    assert.deepEqual(
      f.spec.data.map((t) => t.showlegend),
      [false, false, undefined],
    );
    assert.deepEqual(f.spec.layout.legend, { title: { text: "method" } });
    assert.equal(lower.fillcolor, "rgba(0, 114, 178, 0.2)"); // #0072B2, translucent in the fill itself
    const two = lineFigure([...curve, ...curve.map((r) => ({ ...r, method: "sft" }))], {
      x: "step",
      y: "acc",
      series: "method",
      ciLow: "lo",
      ciHigh: "hi",
    });
    assert.deepEqual(
      two.spec.data.map((t) => t.showlegend),
      [false, false, false, false, undefined, undefined],
      "both bands under both lines",
    );
    assert.throws(() => lineFigure(curve, { x: "step", y: "acc", ciLow: "lo" }), /pass both interval columns/);
    assert.throws(() => lineFigure(curve, { x: "step", y: ["acc", "hi"], ciLow: "lo", ciHigh: "hi" }), /single y column/);
  });

  test("integer x values get integer ticks (1, 2 or 5 × 10ⁿ, never 1.5); fractional x values do not", () => {
    const xaxis = lineFigure(curve, { x: "step", y: "acc" }).spec.layout.xaxis as Record<string, unknown>;
    assert.deepEqual([xaxis.dtick, xaxis.tickformat], [2, "d"]); // span 11 / 8 ticks = 1.375 → 2
    const few = lineFigure(
      [
        { step: 1, v: 0 },
        { step: 3, v: 1 },
      ],
      { x: "step", y: "v" },
    ).spec.layout.xaxis as Record<string, unknown>;
    assert.equal(few.dtick, 1);
    const frac = lineFigure(
      [
        { lr: 0.5, v: 0 },
        { lr: 1.5, v: 1 },
      ],
      { x: "lr", y: "v" },
    ).spec.layout.xaxis as Record<string, unknown>;
    assert.equal(frac.dtick, undefined);
  });

  test("reference lines are dashed shapes with labels (ln V on a loss curve, a λ on x)", () => {
    const f = lineFigure(curve, { x: "step", y: "acc", hlines: [{ at: Math.log(512), label: "ln V" }], vlines: [{ at: 4 }] });
    const shapes = f.spec.layout.shapes as Record<string, unknown>[];
    assert.deepEqual(
      shapes.map((s) => [s.y0, s.x0]),
      [
        [Math.log(512), 0],
        [0, 4],
      ],
    );
    assert.deepEqual(
      (f.spec.layout.annotations as Record<string, unknown>[]).map((a) => a.text),
      ["ln V"],
    );
    assert.throws(
      () => lineFigure(curve, { x: "step", y: "acc", hlines: [{ at: Number.NaN, label: "base" }] }),
      /finite number; got NaN \(base\)/,
    );
  });

  test("barFigure and scatterFigure draw asymmetric CI error bars", () => {
    const rows = [{ task: "add", acc: 0.5, lo: 0.4, hi: 0.55 }];
    const err = barFigure(rows, { x: "task", y: "acc", ciLow: "lo", ciHigh: "hi" }).spec.data[0].error_y as {
      array: number[];
      arrayminus: number[];
    };
    expectClose(err.array, [0.05], { atol: 1e-12 });
    expectClose(err.arrayminus, [0.1], { atol: 1e-12 });
    assert.throws(() => barFigure(rows, { x: "task", y: "acc", error: "hi", ciLow: "lo", ciHigh: "hi" }), /not both/);
    const sc = scatterFigure(rows, { x: "lo", y: "acc", ciLow: "lo", ciHigh: "hi" }).spec.data[0].error_y as { array: number[] };
    expectClose(sc.array, [0.05], { atol: 1e-12 });
    const xs = scatterFigure(rows, { x: "acc", y: "hi", xCiLow: "lo", xCiHigh: "hi" }).spec.data[0].error_x as {
      array: number[];
      arrayminus: number[];
    };
    expectClose(xs.array, [0.05], { atol: 1e-12 });
    expectClose(xs.arrayminus, [0.1], { atol: 1e-12 });
  });

  test("heatmapFigure takes a plain matrix of numbers", () => {
    const f = heatmapFigure(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { colorbarTitle: "accuracy" },
    );
    assert.deepEqual(f.spec.data[0].z, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(
      [f.spec.data[0].x, f.spec.data[0].y],
      [
        ["0", "1", "2"],
        ["0", "1"],
      ],
    );
  });
});
