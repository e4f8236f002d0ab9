import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, UsageError } from "./command";
import { openCheckpoint, writeSafetensors } from "../io";
import type { Checkpoint, TensorToWrite } from "../io";
import { mergeModels, MERGE_METHODS, type MergeMethod, resolveMergeConfig, type WeightMap } from "../analysis";
import { inferNumLayers } from "../analysis/merging";

const FLOAT = new Set(["F32", "F16", "BF16", "F64"]);

const merge: Command = {
  name: "merge",
  summary:
    "Merge fine-tuned checkpoints into <base> by task arithmetic, TIES, Model Breadcrumbs or LiNeS (spec/analyses.md §5–6); writes a checkpoint.",
  positionals: [],
  flags: {
    base: { type: "string", help: "base checkpoint θ₀ (file or folder)" },
    tuned: { type: "string", help: "fine-tuned checkpoint(s), comma-separated" },
    method: { type: "string", help: "merge rule", default: "task-arithmetic", choices: MERGE_METHODS },
    lambda: { type: "number", help: "λ, scale of the merged task vector (default 1; breadcrumbs 0.4)" },
    density: { type: "number", help: "TIES: fraction kept per task and tensor", default: 0.2 },
    gamma: { type: "number", help: "Breadcrumbs: top fraction per row dropped", default: 0.01, min: 0 },
    beta: { type: "number", help: "Breadcrumbs: fraction per row kept after the outliers", default: 0.1 },
    alpha: { type: "number", help: "LiNeS α (β = 1 − α)", default: 0.5 },
    out: { type: "string", help: "output folder (writes model.safetensors)", default: "merged" },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const basePath = args.flags.base as string | undefined;
    const tunedList = ((args.flags.tuned as string | undefined) ?? "").split(",").filter(Boolean);
    if (!basePath) throw new UsageError("rftlab merge: --base <checkpoint> is required");
    if (tunedList.length === 0) throw new UsageError("rftlab merge: --tuned <checkpoint>[,<checkpoint>...] is required");
    checkOutFolder("merge", "out", args.flags.out as string);
    const method = args.flags.method as MergeMethod;
    const cfg = resolveMergeConfig({
      method,
      lambda: (args.flags.lambda as number | undefined) ?? (method === "breadcrumbs" ? 0.4 : 1),
      density: args.flags.density as number,
      gamma: args.flags.gamma as number,
      beta: args.flags.beta as number,
      alpha: args.flags.alpha as number,
    });
    const base = await openCheckpoint(basePath);
    const tuned: Checkpoint[] = [];
    try {
      for (const t of tunedList) tuned.push(await openCheckpoint(t));
      const infos = base.tensors();
      cfg.numLayers = inferNumLayers(new Map(infos.map((t) => [t.name, { shape: t.shape, data: new Float32Array(0) }])));
      const out: TensorToWrite[] = [];
      // One tensor at a time: peak memory ≈ the merged model plus one tensor per input.
      for (const [i, info] of infos.entries()) {
        process.stderr.write(`merge: [${i + 1}/${infos.length}] ${info.name}\n`);
        const b = await base.readFloat32(info.name);
        if (!FLOAT.has(info.dtype)) {
          out.push({ name: info.name, dtype: info.dtype, shape: info.shape, data: b });
          continue;
        }
        const one = (data: Float32Array): WeightMap => new Map([[info.name, { shape: info.shape, data }]]);
        const others: WeightMap[] = [];
        for (const [j, t] of tuned.entries()) {
          const ti = t.info(info.name);
          if (!ti || ti.shape.join("x") !== info.shape.join("x")) {
            throw new UsageError(
              `rftlab merge: tensor "${info.name}" is ${ti ? `shaped [${ti.shape}]` : "missing"} in ${tunedList[j]} but [${info.shape}] in the base; merge checkpoints of the same architecture`,
            );
          }
          others.push(one(await t.readFloat32(info.name)));
        }
        const merged = mergeModels(one(b), others, cfg).get(info.name)!;
        out.push({ name: info.name, dtype: info.dtype, shape: info.shape, data: merged.data });
      }
      const file = path.join(args.flags.out as string, "model.safetensors");
      await writeSafetensors(file, out, { format: "pt", rftlab_merge: JSON.stringify({ ...cfg, base: basePath, tuned: tunedList }) });
      const value = { out: file, method, config: cfg, tensors: out.length, tuned: tunedList };
      emit(
        Boolean(args.flags.json),
        value,
        () =>
          formatTable(
            ["key", "value"],
            [
              ["method", method],
              ["lambda", cfg.lambda],
              ["tuned", tunedList.join(", ")],
              ["out", file],
            ],
          ) + `\nmerged ${tunedList.length} checkpoint(s) into ${out.length} tensors with ${method}`,
      );
    } finally {
      await Promise.all([base.close(), ...tuned.map((t) => t.close())]);
    }
  },
};
export default merge;
