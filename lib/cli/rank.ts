import type { Command } from "./command";
import { emit, formatTable, noMatrices } from "./command";
import { openCheckpoint } from "../io";
import { tensorPairs } from "../analysis/weights";
import { numericalRank } from "../linalg";

const rank: Command = {
  name: "rank",
  summary: "Numerical rank of each 2-D update ΔW = tuned − base (tolerance σ_max·max(m,n)·eps32; spec/analyses.md §1).",
  positionals: ["base", "tuned"],
  flags: { json: { type: "boolean", help: "print JSON" } },
  async run(args) {
    const base = await openCheckpoint(args.positionals[0]);
    const tuned = await openCheckpoint(args.positionals[1]).catch(async (e) => {
      await base.close();
      throw e;
    });
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
        const d = new Float32Array(p.base.length);
        for (let i = 0; i < d.length; i++) d[i] = p.tuned[i] - p.base[i];
        const r = numericalRank({ rows: p.shape[0], cols: p.shape[1], data: d });
        tensors.push({ name: p.name, rank: r.rank, maxRank: r.maxRank, rankFraction: r.rankFraction, shape: p.shape });
      }
      if (tensors.length === 0) throw noMatrices("rank", args.positionals);
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
      await Promise.all([base.close(), tuned.close()]);
    }
  },
};
export default rank;
