// Throughput of diffCheckpoints on two synthetic checkpoints per stored dtype (bf16, f16, f32), at every
// precision, files in the page cache, next to `cat` of the same files in the same run.
// Usage: node dist/bench/diff-throughput.js [millions of elements, default 32] [folder, default os tmp]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import { openCheckpoint, writeSafetensors } from "../lib/io";
import { DIFF_PRECISIONS, diffCheckpoints } from "../lib/analysis";

function catGBps(files: string[]): number {
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const t0 = process.hrtime.bigint();
  spawnSync("cat", files, { stdio: ["ignore", "ignore", "inherit"] });
  return bytes / Number(process.hrtime.bigint() - t0);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 32) * 1e6;
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
        const r = await diffCheckpoints(a, b, { precision });
        console.log(JSON.stringify({ dtype, precision, gbRead: +(r.bytesRead / 1e9).toFixed(3), seconds: +r.seconds.toFixed(3), gbPerSecond: +(r.throughput / 1e9).toFixed(2), sparsity: +r.overall.sparsity.toFixed(4) }));
      }
      await Promise.all([a.close(), b.close()]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
