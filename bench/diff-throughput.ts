// Throughput of diffCheckpoints on two synthetic checkpoints per stored dtype (bf16, f16, f32), at every
// precision, files in the page cache (median of 3), next to `cat` of the same files in the same run; and the
// count alone on 1M in-cache entries, WebAssembly SIMD vs the plain-JS definition (best of 20).
// Usage: node dist/bench/diff-throughput.js [millions of elements, default 64] [folder, default os tmp]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import { openCheckpoint, writeSafetensors } from "../lib/io";
import { DIFF_PRECISIONS, diffCheckpoints, type DiffPrecision } from "../lib/analysis";
import { castFor, UpdateCounter } from "../lib/analysis/update-counter";
import type { Checkpoint } from "../lib/io/checkpoint";

function catGBps(files: string[]): number {
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const t0 = process.hrtime.bigint();
  spawnSync("cat", files, { stdio: ["ignore", "ignore", "inherit"] });
  return bytes / Number(process.hrtime.bigint() - t0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Count throughput (GB/s of input, both sides) over the first `n` entries of "w", held in the counter's memory. */
async function kernelGBps(a: Checkpoint, b: Checkpoint, precision: DiffPrecision, simd: boolean, n = 1 << 20): Promise<number> {
  const dtype = a.info("w")!.dtype;
  const bytes = n * (dtype === "F32" ? 4 : 2);
  const c = new UpdateCounter(n, 4, 1, simd);
  await a.readInto("w", 0, c.region(0, 0).subarray(0, bytes));
  await b.readInto("w", 0, c.region(0, 1).subarray(0, bytes));
  const side = { dtype, cast: castFor(dtype, precision) };
  let best = Infinity;
  for (let k = 0; k < 20; k++) {
    const t0 = process.hrtime.bigint();
    c.count(0, n, side, side, 1e-5);
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return (2 * bytes) / best;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 64) * 1e6;
  const dir = fs.mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "rftlab-diff-bench-"));
  console.log(JSON.stringify({ uptime: spawnSync("uptime", { encoding: "utf8" }).stdout.trim() }));
  try {
    const rows = 4096;
    const cols = Math.floor(n / rows);
    const base = new Float32Array(rows * cols);
    for (let i = 0; i < base.length; i++) base[i] = Math.sin(i) * 0.02;
    const tuned = base.map((v, i) => (i % 7 === 0 ? v + 1e-3 : v)); // ~14% of entries change
    for (const dtype of ["BF16", "F16", "F32"] as const) {
      const files = ["base", "tuned"].map((v) => path.join(dir, `${v}.safetensors`));
      for (const [i, data] of [base, tuned].entries()) await writeSafetensors(files[i], [{ name: "w", dtype, shape: [rows, cols], data }]);
      const [a, b] = await Promise.all(files.map(openCheckpoint));
      catGBps(files); // into the page cache
      console.log(JSON.stringify({ dtype, tool: "cat", gbPerSecond: +catGBps(files).toFixed(2) }));
      for (const precision of DIFF_PRECISIONS) {
        const runs = [];
        for (let k = 0; k < 3; k++) runs.push(await diffCheckpoints(a, b, { precision }));
        const gbps = median(runs.map((r) => r.throughput / 1e9));
        const [simd, js] = [await kernelGBps(a, b, precision, true), await kernelGBps(a, b, precision, false)];
        console.log(
          JSON.stringify({
            dtype,
            precision,
            gbRead: +(runs[0].bytesRead / 1e9).toFixed(3),
            gbPerSecond: +gbps.toFixed(2),
            sparsity: +runs[0].overall.sparsity.toFixed(4),
            countSimdGBps: +simd.toFixed(2),
            countJsGBps: +js.toFixed(2),
          }),
        );
      }
      await Promise.all([a.close(), b.close()]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
