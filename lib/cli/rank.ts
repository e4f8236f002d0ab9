import type { Command } from "./command";
import { emit, formatTable, noMatrices } from "./command";
import { ADAPTER_FLAGS, openAnalysisPair } from "./analysis-pair";
import { tensorPairs } from "../analysis/weights";
import { numericalRank } from "../linalg";

const rank: Command = {
  name: "rank",
  summary: "Numerical rank of each 2-D update ΔW = tuned − base (tolerance σ_max·max(m,n)·eps32; spec/analyses.md §1).",
  positionals: ["base?", "tuned?"],
  flags: { json: { type: "boolean", help: "print JSON" }, ...ADAPTER_FLAGS },
  async run(args) {
    const pair = await openAnalysisPair("rank", args);
    const { base, tuned } = pair;
    try {
      const tensors: { name: string; rank: number; maxRank: number; rankFraction: number; shape: number[] }[] = [];
      const skipped: { name: string; why: string }[] = [];
      for await (const p of tensorPairs(
        base,
        tuned,
        (_, s) => s.length === 2,
        (name, why) => skipped.push({ name, why }),
      )) {
        process.stderr.write(`rank: ${p.name} [${p.shape}]\n`);
        // An adapter's exact ΔW: tuned − base would add the merge's float32 rounding of W to it.
        let d = await pair.delta?.(p.name);
        if (!d) {
          d = new Float32Array(p.base.length);
          for (let i = 0; i < d.length; i++) d[i] = p.tuned[i] - p.base[i];
        }
        const r = numericalRank({ rows: p.shape[0], cols: p.shape[1], data: d });
        tensors.push({ name: p.name, rank: r.rank, maxRank: r.maxRank, rankFraction: r.rankFraction, shape: p.shape });
      }
      if (tensors.length === 0) throw noMatrices("rank", pair.labels);
      const mean = tensors.reduce((a, t) => a + t.rankFraction, 0) / Math.max(1, tensors.length);
      emit(
        Boolean(args.flags.json),
        { tensors, skipped, meanRankFraction: mean },
        () =>
          formatTable(
            ["tensor", "shape", "rank", "maxRank", "fraction"],
            tensors.map((t) => [t.name, t.shape.join("x"), t.rank, t.maxRank, t.rankFraction.toFixed(4)]),
          ) +
          `\n${tensors.length} matrices, mean rank fraction ${mean.toFixed(4)}${skipped.length ? `, ${skipped.length} skipped (missing or shape mismatch)` : ""}`,
      );
    } finally {
      await pair.close();
    }
  },
};
export default rank;
