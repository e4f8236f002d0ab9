/**
 * Agreement of a subnetwork-only run with the full run (spec/analyses.md §1, arXiv 2505.11711 §5),
 * split by the mask. The subnetwork run (g ← g⊙m, no weight decay) never moves entries outside m, and
 * the full run did not move them either (m is where it moved), so outside the mask θ_sub = θ_full by
 * construction. Only the agreement inside the mask says anything about the subnetwork run.
 */
import { RftlabError } from "../errors";
import { type MaskMap, type SparsityConfig, updateMaskOf } from "./sparsity";
import { assertSameLayout, type WeightMap } from "./weights";

export interface AgreementCount {
  numel: number;
  /** Entries with |θ_sub − θ_full| ≤ tol after the cast. */
  equal: number;
  /** equal / numel (NaN when numel = 0). */
  fraction: number;
}

export interface SubnetworkAgreement {
  /** Entries with m = 1: the informative number. */
  inside: AgreementCount;
  /** Entries with m = 0: equal by construction when the subnetwork run was masked by m; not evidence. */
  outside: AgreementCount;
  /** All entries (what a plain sparsity diff of θ_sub vs θ_full reports). */
  overall: AgreementCount;
  /** Share of entries with m = 1. */
  maskDensity: number;
}

const count = (numel: number, equal: number): AgreementCount => ({ numel, equal, fraction: numel ? equal / numel : NaN });

/**
 * Share of entries where θ_sub equals θ_full within tol after the cast (SparsityConfig, default bf16 and
 * 1e-5), inside and outside the mask m. Tensors without a mask count as outside (GradientMasker freezes them).
 */
export function subnetworkAgreement(
  full: WeightMap,
  sub: WeightMap,
  mask: MaskMap,
  cfg: Partial<SparsityConfig> = {},
): SubnetworkAgreement {
  assertSameLayout(full, sub, "subnetworkAgreement", "sub");
  let inN = 0;
  let inEq = 0;
  let outN = 0;
  let outEq = 0;
  for (const [name, f] of full) {
    const m = mask.get(name);
    if (m && m.length !== f.data.length) {
      throw new RftlabError(
        `subnetworkAgreement: mask for "${name}" has ${m.length} entries, the tensor ${f.data.length}; pass the mask the subnetwork run used`,
      );
    }
    const differs = updateMaskOf(f.data, sub.get(name)!.data, cfg);
    for (let i = 0; i < differs.length; i++) {
      if (m && m[i]) {
        inN++;
        if (!differs[i]) inEq++;
      } else {
        outN++;
        if (!differs[i]) outEq++;
      }
    }
  }
  return {
    inside: count(inN, inEq),
    outside: count(outN, outEq),
    overall: count(inN + outN, inEq + outEq),
    maskDensity: inN + outN ? inN / (inN + outN) : 0,
  };
}
