/**
 * Controls for the intruder λ intervention (spec/analyses.md §3; issue 9): an effect of scaling the
 * intruders means something only next to (a) scaling the whole update by the same λ and (b) scaling
 * as many top singular directions of W_ft that are not intruders.
 */
import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import type { DirectionSelection } from "./intruders";
import { taskArithmetic } from "./merging";
import type { WeightMap } from "./weights";

/**
 * Control (a): W′ = W₀ + λ·(W_ft − W₀) on the tensors of `names` (default all); the other tensors keep
 * W_ft, so the control touches the same matrices as the intervention. New weights; inputs untouched.
 */
export function scaleUpdate(base: WeightMap, tuned: WeightMap, lambda: number, names?: readonly string[]): WeightMap {
  if (!Number.isFinite(lambda)) throw new RftlabError(`scaleUpdate: lambda must be finite; got ${lambda}`);
  const out = taskArithmetic(base, [tuned], lambda);
  if (names) {
    const keep = new Set(names);
    for (const [name, t] of tuned) if (!keep.has(name)) out.set(name, { shape: [...t.shape], data: t.data.slice() });
  }
  return out;
}

/**
 * Control (b): per matrix, as many of the top-k directions with s_i ≥ ε (not intruders) as it has
 * intruders, drawn uniformly without replacement (seeded), from the same SVDs. A matrix with more
 * intruders than non-intruders gets all of them (fewer picks; see directionEnergy). The picks usually
 * carry a different σ than the intruders: report directionEnergy next to the result.
 */
export function randomNonIntruderSelections(intruders: readonly DirectionSelection[], seed: number): DirectionSelection[] {
  const rng = createRng(seed);
  return intruders.map((sel) => {
    const isIntruder = new Set(sel.row.intruderIndices);
    const candidates = sel.row.similarities.flatMap((_, i) => (isIntruder.has(i) ? [] : [i]));
    const picks = rng
      .shuffle(candidates)
      .slice(0, sel.row.intruderIndices.length)
      .sort((a, b) => a - b);
    return { ...sel, indices: picks };
  });
}

export interface DirectionEnergyRow {
  name: string;
  /** Number of selected directions. */
  directions: number;
  /** Σ σ_i² of the selected triplets. */
  energy: number;
  /** energy / ‖W_ft‖²_F (Σ of all σ²). */
  energyShare: number;
}

/** How much of each W_ft the selected directions carry: intervention and control side by side. */
export function directionEnergy(selections: readonly DirectionSelection[]): DirectionEnergyRow[] {
  return selections.map(({ name, tunedSvd, indices }) => {
    const total = tunedSvd.s.reduce((a, x) => a + x * x, 0);
    const energy = indices.reduce((a, i) => a + tunedSvd.s[i] ** 2, 0);
    return { name, directions: indices.length, energy, energyShare: total ? energy / total : 0 };
  });
}
