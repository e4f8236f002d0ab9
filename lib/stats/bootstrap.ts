import { RftlabError } from "../errors";
import { createRng, type Rng } from "../base/random";
import { checkLevel, checkSample, mean, type Interval } from "./interval";

/** A statistic of one sample (default: the mean). It must not keep the array it is given (a reused buffer). */
export type Statistic = (xs: Float64Array) => number;

export interface BootstrapOptions {
  /** Number of resamples B; default 2000. */
  reps?: number;
  /** Confidence level; default 0.95. */
  level?: number;
  /** Seed of the resampling stream (lib/base createRng); default 0. Same seed, same interval. */
  seed?: number;
  /** Statistic of one sample; default the mean. */
  statistic?: Statistic;
}

/**
 * The q-quantile (q in [0, 1]) of an ascending-sorted sample, interpolating linearly between order
 * statistics: numpy.percentile's default ("linear", Hyndman–Fan type 7).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RftlabError("quantileSorted: the sample is empty");
  if (!(q >= 0 && q <= 1)) throw new RftlabError(`quantileSorted: q must be in [0, 1]; got ${q}`);
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

function resolve(fn: string, opts: BootstrapOptions): Required<BootstrapOptions> {
  const r = { reps: opts.reps ?? 2000, level: opts.level ?? 0.95, seed: opts.seed ?? 0, statistic: opts.statistic ?? mean };
  if (!(Number.isInteger(r.reps) && r.reps >= 10))
    throw new RftlabError(`${fn}: reps must be an integer ≥ 10 (default 2000); got ${r.reps}`);
  checkLevel(fn, r.level);
  return r;
}

/** Fills `out` with a resample of `xs` (n draws with replacement). */
function resample(xs: readonly number[], out: Float64Array, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = xs[rng.int(0, xs.length - 1)];
}

/** Percentile interval of the replicates around the full-sample estimate. */
function percentileInterval(estimate: number, reps: Float64Array, level: number, method: string): Interval {
  reps.sort();
  const alpha = 1 - level;
  return { estimate, lo: quantileSorted(reps, alpha / 2), hi: quantileSorted(reps, 1 - alpha / 2), level, method };
}

/**
 * Percentile bootstrap CI (Efron 1979) of a statistic of one sample: resample n values with replacement
 * B times, take the α/2 and 1 − α/2 quantiles of the B statistics.
 */
export function bootstrapCI(xs: readonly number[], opts: BootstrapOptions = {}): Interval {
  const o = resolve("bootstrapCI", opts);
  checkSample("bootstrapCI", "xs", xs);
  const rng = createRng(o.seed);
  const buf = new Float64Array(xs.length);
  const reps = new Float64Array(o.reps);
  for (let b = 0; b < o.reps; b++) {
    resample(xs, buf, rng);
    reps[b] = o.statistic(buf);
  }
  return percentileInterval(o.statistic(Float64Array.from(xs)), reps, o.level, "bootstrap-percentile");
}

/**
 * Paired bootstrap CI of stat(a) − stat(b) where a[i] and b[i] are two models' scores on the same prompt i:
 * prompts are resampled, both scores of a prompt travel together, so the prompt-to-prompt variance the two
 * share cancels (much narrower than the unpaired interval when the models agree on which prompts are easy).
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Interval {
  const o = resolve("pairedBootstrap", opts);
  checkSample("pairedBootstrap", "a", a);
  checkSample("pairedBootstrap", "b", b);
  if (a.length !== b.length) {
    throw new RftlabError(
      `pairedBootstrap: a and b must score the same prompts; got ${a.length} and ${b.length} values (use unpairedBootstrap)`,
    );
  }
  const rng = createRng(o.seed);
  const [bufA, bufB] = [new Float64Array(a.length), new Float64Array(b.length)];
  const reps = new Float64Array(o.reps);
  for (let r = 0; r < o.reps; r++) {
    for (let i = 0; i < a.length; i++) {
      const j = rng.int(0, a.length - 1);
      [bufA[i], bufB[i]] = [a[j], b[j]];
    }
    reps[r] = o.statistic(bufA) - o.statistic(bufB);
  }
  const estimate = o.statistic(Float64Array.from(a)) - o.statistic(Float64Array.from(b));
  return percentileInterval(estimate, reps, o.level, "paired-bootstrap");
}

/** Bootstrap CI of stat(a) − stat(b) for independent samples (different prompts or seeds): each resampled on its own. */
export function unpairedBootstrap(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Interval {
  const o = resolve("unpairedBootstrap", opts);
  checkSample("unpairedBootstrap", "a", a);
  checkSample("unpairedBootstrap", "b", b);
  const rng = createRng(o.seed);
  const [bufA, bufB] = [new Float64Array(a.length), new Float64Array(b.length)];
  const reps = new Float64Array(o.reps);
  for (let r = 0; r < o.reps; r++) {
    resample(a, bufA, rng);
    resample(b, bufB, rng);
    reps[r] = o.statistic(bufA) - o.statistic(bufB);
  }
  const estimate = o.statistic(Float64Array.from(a)) - o.statistic(Float64Array.from(b));
  return percentileInterval(estimate, reps, o.level, "unpaired-bootstrap");
}
