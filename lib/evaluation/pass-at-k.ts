import { RftlabError } from "../errors";

/**
 * Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, "Evaluating Large Language
 * Models Trained on Code", eq. 1): 1 − C(n − c, k)/C(n, k), computed as 1 − ∏_{i=n−c+1}^{n} (1 − k/i)
 * to avoid huge binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RftlabError(`passAtK: n (samples) must be an integer ≥ 1; got ${n}`);
  if (!(Number.isInteger(c) && c >= 0 && c <= n)) throw new RftlabError(`passAtK: c (correct) must be an integer in [0, n=${n}]; got ${c}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RftlabError(`passAtK: k must be an integer in [1, n=${n}]; got ${k}`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}
