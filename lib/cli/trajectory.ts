import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, UsageError } from "./command";
import { DIFF_FLAGS } from "./diff";
import { readRunLayout, ResultCache } from "../io";
import { type DiffPrecision, type TrajectoryResult, trajectorySummary, weightTrajectory } from "../analysis";
import { rftlabCacheDir } from "../model";
import { openMergedAdapter } from "../peft";

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : "-");

/** The JSON of issue 14: base, then per checkpoint step, path, overall and per-tensor sparsity (+ ranks when asked). */
function trajectoryJson(r: TrajectoryResult, ranks: boolean) {
  return {
    base: r.base,
    checkpoints: r.checkpoints.map((c) => ({
      step: c.step,
      path: c.path,
      overall: { sparsity: c.overall.sparsity, exactZero: c.overall.exactZero, relativeNorm: c.overall.relativeNorm },
      tensors: c.tensors.map((t) => ({ name: t.name, numel: t.numel, sparsity: t.sparsity, exactZero: t.exactZeroFraction })),
      ...(ranks ? { ranks: c.ranks.map((k) => ({ name: k.name, rank: k.rank, maxRank: k.maxRank, rankFraction: k.rankFraction })) } : {}),
    })),
  };
}

/** Per step: overall numbers, then pooled sparsity per module type; then mean sparsity per layer. */
function trajectoryText(r: TrajectoryResult): string {
  const summaries = r.checkpoints.map((c) => trajectorySummary(c));
  const modules = [...new Set(summaries.flatMap((s) => s.perModule.array("module") as string[]))];
  const layers = [...new Set(summaries.flatMap((s) => s.perLayer.array("layer") as number[]))].sort((a, b) => a - b);
  const cell = (t: { objects(): object[] }, key: string, value: unknown, col: string) => {
    const row = (t.objects() as Record<string, unknown>[]).find((o) => o[key] === value);
    return row ? fmt(row[col] as number) : "-";
  };
  const overall = formatTable(
    ["step", "sparsity", "exact0", "‖Δ‖/‖θ₀‖", ...modules, "cached"],
    r.checkpoints.map((c, i) => [
      c.step,
      fmt(c.overall.sparsity),
      fmt(c.overall.exactZero),
      fmt(c.overall.relativeNorm),
      ...modules.map((m) => cell(summaries[i].perModule, "module", m, "pooledSparsity")),
      c.fromCache ? "yes" : "",
    ]),
  );
  const perLayer = layers.length
    ? "\n\nmean sparsity per layer (mean over the layer's tensors):\n" +
      formatTable(
        ["step", ...layers.map((l) => `L${l}`)],
        r.checkpoints.map((c, i) => [c.step, ...layers.map((l) => cell(summaries[i].perLayer, "layer", l, "meanSparsity"))]),
      )
    : "";
  const ranks = r.checkpoints.some((c) => c.ranks.length)
    ? "\n\nrank of ΔW:\n" +
      formatTable(
        ["step", "tensor", "rank", "maxRank", "fraction"],
        r.checkpoints.flatMap((c) => c.ranks.map((k) => [c.step, k.name, k.rank, k.maxRank, k.rankFraction.toFixed(4)])),
      )
    : "";
  const read = r.checkpoints.reduce((a, c) => a + c.bytesRead, 0);
  const cached = r.checkpoints.filter((c) => c.fromCache).length;
  return (
    `${overall}${perLayer}${ranks}\n` +
    `${r.checkpoints.length} checkpoints against ${r.base} (|Δ| ≤ ${r.config.tol}, ${r.config.precision}); ` +
    `${cached} from the cache, ${(read / 1e6).toFixed(1)} MB read`
  );
}

const trajectory: Command = {
  name: "trajectory",
  summary:
    "Update sparsity, exact-zero fraction and ‖Δ‖/‖θ₀‖ of every checkpoint of a run (TRL, verl, OpenRLHF or a folder of HF checkpoints; adapter-only checkpoints merged into the base) against the base; cached per checkpoint (spec/analyses.md §1).",
  positionals: ["run"],
  flags: {
    base: { type: "string", help: "base checkpoint (file, folder or hub id); default: the one the run's config names, when it is here" },
    ...DIFF_FLAGS,
    rank: { type: "string", help: "regular expression of 2-D tensors whose ΔW rank to compute (a full SVD each)" },
    cache: { type: "string", help: "folder of per-checkpoint results (default $RFTLAB_CACHE/trajectory)" },
    "no-cache": { type: "boolean", help: "measure every checkpoint again and store nothing" },
  },
  async run(args) {
    const [runDir] = args.positionals;
    const cacheDir = (args.flags.cache as string | undefined) ?? path.join(rftlabCacheDir(), "trajectory");
    const useCache = !args.flags["no-cache"];
    if (useCache) checkOutFolder("trajectory", "cache", cacheDir);
    const layout = readRunLayout(runDir, { base: args.flags.base as string | undefined });
    for (const p of layout.problems) process.stderr.write(`rftlab trajectory: ${p.message} [${p.path}]\n`);
    if (!layout.base) {
      throw new UsageError(
        `rftlab trajectory: no base model for ${layout.dir}: the run's configs name none that is here; pass --base <checkpoint>`,
      );
    }
    const inputs = layout.checkpoints;
    if (inputs.length === 0) {
      throw new UsageError(
        `rftlab trajectory: ${layout.dir} (${layout.engine} layout) has no checkpoint with readable weights or adapter${layout.problems.length ? " (problems above)" : ""}; pass a run folder`,
      );
    }
    const r = await weightTrajectory(
      layout.base,
      inputs,
      {
        tol: args.flags.tol as number,
        precision: args.flags.precision as DiffPrecision,
        chunkBytes: (args.flags["chunk-mb"] as number) * (1 << 20),
        rankPattern: (args.flags.rank as string | undefined) ?? null,
      },
      {
        cache: useCache ? new ResultCache(cacheDir) : undefined,
        openAdapter: openMergedAdapter,
        onCheckpoint: (step, i, n, cached) => process.stderr.write(`[${i + 1}/${n}] step ${step}${cached ? " (cached)" : ""}\n`),
      },
    );
    for (const p of r.problems) process.stderr.write(`rftlab trajectory: step ${p.step} skipped: ${p.message}\n`);
    if (r.checkpoints.length === 0) throw new UsageError(`rftlab trajectory: no checkpoint of ${layout.dir} could be measured (see above)`);
    emit(Boolean(args.flags.json), trajectoryJson(r, args.flags.rank !== undefined), () => trajectoryText(r));
    const nan = r.checkpoints.filter((c) => c.overall.nanDelta > 0);
    if (nan.length > 0) {
      process.stderr.write(
        `rftlab trajectory: step ${nan.map((c) => c.step).join(", ")} ha${nan.length > 1 ? "ve" : "s"} entries with Δ = NaN (a NaN or ∞ in a checkpoint), so sparsity there means nothing; check for diverged weights\n`,
      );
      return 1;
    }
  },
};
export default trajectory;
