/**
 * Streaming update sparsity of two checkpoints (spec/analyses.md §1): tensor by tensor, chunk by chunk
 * in lockstep, so memory stays bounded by four chunk pairs whatever the model size. Mismatched tensors
 * (missing, shape or dtype differences) become rows with a status instead of errors.
 */
import type { Checkpoint } from "../io/checkpoint";
import { SAFETENSORS_ITEM_SIZE, type TensorInfo } from "../io/safetensors-format";
import { isBuffer } from "./modules";
import {
  DEFAULT_SPARSITY_CONFIG,
  poolCounts,
  resolveSparsityConfig,
  type SparsityConfig,
  type SparsityRow,
  sparsityRow,
  type UpdateCounts,
} from "./sparsity";
import { castFor, type CountSide, UpdateCounter } from "./update-counter";
import { deepFreeze } from "../base/freeze";
import { cancellationCheck } from "../base/cancel";

export type DiffStatus = "ok" | "dtype-mismatch" | "shape-mismatch" | "missing-in-base" | "missing-in-tuned";

export interface CheckpointDiffRow extends SparsityRow {
  status: DiffStatus;
  /** Stored dtype in base (and in tuned when they differ: "BF16→F32"). */
  dtype: string;
  shape: number[];
  /** ‖θ₁ − θ₀‖_F and ‖θ₀‖_F of the values as compared (with `norms: true`, on compared rows only). */
  deltaNorm?: number;
  baseNorm?: number;
}

export interface CheckpointDiffConfig extends SparsityConfig {
  /** Bytes per read on each side (float32-equivalent; element-aligned per dtype). */
  chunkBytes: number;
  /** Called before each tensor (progress reporting). */
  onTensor?: (name: string, index: number, total: number) => void;
  /** Also sum squares for the relative update norm ‖Δ‖/‖θ₀‖ (rows get deltaNorm/baseNorm; a JS pass per chunk). */
  norms?: boolean;
  /**
   * ‖θ₀‖_F per tensor already measured against this base at this precision (an earlier checkpoint of the same
   * run): those tensors' base sums are not recomputed.
   */
  baseNorms?: ReadonlyMap<string, number>;
}

/**
 * Defaults of `diffCheckpoints` and `rftlab diff`. Precision "native", unlike the in-memory
 * DEFAULT_SPARSITY_CONFIG's "bf16": a checkpoint file already holds the precision its weights were
 * saved in (a bf16 checkpoint is compared in bf16, as the paper does), and casting an fp32 file would
 * hide real updates below bf16 resolution. Chunks of 4 MiB (float32-equivalent) stay in the CPU cache.
 */
export const DEFAULT_CHECKPOINT_DIFF_CONFIG: Readonly<Omit<CheckpointDiffConfig, "onTensor">> = deepFreeze({
  ...DEFAULT_SPARSITY_CONFIG,
  precision: "native",
  chunkBytes: 4 << 20,
});

export interface CheckpointDiffResult {
  /** One row per tensor name present in either checkpoint (buffers skipped), base order first. */
  rows: CheckpointDiffRow[];
  /** Pooled over the compared tensors (status ok or dtype-mismatch); deltaNorm/baseNorm with `norms: true`. */
  overall: SparsityRow & { deltaNorm?: number; baseNorm?: number };
  bytesRead: number;
  seconds: number;
  /** bytesRead / seconds, bytes per second. */
  throughput: number;
}

function emptyCounts(): UpdateCounts {
  return { numel: 0, unchanged: 0, exactZero: 0, nanDelta: 0 };
}

/** A tensor present on both sides with the same shape: counted into `counts`. */
interface Pair {
  b: TensorInfo;
  t: TensorInfo;
  base: CountSide;
  tuned: CountSide;
  counts: UpdateCounts;
  /** Σ Δ², Σ θ₀² (with cfg.norms). */
  squares: { delta2: number; base2: number };
}

/** Entries [start, start + count) of pairs[pair]. */
interface Job {
  pair: number;
  start: number;
  count: number;
}

/** Buffer slots: one being counted while the next three are read (a deeper queue keeps cold disks busy). */
const SLOTS = 4;

/** Largest region: 128 MiB per side and slot, so all eight stay far below wasm32's 4 GiB. */
const MAX_REGION_BYTES = 1 << 27;

/**
 * Counts every pair chunk by chunk through SLOTS buffer slots: the next chunks (of the same tensor or the
 * next ones) are read into the other slots while the kernel counts one, so disk reads and counting overlap.
 * `onPair(i)` runs before the first chunk of pairs[i] is counted. Returns the bytes read.
 */
async function countPairs(
  base: Checkpoint,
  tuned: Checkpoint,
  pairs: Pair[],
  cfg: CheckpointDiffConfig,
  onPair: (i: number) => void,
  check: () => Promise<void>,
): Promise<number> {
  const item = (t: TensorInfo) => SAFETENSORS_ITEM_SIZE[t.dtype];
  const maxItem = Math.max(1, ...pairs.map((p) => Math.max(item(p.b), item(p.t))));
  const largest = Math.max(1, ...pairs.map((p) => p.b.numel));
  const elements = Math.min(largest, Math.floor(MAX_REGION_BYTES / maxItem), Math.max(1, Math.floor(cfg.chunkBytes / 4)));
  const jobs: Job[] = pairs.flatMap((p, pair) =>
    Array.from({ length: Math.ceil(p.b.numel / elements) }, (_, k) => ({
      pair,
      start: k * elements,
      count: Math.min(elements, p.b.numel - k * elements),
    })),
  );
  const counter = new UpdateCounter(elements, maxItem, SLOTS);
  const read = (job: Job, slot: number) => {
    const { b, t } = pairs[job.pair];
    return Promise.all([
      base.readInto(b.name, job.start * item(b), counter.region(slot, 0).subarray(0, job.count * item(b))),
      tuned.readInto(t.name, job.start * item(t), counter.region(slot, 1).subarray(0, job.count * item(t))),
    ]);
  };
  // reads[i % SLOTS] fills slot i % SLOTS for job i; SLOTS − 1 reads run ahead of the count.
  const reads: Promise<unknown>[] = [];
  const startRead = (i: number) => {
    if (i < jobs.length) reads[i % SLOTS] = read(jobs[i], i % SLOTS);
  };
  for (let i = 0; i < SLOTS - 1; i++) startRead(i);
  let bytes = 0;
  try {
    for (const [i, job] of jobs.entries()) {
      await check();
      await reads[i % SLOTS];
      startRead(i + SLOTS - 1);
      const p = pairs[job.pair];
      if (job.start === 0) onPair(job.pair);
      // Sums of squares only on request: they slow the kernel, and ‖θ₀‖ may already be known (cfg.baseNorms).
      const c: UpdateCounts & { delta2?: number; base2?: number } = cfg.norms
        ? counter.countWithSquares(i % SLOTS, job.count, p.base, p.tuned, cfg.tol, !cfg.baseNorms?.has(p.b.name))
        : counter.count(i % SLOTS, job.count, p.base, p.tuned, cfg.tol);
      p.counts.numel += c.numel;
      p.counts.unchanged += c.unchanged;
      p.counts.exactZero += c.exactZero;
      p.counts.nanDelta += c.nanDelta;
      p.squares.delta2 += c.delta2 ?? 0;
      p.squares.base2 += c.base2 ?? 0;
      bytes += job.count * (item(p.b) + item(p.t));
    }
  } finally {
    // A failed count must not leave a read in flight (its rejection would go unhandled).
    await Promise.all(reads.map((r) => r.catch(() => undefined)));
  }
  return bytes;
}

function mismatchRow(name: string, status: DiffStatus, info: TensorInfo, other?: TensorInfo): CheckpointDiffRow {
  const row = sparsityRow(name, emptyCounts());
  const dtype = other && other.dtype !== info.dtype ? `${info.dtype}→${other.dtype}` : info.dtype;
  return { ...row, numel: info.numel, sparsity: NaN, exactZeroFraction: NaN, density: NaN, status, dtype, shape: [...info.shape] };
}

/**
 * Update sparsity of `tuned` against `base` for every tensor, read in chunks of `chunkBytes`
 * on both sides in lockstep, reading ahead one chunk while counting
 * (WebAssembly SIMD for bf16/f16/f32). Defaults: DEFAULT_CHECKPOINT_DIFF_CONFIG (precision "native": values as stored).
 * `options.signal` (and the kernel's interrupt) stops it between two chunks; it rejects with the signal's reason.
 */
export async function diffCheckpoints(
  base: Checkpoint,
  tuned: Checkpoint,
  partial: Partial<CheckpointDiffConfig> = {},
  options: { signal?: AbortSignal } = {},
): Promise<CheckpointDiffResult> {
  const d = DEFAULT_CHECKPOINT_DIFF_CONFIG;
  const s = resolveSparsityConfig({ tol: partial.tol ?? d.tol, precision: partial.precision ?? d.precision });
  const cfg: CheckpointDiffConfig = { chunkBytes: d.chunkBytes, ...partial, ...s };
  const start = process.hrtime.bigint();
  const tunedInfos = new Map(tuned.tensors().map((t) => [t.name, t]));
  const baseInfos = base.tensors().filter((t) => !isBuffer(t.name));
  const baseNames = new Set(baseInfos.map((t) => t.name));
  const extra = [...tunedInfos.values()].filter((t) => !baseNames.has(t.name) && !isBuffer(t.name));
  // One entry per row, in row order: a finished mismatch row or a pair still to count.
  const entries: (CheckpointDiffRow | Pair)[] = baseInfos.map((b) => {
    const t = tunedInfos.get(b.name);
    if (!t) return mismatchRow(b.name, "missing-in-tuned", b);
    if (t.shape.join("x") !== b.shape.join("x")) return { ...mismatchRow(b.name, "shape-mismatch", b, t), shape: [...b.shape] };
    const side = (i: TensorInfo) => ({ dtype: i.dtype, cast: castFor(i.dtype, cfg.precision) });
    return { b, t, base: side(b), tuned: side(t), counts: emptyCounts(), squares: { delta2: 0, base2: 0 } };
  });
  entries.push(...extra.map((t) => mismatchRow(t.name, "missing-in-base", t)));
  const isPair = (e: CheckpointDiffRow | Pair): e is Pair => "counts" in e;
  const pairs = entries.filter(isPair);
  const pairEntry = entries.flatMap((e, i) => (isPair(e) ? [i] : []));
  // Progress in row order: announce every entry up to the one about to be counted.
  let announced = 0;
  const announceUpTo = (end: number) => {
    for (; announced < end; announced++) {
      const e = entries[announced];
      cfg.onTensor?.(isPair(e) ? e.b.name : e.name, announced, entries.length);
    }
  };
  const bytesRead = await countPairs(base, tuned, pairs, cfg, (i) => announceUpTo(pairEntry[i] + 1), cancellationCheck(options.signal, 50));
  announceUpTo(entries.length);
  const rows = entries.map((e): CheckpointDiffRow => {
    if (!isPair(e)) return e;
    const status: DiffStatus = e.t.dtype === e.b.dtype ? "ok" : "dtype-mismatch";
    const row: CheckpointDiffRow = {
      ...sparsityRow(e.b.name, e.counts),
      status,
      dtype: status === "ok" ? e.b.dtype : `${e.b.dtype}→${e.t.dtype}`,
      shape: [...e.b.shape],
    };
    if (!cfg.norms) return row;
    return { ...row, deltaNorm: Math.sqrt(e.squares.delta2), baseNorm: cfg.baseNorms?.get(e.b.name) ?? Math.sqrt(e.squares.base2) };
  });
  return diffResult(rows, Boolean(cfg.norms), bytesRead, start);
}

/** The result of a diff from its rows: totals pooled over the compared rows (and their norms), timing since `start`. */
export function diffResult(rows: CheckpointDiffRow[], norms: boolean, bytesRead: number, start: bigint): CheckpointDiffResult {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const compared = rows.filter((r) => r.status === "ok" || r.status === "dtype-mismatch");
  const overall = sparsityRow("overall", poolCounts(compared));
  const pooled = (k: "deltaNorm" | "baseNorm") => Math.sqrt(compared.reduce((a, r) => a + (r[k] ?? 0) ** 2, 0));
  return {
    rows,
    overall: norms ? { ...overall, deltaNorm: pooled("deltaNorm"), baseNorm: pooled("baseNorm") } : overall,
    bytesRead,
    seconds,
    throughput: seconds > 0 ? bytesRead / seconds : 0,
  };
}
