/**
 * Streaming update sparsity of two checkpoints (spec/analyses.md §1): tensor by tensor, chunk by chunk
 * in lockstep, so memory stays bounded by a few chunks whatever the model size. Mismatched tensors
 * (missing, shape or dtype differences) become rows with a status instead of errors.
 */
import { decodeToFloat32 } from "../io/decode";
import type { Checkpoint } from "../io/checkpoint";
import type { TensorInfo } from "../io/safetensors-format";
import { isBuffer } from "./modules";
import { castForDiff, countUpdates, countUpdatesBf16, DiffPrecision, poolCounts, resolveSparsityConfig, SparsityConfig, SparsityRow, sparsityRow, UpdateCounts } from "./sparsity";

export type DiffStatus = "ok" | "dtype-mismatch" | "shape-mismatch" | "missing-in-base" | "missing-in-tuned";

export interface CheckpointDiffRow extends SparsityRow {
  status: DiffStatus;
  /** Stored dtype in base (and in tuned when they differ: "BF16→F32"). */
  dtype: string;
  shape: number[];
}

export interface CheckpointDiffConfig extends SparsityConfig {
  /** Bytes per read on each side (float32-equivalent; element-aligned per dtype). */
  chunkBytes: number;
  /** Called before each tensor (progress reporting). */
  onTensor?: (name: string, index: number, total: number) => void;
}

export interface CheckpointDiffResult {
  /** One row per tensor name present in either checkpoint (buffers skipped), base order first. */
  rows: CheckpointDiffRow[];
  /** Pooled over the compared tensors (status ok or dtype-mismatch). */
  overall: SparsityRow;
  bytesRead: number;
  seconds: number;
  /** bytesRead / seconds, bytes per second. */
  throughput: number;
}

/** Precision that leaves values of this stored dtype unchanged (the cast can be skipped). */
function nativeFor(dtype: string): DiffPrecision | null {
  return dtype === "BF16" ? "bf16" : dtype === "F16" ? "fp16" : dtype === "F32" ? "fp32" : null;
}

function emptyCounts(): UpdateCounts {
  return { numel: 0, unchanged: 0, exactZero: 0 };
}

function u16View(bytes: Uint8Array): Uint16Array {
  const b = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
}

/** Both sides stored as bf16 and compared at bf16/native precision: count on raw bit patterns. */
async function compareBf16(base: Checkpoint, tuned: Checkpoint, name: string, cfg: CheckpointDiffConfig): Promise<{ counts: UpdateCounts; bytes: number }> {
  const chunk = Math.max(2, Math.floor(cfg.chunkBytes / 4) * 2);
  const itB = base.readChunks(name, chunk)[Symbol.asyncIterator]();
  const itT = tuned.readChunks(name, chunk)[Symbol.asyncIterator]();
  const total = emptyCounts();
  let bytes = 0;
  for (;;) {
    const [rb, rt] = await Promise.all([itB.next(), itT.next()]);
    if (rb.done || rt.done) break;
    bytes += rb.value.byteLength + rt.value.byteLength;
    const c = countUpdatesBf16(u16View(rb.value), u16View(rt.value), cfg.tol);
    total.numel += c.numel;
    total.unchanged += c.unchanged;
    total.exactZero += c.exactZero;
  }
  return { counts: total, bytes };
}

/** Compares one tensor present on both sides with equal numel; returns counts and bytes read. */
async function compareTensor(base: Checkpoint, tuned: Checkpoint, b: TensorInfo, t: TensorInfo, cfg: CheckpointDiffConfig): Promise<{ counts: UpdateCounts; bytes: number }> {
  if (b.dtype === "BF16" && t.dtype === "BF16" && (cfg.precision === "native" || cfg.precision === "bf16")) return compareBf16(base, tuned, b.name, cfg);
  const elems = Math.max(1, Math.floor(cfg.chunkBytes / 4));
  const bItem = b.byteLength / Math.max(1, b.numel);
  const tItem = t.byteLength / Math.max(1, t.numel);
  const itB = base.readChunks(b.name, Math.max(1, elems * bItem))[Symbol.asyncIterator]();
  const itT = tuned.readChunks(t.name, Math.max(1, elems * tItem))[Symbol.asyncIterator]();
  const bufB = new Float32Array(elems);
  const bufT = new Float32Array(elems);
  const castB = nativeFor(b.dtype) === cfg.precision ? "native" : cfg.precision;
  const castT = nativeFor(t.dtype) === cfg.precision ? "native" : cfg.precision;
  const total = emptyCounts();
  let bytes = 0;
  // Pending decoded elements per side: chunks need not line up, so consume the common prefix.
  let pendB = new Float32Array(0);
  let pendT = new Float32Array(0);
  let doneB = false;
  let doneT = false;
  for (;;) {
    if (pendB.length === 0 && !doneB) {
      const r = await itB.next();
      if (r.done) doneB = true;
      else {
        bytes += r.value.byteLength;
        pendB = decodeToFloat32(r.value, b.dtype, r.value.byteLength / bItem <= elems ? bufB : undefined).subarray(0, r.value.byteLength / bItem);
      }
    }
    if (pendT.length === 0 && !doneT) {
      const r = await itT.next();
      if (r.done) doneT = true;
      else {
        bytes += r.value.byteLength;
        pendT = decodeToFloat32(r.value, t.dtype, r.value.byteLength / tItem <= elems ? bufT : undefined).subarray(0, r.value.byteLength / tItem);
      }
    }
    const n = Math.min(pendB.length, pendT.length);
    if (n === 0) break;
    const c = countUpdates(castForDiff(pendB.subarray(0, n), castB), castForDiff(pendT.subarray(0, n), castT), cfg.tol);
    total.numel += c.numel;
    total.unchanged += c.unchanged;
    total.exactZero += c.exactZero;
    pendB = pendB.subarray(n);
    pendT = pendT.subarray(n);
  }
  return { counts: total, bytes };
}

function mismatchRow(name: string, status: DiffStatus, info: TensorInfo, other?: TensorInfo): CheckpointDiffRow {
  const row = sparsityRow(name, emptyCounts());
  const dtype = other && other.dtype !== info.dtype ? `${info.dtype}→${other.dtype}` : info.dtype;
  return { ...row, numel: info.numel, sparsity: NaN, exactZeroFraction: NaN, density: NaN, status, dtype, shape: [...info.shape] };
}

/**
 * Update sparsity of `tuned` against `base` for every tensor, read in chunks of `chunkBytes`
 * (default 16 MiB) on both sides in lockstep. Default precision "native": values as stored.
 */
export async function diffCheckpoints(base: Checkpoint, tuned: Checkpoint, partial: Partial<CheckpointDiffConfig> = {}): Promise<CheckpointDiffResult> {
  const s = resolveSparsityConfig({ tol: partial.tol ?? 1e-5, precision: partial.precision ?? "native" });
  const cfg: CheckpointDiffConfig = { chunkBytes: 16 << 20, ...partial, ...s };
  const start = process.hrtime.bigint();
  const tunedInfos = new Map(tuned.tensors().map((t) => [t.name, t]));
  const baseInfos = base.tensors().filter((t) => !isBuffer(t.name));
  const baseNames = new Set(baseInfos.map((t) => t.name));
  const extra = [...tunedInfos.values()].filter((t) => !baseNames.has(t.name) && !isBuffer(t.name));
  const rows: CheckpointDiffRow[] = [];
  let bytesRead = 0;
  const total = baseInfos.length + extra.length;
  for (const [i, b] of baseInfos.entries()) {
    cfg.onTensor?.(b.name, i, total);
    const t = tunedInfos.get(b.name);
    if (!t) rows.push(mismatchRow(b.name, "missing-in-tuned", b));
    else if (t.shape.join("x") !== b.shape.join("x")) rows.push({ ...mismatchRow(b.name, "shape-mismatch", b, t), shape: [...b.shape] });
    else {
      const { counts, bytes } = await compareTensor(base, tuned, b, t, cfg);
      bytesRead += bytes;
      const status: DiffStatus = t.dtype === b.dtype ? "ok" : "dtype-mismatch";
      rows.push({ ...sparsityRow(b.name, counts), status, dtype: status === "ok" ? b.dtype : `${b.dtype}→${t.dtype}`, shape: [...b.shape] });
    }
  }
  for (const [i, t] of extra.entries()) {
    cfg.onTensor?.(t.name, baseInfos.length + i, total);
    rows.push(mismatchRow(t.name, "missing-in-base", t));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const compared = rows.filter((r) => r.status === "ok" || r.status === "dtype-mismatch");
  return { rows, overall: sparsityRow("overall", poolCounts(compared)), bytesRead, seconds, throughput: seconds > 0 ? bytesRead / seconds : 0 };
}
