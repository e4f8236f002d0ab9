import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  display,
  displayBundle,
  type DisplayOptions,
  getDisplaySink,
  isDisplayable,
  JUPYTER_DISPLAY,
  type MimeBundle,
  setDisplaySink,
} from "../../lib/display/sink";
import { summaryBundle, summaryDisplay } from "../../lib/display/summary";

function recordingSink() {
  const calls: { bundle: MimeBundle; opts?: DisplayOptions }[] = [];
  return { calls, display: (bundle: MimeBundle, opts?: DisplayOptions) => void calls.push({ bundle, opts }) };
}

function captureStdout(fn: () => void): string {
  const write = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof write;
  try {
    fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe("display sink", () => {
  afterEach(() => setDisplaySink(undefined));

  test("JUPYTER_DISPLAY is the registered Jupyter.display symbol", () => {
    assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  });

  test("display publishes an object's own bundle and options to the installed sink", () => {
    const sink = recordingSink();
    setDisplaySink(sink);
    assert.equal(getDisplaySink(), sink);
    const obj = { [JUPYTER_DISPLAY]: () => ({ "text/plain": "hi", "text/html": "<b>hi</b>" }) };
    assert.ok(isDisplayable(obj));
    display(obj, { displayId: "d1" });
    display(obj, { displayId: "d1", update: true });
    assert.equal(sink.calls.length, 2);
    assert.deepEqual(sink.calls[0].bundle, { "text/plain": "hi", "text/html": "<b>hi</b>" });
    assert.deepEqual(sink.calls[1].opts, { displayId: "d1", update: true });
  });

  test("without a sink display prints text/plain to stdout", () => {
    const obj = { [JUPYTER_DISPLAY]: () => ({ "text/plain": "Model: 2 layers", "text/html": "<i>x</i>" }) };
    assert.equal(
      captureStdout(() => display(obj)),
      "Model: 2 layers\n",
    );
    assert.equal(
      captureStdout(() => display("plain string")),
      "plain string\n",
    );
  });

  test("values without a display method fall back to util.inspect text", () => {
    assert.deepEqual(displayBundle({ a: 1, b: [2, 3] }), { "text/plain": "{ a: 1, b: [ 2, 3 ] }" });
    assert.ok(!isDisplayable(null) && !isDisplayable(42));
  });
});

describe("summaryBundle", () => {
  test("one line, escaped HTML, details folded underneath", () => {
    const b = summaryBundle("GPT2 <tiny>: 2 layers", { params: 123456, dtype: "f32" });
    assert.equal(b["text/plain"], "GPT2 <tiny>: 2 layers\n  params: 123456\n  dtype: f32");
    const html = String(b["text/html"]);
    assert.match(html, /GPT2 &lt;tiny&gt;: 2 layers/);
    assert.ok(!html.includes("<tiny>"));
    assert.match(html, /<details[^>]*>.*params.*123456/);
  });

  test("without details it is a single element; summaryDisplay wraps it as a displayable value", () => {
    assert.equal(
      summaryBundle("run a1")["text/html"],
      '<div class="rftlab-summary"><code style="white-space:pre-wrap">run a1</code></div>',
    );
    const d = summaryDisplay("ckpt step 100");
    assert.equal(String(d), "ckpt step 100");
    assert.equal(displayBundle(d)["text/plain"], "ckpt step 100");
  });
});
