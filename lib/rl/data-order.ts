import { createRng } from "../base/random";
import { RftlabError } from "../errors";

/**
 * Row indices used at `step` (1-based): epochs over a seeded permutation of n rows, `size` rows a step.
 * A pure function of (n, size, seed, step), so a resumed run sees exactly the rows it would have seen.
 */
export function stepRows(n: number, size: number, seed: number, step: number): number[] {
  if (n < 1) throw new RftlabError("training data is empty; pass at least one row");
  const out: number[] = [];
  let k = (step - 1) * size;
  while (out.length < size) {
    const epoch = Math.floor(k / n);
    const perm = createRng(seed * 7919 + epoch).shuffle(Array.from({ length: n }, (_, i) => i));
    out.push(perm[k % n]);
    k++;
  }
  return out;
}
