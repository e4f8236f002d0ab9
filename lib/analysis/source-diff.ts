// Update sparsity of two weight sources read whole, tensor by tensor: for sources that are no files on disk (a
// base with a PEFT adapter merged in), with the rows and totals of the streaming diffCheckpoints.
import type { CheckpointDiffConfig, CheckpointDiffResult, CheckpointDiffRow } from "./checkpoint-diff";
import { DEFAULT_CHECKPOINT_DIFF_CONFIG, diffResult } from "./checkpoint-diff";
import { castForDiff, countUpdates, resolveSparsityConfig, sparsityRow } from "./sparsity";
import { type CheckpointSource, numelOf, tensorPairs } from "./weights";

/** ‖Δ‖_F and ‖θ₀‖_F of two cast arrays, Δ rounded to float32 as diffCheckpoints and torch compute it, sums in float64. */
function norms(base: Float32Array, tuned: Float32Array, withBase: boolean): { deltaNorm: number; baseNorm: number } {
  let delta2 = 0;
  let base2 = 0;
  for (let i = 0; i < base.length; i++) {
    const d = Math.fround(tuned[i] - base[i]);
    delta2 += d * d;
    if (withBase) base2 += base[i] * base[i];
  }
  return { deltaNorm: Math.sqrt(delta2), baseNorm: Math.sqrt(base2) };
}

/**
 * Sparsity of `tuned` against `base` for the tensors both hold with one shape (both cast to `precision` first,
 * "native" = as read, float32). Rows have status "ok" and base's dtype; bytesRead counts float32 values.
 * With `norms: true`, rows and overall get deltaNorm/baseNorm as in diffCheckpoints (baseNorms reused when given).
 */
export async function diffSources(
  base: CheckpointSource,
  tuned: CheckpointSource,
  partial: Partial<Omit<CheckpointDiffConfig, "chunkBytes">> = {},
): Promise<CheckpointDiffResult> {
  const d = DEFAULT_CHECKPOINT_DIFF_CONFIG;
  const c = resolveSparsityConfig({ tol: partial.tol ?? d.tol, precision: partial.precision ?? d.precision });
  const start = process.hrtime.bigint();
  const dtypes = new Map(base.tensors().map((t) => [t.name, t.dtype]));
  const total = dtypes.size;
  const rows: CheckpointDiffRow[] = [];
  let i = 0;
  for await (const p of tensorPairs(base, tuned)) {
    partial.onTensor?.(p.name, i++, total);
    const b = castForDiff(p.base, c.precision);
    const t = castForDiff(p.tuned, c.precision);
    const row: CheckpointDiffRow = {
      ...sparsityRow(p.name, countUpdates(b, t, c.tol)),
      status: "ok",
      dtype: dtypes.get(p.name)!,
      shape: p.shape,
    };
    if (partial.norms) {
      const known = partial.baseNorms?.get(p.name);
      const n = norms(b, t, known === undefined);
      rows.push({ ...row, deltaNorm: n.deltaNorm, baseNorm: known ?? n.baseNorm });
    } else rows.push(row);
  }
  return diffResult(
    rows,
    Boolean(partial.norms),
    rows.reduce((a, r) => a + 8 * numelOf(r.shape), 0),
    start,
  );
}
