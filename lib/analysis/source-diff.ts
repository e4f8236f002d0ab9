// Update sparsity of two weight sources read whole, tensor by tensor: for sources that are no files on disk (a
// base with a PEFT adapter merged in), with the rows and totals of the streaming diffCheckpoints.
import type { CheckpointDiffConfig, CheckpointDiffResult, CheckpointDiffRow } from "./checkpoint-diff";
import { DEFAULT_CHECKPOINT_DIFF_CONFIG } from "./checkpoint-diff";
import { castForDiff, countUpdates, poolCounts, resolveSparsityConfig, sparsityRow } from "./sparsity";
import { type CheckpointSource, numelOf, tensorPairs } from "./weights";

/**
 * Sparsity of `tuned` against `base` for the tensors both hold with one shape (both cast to `precision` first,
 * "native" = as read, float32). Rows have status "ok" and base's dtype; bytesRead counts float32 values.
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
    const counts = countUpdates(castForDiff(p.base, c.precision), castForDiff(p.tuned, c.precision), c.tol);
    rows.push({ ...sparsityRow(p.name, counts), status: "ok", dtype: dtypes.get(p.name)!, shape: p.shape });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytesRead = rows.reduce((a, r) => a + 8 * numelOf(r.shape), 0);
  return { rows, overall: sparsityRow("overall", poolCounts(rows)), bytesRead, seconds, throughput: seconds > 0 ? bytesRead / seconds : 0 };
}
