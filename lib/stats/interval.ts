import { RftlabError } from "../errors";
import { normalQuantile, studentTQuantile } from "./distributions";

/** A point estimate with a two-sided confidence interval at `level` (e.g. 0.95), and how it was computed. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  level: number;
  method: string;
}

/** Like Interval, but the bounds are null where the data cannot give one (a mean of one seed). */
export interface MaybeInterval extends Omit<Interval, "lo" | "hi"> {
  lo: number | null;
  hi: number | null;
}

export function checkLevel(fn: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new RftlabError(`${fn}: level must be in (0, 1), e.g. 0.95; got ${level}`);
}

export function checkSample(fn: string, what: string, xs: ArrayLike<number>, min = 1): void {
  if (xs.length < min) throw new RftlabError(`${fn}: ${what} needs at least ${min} value(s); got ${xs.length}`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new RftlabError(`${fn}: ${what}[${i}] = ${xs[i]} is not a finite number; drop or fix it`);
  }
}

/** Arithmetic mean of a non-empty sample. */
export function mean(xs: ArrayLike<number>): number {
  checkSample("mean", "xs", xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); needs n ≥ 2. */
export function sampleSd(xs: ArrayLike<number>): number {
  checkSample("sampleSd", "xs", xs, 2);
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Standard error of the mean, sd/√n; needs n ≥ 2. */
export function standardError(xs: ArrayLike<number>): number {
  return sampleSd(xs) / Math.sqrt(xs.length);
}

/**
 * Gain of scores `a` over scores `b` on the same prompts (a[i], b[i] for prompt i): Δ = mean(a − b) and its
 * standard error paired over prompts, sd(a − b)/√n (the zoo's learning rule: a fine-tune learned when
 * Δ > 3 SE, lab.stats.gainAboveSe).
 */
export function pairedGain(a: ArrayLike<number>, b: ArrayLike<number>): { delta: number; se: number } {
  if (a.length !== b.length)
    throw new RftlabError(`pairedGain: a and b must score the same prompts; got ${a.length} and ${b.length} values`);
  const d = Array.from(a, (x, i) => x - b[i]);
  return { delta: mean(d), se: standardError(d) };
}

/** Standard error of a proportion k/n, √(p̂(1 − p̂)/n) (the Wald s.e.; 0 at k = 0 or k = n). */
export function proportionSe(k: number, n: number): number {
  checkCounts("proportionSe", k, n);
  const p = k / n;
  return Math.sqrt((p * (1 - p)) / n);
}

function checkCounts(fn: string, k: number, n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new RftlabError(`${fn}: n must be an integer ≥ 1 (no trials, no proportion); got n=${n}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new RftlabError(`${fn}: k must be an integer in [0, n=${n}]; got k=${k}`);
}

/**
 * Wilson score interval for a proportion k/n (Wilson 1927): the set of p whose score test at `level` does not
 * reject; unlike the Wald interval it stays inside [0, 1] and is not degenerate at k = 0 or k = n.
 *   centre = (k + z²/2)/(n + z²),  half-width = z/(n + z²)·√(k(n − k)/n + z²/4)
 */
export function wilson(k: number, n: number, level = 0.95): Interval {
  checkCounts("wilson", k, n);
  checkLevel("wilson", level);
  const z = normalQuantile(1 - (1 - level) / 2);
  const z2 = z * z;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  // At k = 0 (k = n) the bound is exactly 0 (1); say so rather than leave a rounding residue.
  return { estimate: k / n, lo: k === 0 ? 0 : centre - half, hi: k === n ? 1 : centre + half, level, method: "wilson" };
}

/**
 * Mean over seeds (or any small sample) ± Student t interval: x̄ ± t_{1−α/2, n−1}·s/√n. With one value the
 * interval is unknown: lo and hi are null (never a made-up width).
 */
export function meanCI(xs: readonly number[], level = 0.95): MaybeInterval & { n: number; se: number | null } {
  checkSample("meanCI", "xs", xs);
  checkLevel("meanCI", level);
  const estimate = mean(xs);
  if (xs.length === 1) return { estimate, lo: null, hi: null, level, method: "t", n: 1, se: null };
  const se = standardError(xs);
  const half = studentTQuantile(1 - (1 - level) / 2, xs.length - 1) * se;
  return { estimate, lo: estimate - half, hi: estimate + half, level, method: "t", n: xs.length, se };
}
