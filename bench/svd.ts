// Dense SVD timing of lib/analysis (Golub–Kahan–Reinsch in Float64 JS) on random square matrices.
// Usage: node dist/bench/svd.js [sizes, default 1024,2048] [--full-max N]  (full SVD only up to N; default 2048)
// Compare with: /usr/bin/python3 bench/torch_svd.py 1024,2048  — results go to bench/RESULTS.md by hand.
import { numericalRank, seededNormals, svd } from "../lib/analysis";

const sizes = (process.argv[2] ?? "1024,2048").split(",").map(Number);
const fullMaxArg = process.argv.indexOf("--full-max");
const fullMax = fullMaxArg > 0 ? Number(process.argv[fullMaxArg + 1]) : 2048;

for (const n of sizes) {
  const a = { rows: n, cols: n, data: Float32Array.from(seededNormals(n * n, n)) };
  let t = process.hrtime.bigint();
  const r = numericalRank(a);
  const values = Number(process.hrtime.bigint() - t) / 1e9;
  let full: number | null = null;
  if (n <= fullMax) {
    t = process.hrtime.bigint();
    svd(a);
    full = Number(process.hrtime.bigint() - t) / 1e9;
  }
  console.log(JSON.stringify({ impl: "rftlab-js-f64", n, valuesSeconds: +values.toFixed(2), fullSeconds: full && +full.toFixed(2), rank: r.rank, sigmaMax: +r.s[0].toFixed(4) }));
}
