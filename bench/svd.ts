// Dense SVD of lib/analysis (Float64 JS, blocked bidiagonalisation) against torch.linalg in the same run.
// Usage: node dist/bench/svd.js [sizes, default 1024,2048] [--full-max N] [--f64-max N] [--threads T]
//   full U,S,V only up to --full-max (default 2048); torch float64 only up to --f64-max (default 2048).
// Per size: one random N(0,1) float32 matrix, written to a temp file for the torch peer
// (bench/torch_svd.py, OPENBLAS/OMP threads = T, default 2), then timed here; one run each.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { numericalRank, svd } from "../lib/linalg";
import { seededNormals } from "../lib/linalg/low-rank";

const PYTHON = process.env.RFTLAB_PYTHON ?? "/usr/bin/python3";
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const sizes = (process.argv[2]?.startsWith("--") ? "1024,2048" : (process.argv[2] ?? "1024,2048")).split(",").map(Number);
const fullMax = arg("--full-max", 2048);
const f64Max = arg("--f64-max", 2048);
const threads = arg("--threads", 2);

/** Wall and CPU seconds (CPU time is less sensitive to other processes on a shared machine). */
const seconds = <T>(fn: () => T): [T, number, number] => {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const out = fn();
  const dc = process.cpuUsage(c);
  return [out, +(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2), +((dc.user + dc.system) / 1e6).toFixed(2)];
};
/** max_i |x_i − y_i| / y_0: singular-value agreement on the scale of σ_max. */
const maxRelDiff = (x: ArrayLike<number>, y: number[]) => Math.max(...y.map((v, i) => Math.abs(x[i] - v))) / y[0];

const rows: Record<string, unknown>[] = [];
for (const n of sizes) {
  const data = Float32Array.from(seededNormals(n * n, n));
  const file = path.join(os.tmpdir(), `rftlab-svd-bench-${process.pid}.f32`);
  fs.writeFileSync(file, Buffer.from(data.buffer));
  const flags = [...(n <= fullMax ? ["--full"] : []), ...(n <= f64Max ? ["--float64"] : [])];
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const py = spawnSync(PYTHON, [path.resolve(__dirname, "..", "..", "bench", "torch_svd.py"), file, String(n), String(threads), ...flags], {
    encoding: "utf8",
    env,
    maxBuffer: 1 << 26,
  });
  fs.rmSync(file, { force: true });
  if (py.status !== 0) throw new Error(`torch peer failed: ${py.stderr.slice(-800)}`);
  const torch = JSON.parse(py.stdout);

  const a = { rows: n, cols: n, data };
  const [rank, values, valuesCpu] = seconds(() => numericalRank(a));
  const [, full, fullCpu] = n <= fullMax ? seconds(() => svd(a)) : [null, null, null];
  const row = {
    n,
    rftlab: { valuesSeconds: values, fullSeconds: full, valuesCpuSeconds: valuesCpu, fullCpuSeconds: fullCpu, rank: rank.rank },
    torch: {
      threads: torch.threads,
      valuesSeconds_float32: torch.valuesSeconds_float32,
      fullSeconds_float32: torch.fullSeconds_float32 ?? null,
      valuesCpuSeconds_float32: torch.valuesCpuSeconds_float32,
      fullCpuSeconds_float32: torch.fullCpuSeconds_float32 ?? null,
      valuesSeconds_float64: torch.valuesSeconds_float64 ?? null,
      fullSeconds_float64: torch.fullSeconds_float64 ?? null,
      rank_float32: torch.rank,
    },
    sigmaDiffVsTorchF32: maxRelDiff(rank.s, torch.s_float32),
    sigmaDiffVsTorchF64: torch.s_float64 ? maxRelDiff(rank.s, torch.s_float64) : null,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

const ratio = (x: number | null, y: number | null) => (x != null && y ? `${(x / y).toFixed(1)}×` : "—");
const sec = (x: number | null) => (x == null ? "—" : `${x} s`);
const sci = (x: number | null) => (x == null ? "—" : x.toExponential(1));
console.log(
  "\n| n | rftlab values | torch svdvals f32 / f64 | ratio vs f32 | rftlab full | torch svd f32 / f64 | ratio vs f32 | CPU-s ratio values / full | rank rftlab / torch | max |Δσ|/σ₁ vs f32 / f64 |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
// biome-ignore lint/suspicious/noExplicitAny: rows are the JSON the torch peer printed
for (const r of rows as any[]) {
  const t = r.torch;
  console.log(
    `| ${r.n} | ${sec(r.rftlab.valuesSeconds)} | ${sec(t.valuesSeconds_float32)} / ${sec(t.valuesSeconds_float64)} | ${ratio(r.rftlab.valuesSeconds, t.valuesSeconds_float32)} | ${sec(r.rftlab.fullSeconds)} | ${sec(t.fullSeconds_float32)} / ${sec(t.fullSeconds_float64)} | ${ratio(r.rftlab.fullSeconds, t.fullSeconds_float32)} | ${ratio(r.rftlab.valuesCpuSeconds, t.valuesCpuSeconds_float32)} / ${ratio(r.rftlab.fullCpuSeconds, t.fullCpuSeconds_float32)} | ${r.rftlab.rank} / ${t.rank_float32} | ${sci(r.sigmaDiffVsTorchF32)} / ${sci(r.sigmaDiffVsTorchF64)} |`,
  );
}
