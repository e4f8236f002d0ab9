/**
 * Weight trajectory of a run (spec/analyses.md §1, per checkpoint): update sparsity, exact-zero fraction
 * and relative update norm ‖Δ‖/‖θ₀‖ of every checkpoint against one base, streamed with diffCheckpoints,
 * and (opt-in) the rank of ΔW for selected matrices. Adapter-only checkpoints (PEFT LoRA) are merged into
 * the base (W + ΔW, read tensor by tensor) and measured the same way. Each checkpoint's result is cached
 * under a key of the base's and the checkpoint's (or adapter's) file identities and the settings, so a
 * re-run after a new checkpoint opens only the new one. Unreadable checkpoints become problems; the others are still measured.
 */
import path from "node:path";
import { RftlabError } from "../errors";
import { deepFreeze } from "../base/freeze";
import { checkConfig, nullable } from "../base/strict-config";
import { CheckpointError } from "../io/checkpoint-error";
import { type Checkpoint, openCheckpoint } from "../io/checkpoint";
import { locateCheckpoint } from "../io/checkpoint-path";
import { filesIdentity } from "../io/result-cache";
import { type CheckpointDiffRow, DEFAULT_CHECKPOINT_DIFF_CONFIG, diffCheckpoints } from "./checkpoint-diff";
import { resolveSparsityConfig, type SparsityConfig, type SparsityReport, summarizeSparsity } from "./sparsity";
import { updateRank, type UpdateRankRow } from "./update-rank";
import { diffSources } from "./source-diff";
import type { CheckpointSource } from "./weights";

export interface TrajectoryConfig extends SparsityConfig {
  /** Bytes per read on each side, as in diffCheckpoints. */
  chunkBytes: number;
  /** Regular expression (source) of the 2-D tensors whose ΔW rank is computed (a full SVD each: small matrices); null = none. */
  rankPattern: string | null;
}

/** Defaults: those of `rftlab diff` (precision "native", tol 1e-5), no ranks. */
export const DEFAULT_TRAJECTORY_CONFIG: Readonly<TrajectoryConfig> = deepFreeze({
  tol: DEFAULT_CHECKPOINT_DIFF_CONFIG.tol,
  precision: DEFAULT_CHECKPOINT_DIFF_CONFIG.precision,
  chunkBytes: DEFAULT_CHECKPOINT_DIFF_CONFIG.chunkBytes,
  rankPattern: null,
});

export function resolveTrajectoryConfig(partial: Partial<TrajectoryConfig> = {}): TrajectoryConfig {
  checkConfig("TrajectoryConfig", partial, { ...DEFAULT_TRAJECTORY_CONFIG, rankPattern: nullable("q_proj") });
  const merged = { ...DEFAULT_TRAJECTORY_CONFIG, ...partial };
  const c = { ...merged, ...resolveSparsityConfig({ tol: merged.tol, precision: merged.precision }) };
  if (!(c.chunkBytes >= 1) || !Number.isFinite(c.chunkBytes))
    throw new RftlabError(`TrajectoryConfig.chunkBytes must be a finite number ≥ 1; got ${c.chunkBytes}`);
  if (c.rankPattern !== null) {
    try {
      new RegExp(c.rankPattern);
    } catch (e) {
      throw new RftlabError(
        `TrajectoryConfig.rankPattern must be a regular expression; got ${JSON.stringify(c.rankPattern)} (${(e as Error).message})`,
      );
    }
  }
  return c;
}

/**
 * A checkpoint to measure: its step and the folder (or file) openCheckpoint reads, or a PEFT adapter folder
 * (adapter-only checkpoints) measured as base + ΔW. A RunCheckpoint of lib/io's readRunLayout is one.
 */
export interface TrajectoryInput {
  step: number;
  path: string;
  /** Full weights; used when present. */
  weights?: string;
  /** PEFT adapter folder (adapter_config.json + adapter_model.safetensors), merged into the base by options.openAdapter. */
  adapter?: string;
}

/** A weight source that holds files open (a base with an adapter merged in). */
export interface ClosableSource extends CheckpointSource {
  close(): Promise<void>;
}

export interface TrajectoryCheckpoint {
  step: number;
  path: string;
  overall: {
    /** Fraction of entries with |Δ| ≤ tol, pooled over the compared tensors. */
    sparsity: number;
    /** Fraction with Δ == 0. */
    exactZero: number;
    /** ‖Δ‖_F / ‖θ₀‖_F over the compared tensors. */
    relativeNorm: number;
    numel: number;
    /** Entries whose Δ is NaN (a NaN or ∞ in a checkpoint). */
    nanDelta: number;
  };
  /** One row per tensor compared (same name and shape as in base), in base order, with deltaNorm/baseNorm. */
  tensors: CheckpointDiffRow[];
  /** ΔW ranks of the tensors matching rankPattern. */
  ranks: UpdateRankRow[];
  /** Names in base or checkpoint only, or with another shape: not compared. */
  mismatched: string[];
  /** Served from the cache (nothing of the checkpoint was opened). */
  fromCache: boolean;
  /** Bytes of tensor data read (0 from the cache). */
  bytesRead: number;
}

export interface TrajectoryProblem {
  step: number;
  path: string;
  message: string;
}

export interface TrajectoryResult {
  base: string;
  config: TrajectoryConfig;
  /** Sorted by step. */
  checkpoints: TrajectoryCheckpoint[];
  /** Checkpoints that could not be measured, with why. */
  problems: TrajectoryProblem[];
}

/** Where per-checkpoint results are kept between runs (lib/io's ResultCache, or a Map in tests). */
export interface TrajectoryCache {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

export interface TrajectoryOptions {
  cache?: TrajectoryCache;
  /** Opens a checkpoint (default openCheckpoint); tests count opens through it. */
  open?: (path: string) => Promise<Checkpoint>;
  /**
   * Merges an adapter-only checkpoint into the base: W + ΔW as a weight source (lab.peft.openMergedAdapter).
   * Needed when an input has an adapter and no weights (lib/analysis cannot import lib/peft).
   */
  openAdapter?: (dir: string, base: Checkpoint) => Promise<ClosableSource>;
  /** Called before each checkpoint. */
  onCheckpoint?: (step: number, index: number, total: number, cached: boolean) => void;
}

/** Bump when the cached shape or its computation changes. */
const CACHE_VERSION = 1;

/** The files of a PEFT adapter folder that define ΔW (their identities key the cache). */
const ADAPTER_FILES = ["adapter_config.json", "adapter_model.safetensors"];

type Measured = Omit<TrajectoryCheckpoint, "fromCache" | "step" | "path">;

/** Measures `tuned` against `base`: streamed when it is a checkpoint on disk, read whole when it is a merged adapter. */
async function measure(
  base: Checkpoint,
  tuned: { checkpoint: Checkpoint } | { merged: CheckpointSource },
  cfg: TrajectoryConfig,
  baseNorms: Map<string, number>,
): Promise<Measured> {
  const diffCfg = { tol: cfg.tol, precision: cfg.precision, norms: true, baseNorms };
  const ckpt = "checkpoint" in tuned ? tuned.checkpoint : tuned.merged;
  const r =
    "checkpoint" in tuned
      ? await diffCheckpoints(base, tuned.checkpoint, { ...diffCfg, chunkBytes: cfg.chunkBytes })
      : await diffSources(base, tuned.merged, diffCfg);
  const tensors = r.rows.filter((x) => x.status === "ok" || x.status === "dtype-mismatch");
  const mismatched = r.rows.filter((x) => !tensors.includes(x)).map((x) => `${x.name} (${x.status})`);
  const ranks: UpdateRankRow[] = [];
  if (cfg.rankPattern !== null) {
    const re = new RegExp(cfg.rankPattern);
    for (const t of tensors) {
      if (t.shape.length !== 2 || !re.test(t.name)) continue;
      const w = async (c: CheckpointSource) => new Map([[t.name, { shape: [...t.shape], data: await c.readFloat32(t.name) }]]);
      ranks.push(...updateRank(await w(base), await w(ckpt)).rows);
    }
  }
  const o = r.overall;
  const relativeNorm = o.deltaNorm === 0 ? 0 : o.deltaNorm! / o.baseNorm!;
  return {
    overall: { sparsity: o.sparsity, exactZero: o.exactZeroFraction, relativeNorm, numel: o.numel, nanDelta: o.nanDelta },
    tensors,
    ranks,
    mismatched,
    bytesRead: r.bytesRead,
  };
}

/**
 * Measures every checkpoint against `basePath` (see the file comment), in step order. The base is opened
 * only when some checkpoint is not cached. Checkpoints that cannot be opened or read (a truncated file, a
 * shard gone) and checkpoints sharing no tensor with the base are returned as problems.
 */
export async function weightTrajectory(
  basePath: string,
  inputs: readonly TrajectoryInput[],
  partial: Partial<TrajectoryConfig> = {},
  opts: TrajectoryOptions = {},
): Promise<TrajectoryResult> {
  const cfg = resolveTrajectoryConfig(partial);
  const open = opts.open ?? openCheckpoint;
  const baseLoc = locateCheckpoint(basePath);
  const settings = {
    v: CACHE_VERSION,
    tol: cfg.tol,
    precision: cfg.precision,
    rankPattern: cfg.rankPattern,
    base: filesIdentity(baseLoc.files),
  };
  const sorted = [...inputs].sort((a, b) => a.step - b.step);
  const adapterOnly = sorted.find((x) => !x.weights && x.adapter);
  if (adapterOnly && !opts.openAdapter) {
    throw new RftlabError(
      `weightTrajectory: step ${adapterOnly.step} has only a PEFT adapter (${adapterOnly.adapter}); pass options.openAdapter (lab.peft.openMergedAdapter) to merge it into the base`,
    );
  }
  let base: Checkpoint | undefined;
  // ‖θ₀‖ per tensor is the same for every checkpoint: measured once, then reused.
  const baseNorms = new Map<string, number>();
  const checkpoints: TrajectoryCheckpoint[] = [];
  const problems: TrajectoryProblem[] = [];
  try {
    for (const [i, input] of sorted.entries()) {
      const problem = (message: string) => problems.push({ step: input.step, path: input.path, message });
      let key: string;
      try {
        const files = input.weights ? locateCheckpoint(input.weights).files : ADAPTER_FILES.map((f) => path.join(input.adapter ?? "", f));
        key = JSON.stringify({ ...settings, [input.weights ? "checkpoint" : "adapter"]: filesIdentity(files) });
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
        problem(e.message);
        continue;
      }
      const cached = opts.cache?.get<Measured>(key);
      for (const t of (cached ?? { tensors: [] }).tensors) baseNorms.set(t.name, t.baseNorm!);
      opts.onCheckpoint?.(input.step, i, sorted.length, cached !== undefined);
      if (cached) {
        checkpoints.push({ step: input.step, path: input.path, ...cached, bytesRead: 0, fromCache: true });
        continue;
      }
      // A base that cannot be opened fails the whole trajectory; a bad checkpoint only itself.
      base ??= await open(basePath);
      let m: Measured;
      try {
        if (input.weights) {
          const ckpt = await open(input.weights);
          try {
            m = await measure(base, { checkpoint: ckpt }, cfg, baseNorms);
          } finally {
            await ckpt.close();
          }
        } else {
          // An adapter that does not fit the base (another model's modules or shapes) is this step's problem too.
          const merged = await opts.openAdapter!(input.adapter!, base);
          try {
            m = await measure(base, { merged }, cfg, baseNorms);
          } finally {
            await merged.close();
          }
        }
      } catch (e) {
        if (!(e instanceof CheckpointError || (input.adapter && !input.weights && e instanceof RftlabError))) throw e;
        problem(e.message);
        continue;
      }
      if (m.tensors.length === 0) {
        problem(
          `no tensor of the same name and shape as the base's (${m.mismatched.length} mismatched); is --base the model this run started from?`,
        );
        continue;
      }
      for (const t of m.tensors) if (!baseNorms.has(t.name)) baseNorms.set(t.name, t.baseNorm!);
      opts.cache?.set(key, m);
      checkpoints.push({ step: input.step, path: input.path, ...m, fromCache: false });
    }
  } finally {
    await base?.close();
  }
  return { base: basePath, config: cfg, checkpoints, problems };
}

/** Per-layer and per-module sparsity of one checkpoint (summarizeSparsity over its tensors). */
export function trajectorySummary(c: TrajectoryCheckpoint): SparsityReport {
  return summarizeSparsity(c.tensors);
}
