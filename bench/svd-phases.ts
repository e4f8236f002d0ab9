// Where the full SVD's time goes: bidiagonalisation, forming Q and P, the bidiagonal SVD with U, V updates.
// Usage: node dist/bench/svd-phases.js [sizes, default 1024]. Prints wall and CPU seconds per phase (CPU
// seconds are less sensitive to other processes on a shared machine). One seeded N(0,1) matrix per size.
import { bidiagonalize } from "../lib/linalg/bidiagonalize";
import { bidiagonalQr } from "../lib/linalg/bidiagonal-qr";
import { RotatedColumns } from "../lib/linalg/bidiagonal-simd";
import { seededNormals } from "../lib/linalg/low-rank";
import { reflectorProduct } from "../lib/linalg/reflectors";

const sizes = (process.argv[2] ?? "1024").split(",").map(Number);
const timed = <T>(fn: () => T): [T, { wall: number; cpu: number }] => {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const out = fn();
  const dc = process.cpuUsage(c);
  return [out, { wall: +(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2), cpu: +((dc.user + dc.system) / 1e6).toFixed(2) }];
};
for (const n of sizes) {
  const a = Float64Array.from(Float32Array.from(seededNormals(n * n, n)));
  const [b, bidiag] = timed(() => bidiagonalize(a, n, n));
  const [[u, v], qp] = timed(() => {
    const rows = new Float64Array(n * n);
    for (let k = 0; k + 2 < n; k++) for (let j = k + 2; j < n; j++) rows[k * n + j] = a[j * n + k];
    return [
      new RotatedColumns(reflectorProduct(a, n, n, n, 0, b.tauq, n), n, n),
      new RotatedColumns(reflectorProduct(rows, n, n, n - 1, 1, b.taup, n), n, n),
    ];
  });
  const [, qr] = timed(() => bidiagonalQr(b.d, b.e, n, u, v));
  const [, readout] = timed(() => [u.toRowMajor(), v.toRowMajor()]);
  console.log(JSON.stringify({ n, bidiagonalize: bidiag, formQP: qp, bidiagonalQr: qr, readout }));
}
