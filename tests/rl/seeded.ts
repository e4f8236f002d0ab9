// Seeded random inputs for the rl tests (mulberry32 + Box–Muller), so failures reproduce.
import { mulberry32 } from "../../lib/base/random";

export function rng(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** rows × cols matrix from a generator. */
export function matrix(rows: number, cols: number, f: (i: number, j: number) => number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)));
}
