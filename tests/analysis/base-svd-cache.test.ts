// The on-disk cache of base-model SVDs (lib/io/svd-cache.ts, lib/analysis/base-svd.ts) and its use by the
// intruder analysis: hit, miss on changed content, corrupt or torn file → recomputed with a warning.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { intruderDimensionsOf } from "../../lib/analysis/intruders";
import { baseSvd } from "../../lib/analysis/base-svd";
import { SvdCache, svdCacheKey } from "../../lib/io/svd-cache";
import { svd, type Matrix } from "../../lib/linalg";
import { seededNormals } from "../../lib/linalg/low-rank";

const matrix = (m: number, n: number, seed: number): Matrix => ({ rows: m, cols: n, data: Float32Array.from(seededNormals(m * n, seed)) });

/** Runs fn with stderr captured (warnOnce writes one plain line there). */
function withStderr<T>(fn: () => T): [T, string] {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof write;
  try {
    return [fn(), lines.join("")];
  } finally {
    process.stderr.write = write;
  }
}

describe("base SVD cache", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rftlab-svd-cache-"));
  const cache = new SvdCache(dir);

  test("miss computes and stores; a hit returns the same s and U bit for bit, without V; no temp file is left", () => {
    const a = matrix(23, 17, 1);
    const first = baseSvd(a, cache, "w.safetensors:a");
    assert.equal(first.cached, false);
    const second = baseSvd(a, cache);
    assert.equal(second.cached, true);
    assert.deepEqual([second.svd.m, second.svd.n, second.svd.v], [23, 17, null]);
    assert.deepEqual(Array.from(second.svd.s), Array.from(first.svd.s));
    assert.deepEqual(Array.from(second.svd.u!), Array.from(first.svd.u!));
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => !f.endsWith(".svd")),
      [],
    );
  });

  test("changed content (one value) misses; the wide shape stores U as [m, m]", () => {
    const a = matrix(9, 14, 2);
    assert.equal(baseSvd(a, cache).cached, false);
    const b = { ...a, data: a.data.slice() };
    b.data[40] += 1e-3;
    assert.notEqual(svdCacheKey(9, 14, a.data), svdCacheKey(9, 14, b.data));
    const r = baseSvd(b, cache);
    assert.equal(r.cached, false);
    assert.deepEqual(Array.from(r.svd.s), Array.from(svd(b).s));
    assert.equal(baseSvd(b, cache).svd.u!.length, 9 * 9);
  });

  for (const [what, damage, reason] of [
    ["a flipped payload byte", (buf: Buffer) => ((buf[buf.length - 3] ^= 0x40), buf), /checksum mismatch/],
    ["a torn file", (buf: Buffer) => buf.subarray(0, buf.length - 100), /truncated payload/],
    ["a foreign file", () => Buffer.from("not an svd"), /not an rftlab SVD file/],
  ] as const) {
    test(`${what}: recomputed with a warning, then rewritten so the next read hits`, () => {
      const a = matrix(31, 20, what.length);
      const good = baseSvd(a, cache).svd;
      const file = cache.file(svdCacheKey(31, 20, a.data as Float32Array));
      fs.writeFileSync(file, damage(fs.readFileSync(file)));
      const [r, err] = withStderr(() => baseSvd(a, cache));
      assert.equal(r.cached, false);
      assert.match(err, new RegExp(`SVD cache file .*${path.basename(file)} is unreadable \\(${reason.source}\\); recomputing`));
      assert.deepEqual(Array.from(r.svd.s), Array.from(good.s));
      const again = baseSvd(a, cache);
      assert.equal(again.cached, true);
      assert.deepEqual(Array.from(again.svd.u!), Array.from(good.u!));
    });
  }

  test("intruder analysis against one base: the second adapter reads W₀'s SVD from the cache, same result as uncached", () => {
    const w0 = matrix(40, 30, 5);
    const tuned = [6, 7].map((seed) => ({ ...w0, data: w0.data.map((x, i) => x + 0.3 * seededNormals(40 * 30, seed)[i]) }));
    const options = { baseSvdCache: new SvdCache(fs.mkdtempSync(path.join(os.tmpdir(), "rftlab-svd-cache-"))) };
    const first = intruderDimensionsOf("w", w0, tuned[0], { k: 4 }, options);
    const second = intruderDimensionsOf("w", w0, tuned[1], { k: 4 }, options);
    assert.deepEqual([first.baseCached, second.baseCached], [false, true]);
    assert.deepEqual(second.row, intruderDimensionsOf("w", w0, tuned[1], { k: 4 }).row);
  });
});
