import type { Command } from "./command";
import { emit, formatTable, UsageError } from "./command";
import { diffCheckpoints, DEFAULT_CHECKPOINT_DIFF_CONFIG, DIFF_PRECISIONS, type DiffPrecision } from "../analysis";
import { diffSources } from "../analysis/source-diff";
import { ADAPTER_FLAGS, openAnalysisPair } from "./analysis-pair";

const DEFAULTS = DEFAULT_CHECKPOINT_DIFF_CONFIG;
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : "-");

/** The comparison flags `rftlab diff` and `rftlab trajectory` share (same names, meanings and defaults). */
export const DIFF_FLAGS = {
  tol: { type: "number", help: "entries with |Δ| ≤ tol count as unchanged", default: DEFAULTS.tol, min: 0 },
  precision: { type: "string", help: "cast both sides first; native = as stored", default: DEFAULTS.precision, choices: DIFF_PRECISIONS },
  "chunk-mb": {
    type: "number",
    help: "MiB per step on each side (float32-equivalent; small chunks are counted while still in the CPU cache)",
    default: DEFAULTS.chunkBytes / (1 << 20),
    min: 1,
  },
  json: { type: "boolean", help: "print JSON" },
} satisfies Command["flags"];

const diff: Command = {
  name: "diff",
  summary: "Update sparsity of <tuned> against <base>, tensor by tensor (streams both checkpoints; spec/analyses.md §1).",
  positionals: ["base?", "tuned?"],
  flags: { ...DIFF_FLAGS, ...ADAPTER_FLAGS },
  async run(args) {
    const pair = await openAnalysisPair("diff", args);
    const [basePath, tunedPath] = pair.labels;
    try {
      const cfg = {
        tol: args.flags.tol as number,
        precision: args.flags.precision as DiffPrecision,
        chunkBytes: (args.flags["chunk-mb"] as number) * (1 << 20),
        onTensor: (name: string, i: number, n: number) =>
          process.stderr.write(`\r[${i + 1}/${n}] ${name}`.padEnd(80).slice(0, 80) + (i + 1 === n ? "\n" : "")),
      };
      // An adapter's merged weights exist only in memory: read whole, tensor by tensor; checkpoints stream.
      const r = pair.tunedCheckpoint
        ? await diffCheckpoints(pair.base, pair.tunedCheckpoint, cfg)
        : await diffSources(pair.base, pair.tuned, cfg);
      if (!r.rows.some((x) => x.status === "ok" || x.status === "dtype-mismatch")) {
        throw new UsageError(
          `rftlab diff: ${basePath} and ${tunedPath} have no tensor of the same name and shape (${r.rows.length} mismatched); compare two checkpoints of one architecture`,
        );
      }
      const tensors = r.rows.map((x) => ({
        name: x.name,
        dtype: x.dtype,
        shape: x.shape,
        numel: x.numel,
        status: x.status,
        sparsity: x.sparsity,
        exactZero: x.exactZeroFraction,
        density: x.density,
        unchangedCount: x.unchanged,
        exactZeroCount: x.exactZero,
        nanDeltaCount: x.nanDelta,
        module: x.module,
        layer: x.layer,
      }));
      const o = r.overall;
      const overall = {
        sparsity: o.sparsity,
        exactZero: o.exactZeroFraction,
        numel: o.numel,
        unchangedCount: o.unchanged,
        exactZeroCount: o.exactZero,
        nanDeltaCount: o.nanDelta,
        density: o.density,
      };
      const value = {
        tol: args.flags.tol,
        precision: args.flags.precision,
        tensors,
        overall,
        bytesRead: r.bytesRead,
        seconds: r.seconds,
        throughputMBps: r.throughput / 1e6,
      };
      emit(
        Boolean(args.flags.json),
        value,
        () =>
          formatTable(
            ["tensor", "dtype", "shape", "numel", "sparsity", "exact0", "status"],
            tensors.map((t) => [t.name, t.dtype, t.shape.join("x"), t.numel, fmt(t.sparsity), fmt(t.exactZero), t.status]),
          ) +
          `\noverall: sparsity ${fmt(o.sparsity)} (|Δ| ≤ ${args.flags.tol}, ${args.flags.precision}), exact zero ${fmt(o.exactZeroFraction)}, ` +
          `${o.numel} entries in ${tensors.length} tensors, ${tensors.filter((t) => t.status !== "ok").length} mismatched; ` +
          `${(r.bytesRead / 1e6).toFixed(1)} MB at ${(r.throughput / 1e6).toFixed(0)} MB/s`,
      );
      if (o.nanDelta > 0) {
        const bad = tensors.filter((t) => t.nanDeltaCount > 0).map((t) => t.name);
        process.stderr.write(
          `rftlab diff: ${o.nanDelta} entries in ${bad.length} tensor(s) (${bad.slice(0, 3).join(", ")}${bad.length > 3 ? ", …" : ""}) ` +
            "have Δ = NaN (a NaN or ∞ in a checkpoint), so their sparsity means nothing; check the checkpoints for diverged weights\n",
        );
        return 1;
      }
    } finally {
      await pair.close();
    }
  },
};
export default diff;
