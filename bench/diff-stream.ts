// Streaming diff of two multi-GB bf16 checkpoints (lab.diffCheckpoints) next to the raw read speed of the
// same files (`cat` > /dev/null) and the paper's computation in PyTorch (bench/torch_diff.py), each run
// cold (pages evicted with posix_fadvise DONTNEED) and warm (files in the page cache), with peak RSS.
// The pair is a planted Llama-shaped model (lab.plantedLlamaTensors, hidden 2048, MLP 5632, vocab 32000),
// so the measured sparsity is known exactly. Files are deleted at the end.
// Usage: node dist/bench/diff-stream.js [GB per checkpoint, default 2] [folder, default os tmp]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import { openCheckpoint, writeShardedSafetensors } from "../lib/io";
import { diffCheckpoints, plantedLlamaTensors, type PlantedLlamaConfig } from "../lib/analysis";
import { plantedConfigOfSize } from "./planted-size";

const PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = path.resolve(__dirname, "..", "..", "bench", "torch_diff.py");

/** Child process: write one checkpoint (one variant in memory at a time). */
async function generate(dir: string, variant: "base" | "tuned", cfg: PlantedLlamaConfig): Promise<void> {
  await writeShardedSafetensors(path.join(dir, variant), [...plantedLlamaTensors(cfg, variant)], { maxShardBytes: 5e8 });
}

/** Child process: the streaming diff, peak RSS from the kernel's own accounting. */
async function diff(dir: string): Promise<void> {
  const [a, b] = await Promise.all([openCheckpoint(path.join(dir, "base")), openCheckpoint(path.join(dir, "tuned"))]);
  const r = await diffCheckpoints(a, b, { tol: 1e-5 });
  await Promise.all([a.close(), b.close()]);
  console.log(
    JSON.stringify({
      tool: "rftlab",
      numel: r.overall.numel,
      unchanged: r.overall.unchanged,
      sparsity: r.overall.sparsity,
      gbRead: r.bytesRead / 1e9,
      seconds: r.seconds,
      gbPerSecond: r.throughput / 1e9,
      maxRssMB: process.resourceUsage().maxRSS / 1e3,
    }),
  );
}

function files(dir: string): string[] {
  return ["base", "tuned"].flatMap((v) =>
    fs
      .readdirSync(path.join(dir, v))
      .filter((f) => f.endsWith(".safetensors"))
      .map((f) => path.join(dir, v, f)),
  );
}

function evict(paths: string[]): void {
  const code =
    "import os,sys\nfor p in sys.argv[1:]:\n fd=os.open(p,os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)";
  const r = spawnSync(PYTHON, ["-c", code, ...paths], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`evicting the page cache failed: ${r.stderr}`);
}

function load(): string {
  return spawnSync("uptime", { encoding: "utf8" }).stdout.trim();
}

/** Runs cmd under /usr/bin/time for its peak RSS; `discard` sends stdout to /dev/null (cat). */
function run(cmd: string, args: string[], discard = false): { stdout: string; seconds: number; maxRssMB: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "MAXRSS %M", cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", discard ? "ignore" : "pipe", "pipe"],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const rss = /MAXRSS (\d+)/.exec(r.stderr);
  return { stdout: r.stdout, seconds, maxRssMB: rss ? Number(rss[1]) / 1e3 : NaN };
}

async function main(): Promise<void> {
  const [mode, dirArg, variant] = process.argv.slice(2);
  if (mode === "--gen") return generate(dirArg, variant as "base" | "tuned", JSON.parse(process.argv[5]));
  if (mode === "--diff") return diff(dirArg);
  const gb = Number(process.argv[2] ?? 2);
  const cfg = plantedConfigOfSize(gb);
  const dir = fs.mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "rftlab-diff-stream-"));
  try {
    for (const v of ["base", "tuned"]) run(process.execPath, [__filename, "--gen", dir, v, JSON.stringify(cfg)]);
    const paths = files(dir);
    const bytes = paths.reduce((s, p) => s + fs.statSync(p).size, 0);
    console.log(JSON.stringify({ config: cfg, files: paths.length, gbTotal: bytes / 1e9, uptime: load() }));
    for (const cache of ["cold", "warm"] as const) {
      const prep = () => (cache === "cold" ? evict(paths) : run("cat", paths, true));
      prep();
      const cat = run("cat", paths, true);
      console.log(
        JSON.stringify({
          cache,
          tool: "cat",
          gbRead: bytes / 1e9,
          seconds: cat.seconds,
          gbPerSecond: bytes / 1e9 / cat.seconds,
          maxRssMB: cat.maxRssMB,
        }),
      );
      prep();
      const ours = run(process.execPath, [__filename, "--diff", dir]);
      console.log(JSON.stringify({ cache, ...JSON.parse(ours.stdout), processSeconds: ours.seconds, maxRssMB: ours.maxRssMB }));
      prep();
      const torch = run(PYTHON, [TORCH_SCRIPT, path.join(dir, "base"), path.join(dir, "tuned")]);
      console.log(JSON.stringify({ cache, ...JSON.parse(torch.stdout), processSeconds: torch.seconds, maxRssMB: torch.maxRssMB }));
    }
    console.log(JSON.stringify({ uptime: load() }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
