// Throughput of diffCheckpoints on two synthetic bf16 checkpoints (streams both in lockstep).
// Usage: node dist/bench/diff-throughput.js [millions of elements, default 64] [folder, default os tmp]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { openCheckpoint, writeSafetensors } from "../lib/io";
import { diffCheckpoints } from "../lib/analysis";

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 64) * 1e6;
  const dir = fs.mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "rftlab-diff-bench-"));
  try {
    const rows = 4096;
    const cols = Math.floor(n / rows);
    const base = new Float32Array(rows * cols);
    for (let i = 0; i < base.length; i++) base[i] = Math.sin(i) * 0.02;
    await writeSafetensors(path.join(dir, "base.safetensors"), [{ name: "w", dtype: "BF16", shape: [rows, cols], data: base }]);
    for (let i = 0; i < base.length; i += 7) base[i] += 1e-3; // ~14% of entries change
    await writeSafetensors(path.join(dir, "tuned.safetensors"), [{ name: "w", dtype: "BF16", shape: [rows, cols], data: base }]);
    const a = await openCheckpoint(path.join(dir, "base.safetensors"));
    const b = await openCheckpoint(path.join(dir, "tuned.safetensors"));
    for (const precision of ["native", "bf16", "fp16"] as const) {
      const r = await diffCheckpoints(a, b, { precision });
      const mb = r.bytesRead / 1e6;
      console.log(JSON.stringify({ precision, elements: rows * cols, mbRead: +mb.toFixed(1), seconds: +r.seconds.toFixed(2), mbPerSecond: +(mb / r.seconds).toFixed(0), sparsity: +r.overall.sparsity.toFixed(4) }));
    }
    await Promise.all([a.close(), b.close()]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
