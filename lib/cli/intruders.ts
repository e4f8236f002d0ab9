import path from "node:path";
import type { Command } from "./command";
import { checkOutFolder, emit, formatTable, noMatrices } from "./command";
import { ADAPTER_FLAGS, openAnalysisPair } from "./analysis-pair";
import { intruderDimensionsOf } from "../analysis";
import { tensorPairs } from "../analysis/weights";
import { SvdCache } from "../io";
import { rftlabCacheDir } from "../model";

const intruders: Command = {
  name: "intruders",
  summary:
    "Intruder dimensions: top-k left singular vectors of tuned matrices with max |cos| < eps against all of base's (spec/analyses.md §3).",
  positionals: ["base?", "tuned?"],
  flags: {
    k: { type: "number", help: "top singular vectors of the tuned matrix examined", default: 10, integer: true, min: 1 },
    eps: { type: "number", help: "similarity threshold", default: 0.5, min: 0 },
    json: { type: "boolean", help: "print JSON" },
    cache: { type: "string", help: "folder of base-matrix SVDs, keyed by tensor content (default $RFTLAB_CACHE/svd)" },
    "no-cache": { type: "boolean", help: "compute every base SVD again and store nothing" },
    ...ADAPTER_FLAGS,
  },
  async run(args) {
    const cacheDir = (args.flags.cache as string | undefined) ?? path.join(rftlabCacheDir(), "svd");
    const baseSvdCache = args.flags["no-cache"] ? undefined : new SvdCache(cacheDir);
    if (baseSvdCache) checkOutFolder("intruders", "cache", cacheDir);
    const pair = await openAnalysisPair("intruders", args);
    const { base, tuned } = pair;
    const k = args.flags.k as number;
    const eps = args.flags.eps as number;
    try {
      const tensors: { name: string; intruders: number; similarities: number[]; shape: number[] }[] = [];
      for await (const p of tensorPairs(base, tuned, (_, s) => s.length === 2)) {
        process.stderr.write(`intruders: ${p.name} [${p.shape}]\n`);
        const [m, n] = p.shape;
        const { row, baseCached } = intruderDimensionsOf(
          p.name,
          { rows: m, cols: n, data: p.base },
          { rows: m, cols: n, data: p.tuned },
          { k, eps, epsSweep: [] },
          { baseSvdCache, source: `${pair.labels[0]}: ${p.name}` },
        );
        if (baseCached) process.stderr.write(`intruders: ${p.name}: base SVD read from the cache\n`);
        tensors.push({ name: p.name, intruders: row.intruders, similarities: row.similarities, shape: p.shape });
      }
      if (tensors.length === 0) throw noMatrices("intruders", pair.labels);
      const total = tensors.reduce((a, t) => a + t.intruders, 0);
      emit(
        Boolean(args.flags.json),
        { k, eps, tensors, totalIntruders: total },
        () =>
          formatTable(
            ["tensor", "shape", "intruders", "min sim"],
            tensors.map((t) => [t.name, t.shape.join("x"), t.intruders, Math.min(...t.similarities).toFixed(3)]),
          ) + `\n${total} intruders (k=${k}, eps=${eps}) in ${tensors.filter((t) => t.intruders > 0).length} of ${tensors.length} matrices`,
      );
    } finally {
      await pair.close();
    }
  },
};
export default intruders;
