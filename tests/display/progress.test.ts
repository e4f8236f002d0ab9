import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { progress, progressMode } from "../../lib/display/progress";
import { type DisplayOptions, type MimeBundle, setDisplaySink } from "../../lib/display/sink";

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WritableStream & {
    chunks: string[];
    isTTY: boolean;
  };
}

function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) x === undefined ? delete process.env[k] : (process.env[k] = x);
  };
  set(vars);
  try {
    fn();
  } finally {
    set(old);
  }
}

describe("progress", () => {
  afterEach(() => setDisplaySink(undefined));

  test("mode: silent with RFTLAB_QUIET, notebook with a sink, log in CI or without a TTY, else tty", () => {
    const tty = { isTTY: true };
    withEnv({ RFTLAB_QUIET: "1", CI: undefined }, () => assert.equal(progressMode(tty), "silent"));
    withEnv({ RFTLAB_QUIET: undefined, CI: undefined }, () => {
      assert.equal(progressMode(tty), "tty");
      assert.equal(progressMode({ isTTY: false }), "log");
      setDisplaySink({ display: () => undefined });
      assert.equal(progressMode(tty), "notebook");
      setDisplaySink(undefined);
    });
    withEnv({ RFTLAB_QUIET: "0", CI: "true" }, () => assert.equal(progressMode(tty), "log"));
  });

  test("tty: a \\r-redrawn bar on the stream, newline at the end", () => {
    const s = fakeStream(true);
    const p = progress({ total: 4, label: "train", mode: "tty", stream: s, minIntervalMs: 0 });
    p.tick();
    p.tick(1, { reward: 0.123456 });
    p.tick(2);
    p.done();
    assert.ok(s.chunks.every((c) => c.startsWith("\r")));
    assert.match(s.chunks[0], /^\rtrain \[\.{30}\] 0\/4 0%/);
    assert.match(s.chunks[2], /\[#{15}\.{15}\] 2\/4 50% .* reward=0.1235/);
    assert.match(s.chunks.at(-1)!, /\[#{30}\] 4\/4 100% .*\n$/);
  });

  test("log: only a start line and an end line, however many ticks", () => {
    const s = fakeStream(false);
    const p = progress({ total: 100, label: "eval", mode: "log", stream: s, minIntervalMs: 0 });
    for (let i = 0; i < 100; i++) p.tick();
    p.done("acc=0.5");
    assert.equal(s.chunks.length, 2);
    assert.equal(s.chunks[0], "eval: started, 100 total\n");
    assert.match(s.chunks[1], /^eval 100\/100 100% \d+\.\ds {2}acc=0.5\n$/);
  });

  test("silent writes nothing; unknown totals show counts only", () => {
    const s = fakeStream(true);
    const q = progress({ total: 3, mode: "silent", stream: s });
    q.tick();
    q.done();
    assert.equal(s.chunks.length, 0);
    const u = progress({ label: "sample", mode: "tty", stream: s, minIntervalMs: 0 });
    u.tick(7);
    assert.match(s.chunks.at(-1)!, /^\rsample 7 [\d.]+ it\/s/);
    assert.throws(() => progress({ total: -1 }), /total must be a non-negative integer or omitted; got -1/);
  });

  test("notebook: one display id, later frames as updates, throttled", () => {
    const calls: { bundle: MimeBundle; opts?: DisplayOptions }[] = [];
    setDisplaySink({ display: (bundle, opts) => void calls.push({ bundle, opts }) });
    withEnv({ RFTLAB_QUIET: undefined }, () => {
      const p = progress({ total: 10, label: "grpo <a>", minIntervalMs: 60_000 });
      for (let i = 0; i < 9; i++) p.tick();
      p.done({ reward: 1 });
    });
    // first display, the first tick (no frame drawn yet), then done
    assert.equal(calls.length, 3);
    assert.equal(calls[0].opts?.update, false);
    assert.ok(calls.slice(1).every((c) => c.opts?.update === true && c.opts.displayId === calls[0].opts?.displayId));
    const html = String(calls.at(-1)!.bundle["text/html"]);
    assert.match(html, /grpo &lt;a&gt; <progress value="9" max="10"/);
    assert.match(html, /reward=1/);
    assert.match(String(calls.at(-1)!.bundle["text/plain"]), /9\/10 90%/);
  });
});
