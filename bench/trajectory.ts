// Throughput of lab.analysis.weightTrajectory (what `rftlab trajectory` runs) on a generated run of planted
// Llama-shaped bf16 checkpoints (lab.plantedLlamaTensors: step k updates a fraction 0.05·k of every matrix),
// next to `cat` of the same files, all in the page cache (each file read once before). Then a checkpoint is
// added and the trajectory re-run with its cache: only the new checkpoint (and the base) are read.
// Counts are checked against the planted numbers. Files are deleted at the end.
// Usage: node dist/bench/trajectory.js [GB per checkpoint, default 0.5] [checkpoints, default 4] [folder, default os tmp]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import { readRunLayout, ResultCache, writeShardedSafetensors, openCheckpoint } from "../lib/io";
import { diffCheckpoints, plantedLlamaTensors, weightTrajectory } from "../lib/analysis";
import { plantedConfigOfSize } from "./planted-size";
import type { PlantedLlamaConfig } from "../lib/analysis";

/** Writes the checkpoint of step k (k = 0: the base); returns its planted (changed) entry count. */
async function writeStep(dir: string, cfg: PlantedLlamaConfig, k: number): Promise<number> {
  const tensors = [...plantedLlamaTensors({ ...cfg, fraction: 0.05 * k }, k === 0 ? "base" : "tuned")];
  await writeShardedSafetensors(dir, tensors, { maxShardBytes: 5e8 });
  return tensors.reduce((s, t) => s + t.planted, 0);
}

const safetensorsIn = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".safetensors"))
    .map((f) => path.join(dir, f));

function cat(files: string[]): { gb: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("cat", files, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`cat failed (${r.status})`);
  return { gb: files.reduce((s, f) => s + fs.statSync(f).size, 0) / 1e9, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const value = await f();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const uptime = () => spawnSync("uptime", { encoding: "utf8" }).stdout.trim();

async function main(): Promise<void> {
  const gb = Number(process.argv[2] ?? 0.5);
  const n = Number(process.argv[3] ?? 4);
  const dir = fs.mkdtempSync(path.join(process.argv[4] ?? os.tmpdir(), "rftlab-traj-bench-"));
  try {
    const cfg = plantedConfigOfSize(gb);
    const base = path.join(dir, "base");
    const run = path.join(dir, "run");
    await writeStep(base, cfg, 0);
    const planted = new Map<number, number>();
    for (let k = 1; k <= n; k++) planted.set(100 * k, await writeStep(path.join(run, `step-${100 * k}`), cfg, k));
    const files = [...safetensorsIn(base), ...safetensorsIn(run)];
    console.log(JSON.stringify({ config: cfg, checkpoints: n, files: files.length, uptime: uptime() }));
    cat(files); // into the page cache
    const c = cat(files);
    console.log(
      JSON.stringify({ tool: "cat (base + checkpoints, once each)", gbRead: c.gb, seconds: c.seconds, gbPerSecond: c.gb / c.seconds }),
    );

    const inputs = () => readRunLayout(run).checkpoints.map((x) => ({ step: x.step, path: x.path, weights: x.weights! }));
    const cache = new ResultCache(path.join(dir, "cache"));
    const fresh = await timed(() => weightTrajectory(base, inputs(), {}, { cache }));
    const read = fresh.value.checkpoints.reduce((s, x) => s + x.bytesRead, 0) / 1e9;
    for (const x of fresh.value.checkpoints) {
      const expected = x.overall.numel - planted.get(x.step)!;
      const unchanged = Math.round(x.overall.sparsity * x.overall.numel);
      if (unchanged !== expected) throw new Error(`step ${x.step}: ${unchanged} unchanged, planted ${expected}`);
    }
    console.log(
      JSON.stringify({
        tool: "weightTrajectory (counts + norms, fresh)",
        gbRead: read,
        seconds: fresh.seconds,
        gbPerSecond: read / fresh.seconds,
        sparsity: fresh.value.checkpoints.map((x) => +x.overall.sparsity.toFixed(4)),
        relativeNorm: fresh.value.checkpoints.map((x) => +x.overall.relativeNorm.toExponential(3)),
      }),
    );
    // The same pairs without the norm pass: what the sums of squares cost.
    const [b, last] = await Promise.all([openCheckpoint(base), openCheckpoint(path.join(run, `step-${100 * n}`))]);
    const plain = await diffCheckpoints(b, last);
    await Promise.all([b.close(), last.close()]);
    console.log(
      JSON.stringify({
        tool: "diffCheckpoints (counts only, one pair)",
        gbRead: plain.bytesRead / 1e9,
        gbPerSecond: plain.throughput / 1e9,
      }),
    );

    planted.set(100 * (n + 1), await writeStep(path.join(run, `step-${100 * (n + 1)}`), cfg, n + 1));
    cat(safetensorsIn(path.join(run, `step-${100 * (n + 1)}`)));
    const again = await timed(() => weightTrajectory(base, inputs(), {}, { cache }));
    console.log(
      JSON.stringify({
        tool: "weightTrajectory after one new checkpoint (cached)",
        fromCache: again.value.checkpoints.filter((x) => x.fromCache).length,
        gbRead: again.value.checkpoints.reduce((s, x) => s + x.bytesRead, 0) / 1e9,
        seconds: again.seconds,
      }),
    );
    console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1e3, uptime: uptime() }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
